# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""live_migrate on a stall: abort, one retry with auto-converge where it can help, and the figures in the result.

The watch is scripted (which attempt stalls, and how); the watch itself is test_stall.py's.
"""

import time

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.migration import live_migrate as live_migration
from ansible_collections.netfailover.standby.plugins.module_utils.migration import stall
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt, libvirt_error
from ansible_collections.netfailover.standby.tests.unit.plugins.module_utils.migration.test_live_migrate_logic import (
    DESTINATION,
    Hosts,
    migrate_calls,
    options,
)

AUTO_CONVERGE = 8192


def not_converging(attempt):
    return {"kind": stall.NOT_CONVERGING, "detected_after_s": 64.0 + attempt, "remaining_mib": 32.1,
            "best_remaining_mib": 31.8, "passes": [{"iteration": 2, "elapsed_s": 44.0, "remaining_mib": 31.8},
                                                   {"iteration": 3, "elapsed_s": 56.8, "remaining_mib": 32.1}],
            "dirty_rate_mibs": 2.5, "bandwidth_mibs": 2.5, "auto_converge_throttle_percent": None,
            "stalled_for_s": 20.0, "bound_s": 20}


WAIT_UNPLUG = {"kind": stall.WAIT_UNPLUG, "detected_after_s": 24.0, "remaining_mib": None, "best_remaining_mib": None,
               "passes": [], "dirty_rate_mibs": None, "bandwidth_mibs": None, "auto_converge_throttle_percent": None,
               "stalled_for_s": 20.0, "bound_s": 20}


@pytest.fixture
def scripted(monkeypatch):
    """The stall each attempt's watch finds at its first poll (None: that attempt does not stall), in order."""
    verdicts = []
    created = []

    class ScriptedWatch:
        def __init__(self, stall_seconds=None, unplug_timeout=None):
            created.append((stall_seconds, unplug_timeout))
            self.verdict = verdicts.pop(0)
            self.watching = True

        def update(self, _elapsed, _stats, _destination_ready=None):
            return self.verdict

    monkeypatch.setattr(live_migration, "StallWatch", ScriptedWatch)
    return verdicts, created


def migrations(hosts, stalls):
    """Each migration call blocks until the module aborts it (QEMU cancels), or moves the domain when it does not stall."""
    domain = hosts.source_domain
    attempts = iter(stalls)

    def migrate():
        if not next(attempts):
            return hosts.move()
        aborts = sum(1 for c in domain.calls if c[0] == "abortJob")
        deadline = time.monotonic() + 5
        while sum(1 for c in domain.calls if c[0] == "abortJob") == aborts and time.monotonic() < deadline:
            time.sleep(0.005)
        raise libvirt_error("operation aborted: job 'migration out' canceled by client", libvirt.VIR_ERR_OPERATION_ABORTED)

    domain.migrate_result = migrate


def stalling(hosts, scripted, verdicts):
    scripted[0].extend(verdicts)
    migrations(hosts, [v is not None for v in verdicts])


def stall_options(**overrides):
    return options(**dict({"stall_seconds": 20, "on_stall": "auto_converge", "unplug_timeout": 30}, **overrides))


def test_a_stall_is_retried_once_with_auto_converge_which_succeeds(scripted):
    hosts = Hosts()
    stalling(hosts, scripted, [not_converging(1), None])
    result = hosts.run(stall_options(auto_converge_initial=30, auto_converge_increment=15))
    assert result["changed"] is True and result["location"] == "destination"
    first, second = migrate_calls(hosts.source_domain)
    assert first[3] == 27 and "auto_converge.initial" not in first[2]
    assert second[3] == 27 | AUTO_CONVERGE
    assert second[2] == {"auto_converge.initial": 30, "auto_converge.increment": 15}
    assert "VIR_MIGRATE_AUTO_CONVERGE" in result["flags"] and result["flags_value"] == 27 | AUTO_CONVERGE
    assert result["stall"]["kind"] == "not_converging" and result["stall"]["action"] == "retried_with_auto_converge"
    assert result["stall"]["attempts"] == 2 and result["stall"]["earlier"] == []
    assert result["stall"]["dirty_rate_mibs"] == 2.5 and result["stall"]["passes"][-1]["remaining_mib"] == 32.1
    assert "the migration stalled (not_converging): retrying it with auto-converge" in result["notes"]
    assert scripted[1] == [(20, 30), (20, 30)]  # each attempt watched with the bounds


