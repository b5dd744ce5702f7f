# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""live_migrate through its main(): the test driver as source and destination (it answers lookups but cannot migrate
peer-to-peer), and fakes for a successful migration."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.plugins.modules import live_migrate
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import (
    LAB_COMPLETED,
    TEST_NODE_URI,
    FakeConnection,
    FakeDomain,
)


def test_check_mode_with_the_test_driver(run_module):
    outcome = run_module(live_migrate.main, dict(uri=TEST_NODE_URI, name="vm1", destination_uri="test:///default",
                                                 _ansible_check_mode=True, _ansible_diff=True))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is True and outcome.result["location"] == "source"
    assert outcome.result["diff"] == {"before": {"runs_at": TEST_NODE_URI}, "after": {"runs_at": "test:///default"}}


def test_a_refused_migration_leaves_the_domain_on_the_source(run_module):
    outcome = run_module(live_migrate.main, dict(uri=TEST_NODE_URI, name="vm1", destination_uri="test:///default"))
    assert outcome.failed
    assert outcome.result["msg"].startswith("Could not migrate domain vm1 to test:///default: ")
    assert outcome.result["msg"].endswith("The domain still runs on the source ({0}).".format(TEST_NODE_URI))
    assert outcome.result["location"] == "source" and outcome.result["changed"] is False


def test_unreachable_destination(run_module):
    outcome = run_module(live_migrate.main, dict(uri=TEST_NODE_URI, name="vm1",
                                                 destination_uri="qemu+unix:///system?socket=/nonexistent/sock"))
    assert outcome.failed
    assert outcome.result["msg"].startswith("Cannot reach destination libvirt at qemu+unix:///system?socket=/nonexistent/sock: ")
    assert "the domain stays where it is" in outcome.result["msg"]


@pytest.fixture
def hosts(monkeypatch):
    source_domain, destination_domain = FakeDomain(), FakeDomain(active=False)
    source, destination = FakeConnection([source_domain]), FakeConnection([], uri="qemu+tcp://hv2/system")

    def move():
        source_domain.active, destination_domain.active = False, True
        destination_domain.completed = dict(LAB_COMPLETED)
        destination.domains["vm1"] = destination_domain
        return 0

    source_domain.migrate_result = move
    monkeypatch.setattr(lc, "open_connection", lambda uri, read_only=False: destination if uri == "qemu+tcp://hv2/system" else source)
    return source_domain


def test_migrate_then_idempotent(run_module, hosts):
    args = dict(name="vm1", destination_uri="qemu+tcp://hv2/system", bandwidth=500, max_downtime=150)
    first = run_module(live_migrate.main, args)
    assert not first.failed, first.result
    assert first.result["changed"] and first.result["job"]["downtime_ms"] == 52
    assert [c[0] for c in hosts.calls if c[0].startswith("migrate")] == ["migrateSetMaxDowntime", "migrateToURI3"]
    second = run_module(live_migrate.main, args)
    assert not second.failed and second.result["changed"] is False and second.result["location"] == "destination"


def test_postcopy_after_needs_postcopy(run_module, hosts):
    outcome = run_module(live_migrate.main, dict(name="vm1", destination_uri="qemu+tcp://hv2/system", postcopy_after=2))
    assert outcome.failed and "postcopy_after needs postcopy: true" in outcome.result["msg"]
