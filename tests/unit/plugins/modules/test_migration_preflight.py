# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_preflight through its main(): the source's lock, returned also by a check that fails after it (libvirt's
test:///default as both ends), the destination's side on a fake sysfs tree, and the options each side needs."""

import json

import pytest

from ansible_collections.netfailover.standby.plugins.modules import migration_preflight

TEST_URI = "test:///default"


def owner(**extra):
    return dict({"run_id": "run-a", "controller": "ctl1", "pid": 10}, **extra)


@pytest.mark.parametrize("destination_uri, failed", [
    (TEST_URI, False),  # vm1 runs at neither end: no error, location says so
    ("test:///nonexistent/domains.xml", True),  # the destination does not answer: a failed check after the lock
])
def test_the_source_side_takes_the_lock_and_returns_it_also_when_a_check_fails(run_module, tmp_path, destination_uri, failed):
    outcome = run_module(migration_preflight.main, dict(owner(), name="vm1", uri=TEST_URI, destination_uri=destination_uri,
                                                        lock_directory=str(tmp_path)))
    assert outcome.failed is failed
    assert outcome.result["lock_owner"]["run_id"] == "run-a" and outcome.result["held_by"] is None
    with open(str(tmp_path / "vm1" / "owner")) as handle:
        assert json.load(handle)["controller"] == "ctl1"
    if not failed:
        assert outcome.result["location"] == "neither" and outcome.result["running_on_source"] == ["test"]


def test_the_destination_side_names_what_is_missing_without_failing(run_module, tmp_path):
    (tmp_path / "class" / "net" / "br0" / "bridge").mkdir(parents=True)
    outcome = run_module(migration_preflight.main, {"side": "destination", "name": "vm1", "bridges": ["br0", "esw9"],
                                                    "pci_devices": ["0000:3b:02.1"], "sysfs_root": str(tmp_path)})
    assert not outcome.failed and outcome.result["changed"] is False
    assert outcome.result["missing"] == ["the bridge esw9 ({0}/class/net/esw9/bridge)".format(tmp_path),
                                         "the PCI device 0000:3b:02.1 ({0}/bus/pci/devices/0000:3b:02.1)".format(tmp_path)]


def test_the_source_side_needs_the_destination_uri(run_module):
    outcome = run_module(migration_preflight.main, {"name": "vm1"})
    assert outcome.failed and "destination_uri" in outcome.result["msg"]


def test_a_severity_that_is_no_severity_fails_before_the_lock(run_module, tmp_path):
    outcome = run_module(migration_preflight.main, dict(owner(), name="vm1", uri=TEST_URI, destination_uri=TEST_URI,
                                                        lock_directory=str(tmp_path / "locks"),
                                                        audit_severities={"names_unstable_after_replug": "fatal"}))
    assert outcome.failed and outcome.result["msg"].startswith("audit_severities: a severity is warn, refuse or ignore")
    assert not (tmp_path / "locks").exists()