def test_a_retry_that_stalls_too_is_aborted_and_fails_on_the_source(scripted):
    hosts = Hosts()
    stalling(hosts, scripted, [not_converging(1), not_converging(2)])
    with pytest.raises(LibvirtCollectionError) as error:
        hosts.run(stall_options())
    message = error.value.message
    assert message.startswith("The migration of vm1 to {0} stalled: it did not converge: the data remaining at the start "
                              "of each memory pass did not fall by 5% for 20 s (bound: 20 s; MiB at the start of passes "
                              "2-3: 31.8, 32.1); the guest dirtied 2.5 MiB/s and the migration moved 2.5 MiB/s; the module "
                              "aborted it (virDomainAbortJob) (it was the retry with auto-converge, after a first migration "
                              "that stalled too). The domain still runs on the source (qemu:///system).".format(DESTINATION))
    result = error.value.result
    assert result["location"] == "source" and result["changed"] is False
    assert result["stall"]["attempts"] == 2 and result["stall"]["action"] == "aborted"
    assert result["stall"]["detected_after_s"] == 66.0  # the retry's
    assert [s["action"] for s in result["stall"]["earlier"]] == ["retried_with_auto_converge"]
    assert len(migrate_calls(hosts.source_domain)) == 2  # once retried, never again


@pytest.mark.parametrize("overrides, why", [
    ({"on_stall": "abort"}, None),
    ({"auto_converge": True}, "auto-converge was on already"),
    ({"variant": "teaming"}, "no retry with auto-converge with the QEMU-driven failover: a new migration would unplug the "
                             "VF that QEMU plugs back now"),
])
def test_no_retry_where_it_cannot_help(scripted, overrides, why):
    hosts = Hosts()
    stalling(hosts, scripted, [not_converging(1)])
    with pytest.raises(LibvirtCollectionError) as error:
        hosts.run(stall_options(**overrides))
    assert len(migrate_calls(hosts.source_domain)) == 1
    assert error.value.result["stall"]["attempts"] == 1 and error.value.result["stall"]["action"] == "aborted"
    expected = "the module aborted it (virDomainAbortJob){0}. The domain still runs".format(" (" + why + ")" if why else "")
    assert expected in error.value.message


def test_wait_unplug_is_aborted_and_never_retried(scripted):
    hosts = Hosts()
    stalling(hosts, scripted, [dict(WAIT_UNPLUG)])
    with pytest.raises(LibvirtCollectionError) as error:
        hosts.run(stall_options(variant="teaming"))
    assert error.value.message == (
        "The migration of vm1 to {0} stalled: it moved no memory for 20 s after the destination was ready: QEMU waits in "
        "wait-unplug for the guest to release its failover VF, which the guest did not do (bound: 20 s); the module aborted "
        "it (virDomainAbortJob). The domain still runs on the source (qemu:///system).".format(DESTINATION))
    assert error.value.result["stall"]["kind"] == "wait_unplug" and len(migrate_calls(hosts.source_domain)) == 1


def test_no_retry_once_the_timeout_is_spent(scripted, monkeypatch):
    hosts = Hosts()
    stalling(hosts, scripted, [not_converging(1)])
    now = [1000.0]
    monkeypatch.setattr(live_migration.LiveMigration, "__init__",
                        _with_clock(live_migration.LiveMigration.__init__, lambda: now.__setitem__(0, now[0] + 0.3) or now[0]))
    with pytest.raises(LibvirtCollectionError, match="no time left within the timeout for a retry with auto-converge"):
        hosts.run(stall_options(timeout=1.0))
    assert len(migrate_calls(hosts.source_domain)) == 1


def test_no_retry_when_the_domain_is_not_back_on_the_source_alone(scripted):
    hosts = Hosts()
    stalling(hosts, scripted, [not_converging(1)])
    aborted = hosts.source_domain.migrate_result

    def aborted_but_left_on_the_destination():
        hosts.destination_domain.active = True
        hosts.destination.domains["vm1"] = hosts.destination_domain
        return aborted()

    hosts.source_domain.migrate_result = aborted_but_left_on_the_destination
    with pytest.raises(LibvirtCollectionError, match="not back on the source alone after the abort, so no retry"):
        hosts.run(stall_options())
    assert len(migrate_calls(hosts.source_domain)) == 1


def _with_clock(init, clock):
    def patched(self, *args, **kwargs):
        init(self, *args, **dict(kwargs, clock=clock))
    return patched


def test_without_bounds_nothing_is_watched():
    hosts = Hosts()
    result = hosts.run(options())
    assert result["stall"] is None and result["location"] == "destination"


@pytest.mark.parametrize("overrides, message", [
    ({"stall_seconds": -1}, "stall_seconds must be 0 or more seconds (0: not watched), not -1. Nothing was done."),
    ({"unplug_timeout": -0.5}, "unplug_timeout must be 0 or more seconds (0: not watched), not -0.5. Nothing was done."),
    ({"auto_converge_initial": 0}, "auto_converge_initial is a percentage of vCPU time, 1 to 100, not 0. Nothing was done."),
    ({"auto_converge_increment": 101}, "auto_converge_increment is a percentage of vCPU time, 1 to 100, not 101. Nothing was done."),
])
def test_bad_bounds_fail_before_anything_happens(overrides, message):
    hosts = Hosts()
    with pytest.raises(LibvirtCollectionError) as error:
        hosts.run(stall_options(**overrides))
    assert error.value.message == message
    assert migrate_calls(hosts.source_domain) == [] and hosts.opened == []
