# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Migrations that stall (issue 17), detected by live_migrate's watch and rolled back by migrate.yml.

Each runs with a guest beside vm1 (test_60's clone of vm1's definition, removed afterwards), booted with the lab
guest's kernel parameter that makes the stall (lab/guest/init):

- nflab.dirty: the guest keeps rewriting more memory than a pass at the capped bandwidth moves while it is rewritten,
  so the data remaining at the start of each pass never falls. The role aborts after migrate_stall_seconds, migrates
  once more with auto-converge, which (at that cap, within that bound) does not converge either, aborts again and rolls
  back: the VM runs on the source with its VF.
- nflab.ignore_unplug, in the teaming variant (QEMU's failover_pair_id on the clone's VF, as the lab's teaming variant
  defines it): the guest never answers QEMU's unplug request, QEMU waits in wait-unplug, the role aborts after
  migrate_unplug_timeout, QEMU plugs the VF back (the guest never let it go) and the rollback finds the VM on the
  source with its VF.

In steady pre-copy the guest's dirty rate as QEMU measures it is about the bandwidth: each pass sends what the pass
before dirtied, so (data remaining at the next pass start) / (at this one) = dirty rate / bandwidth, and a migration
that stops converging has a ratio of about 1 or more. The figures are checked against each other, not against numbers.
"""

import json

import libvirt
import pytest

from conftest import LAB_STATE
from test_60_faults import OTHER, connection, migrate, remove_clone, start_clone

BANDWIDTH_MIB = 8  # migrate_bandwidth_mib: the cap
DIRTY_MIB = 64  # what the guest rewrites: several seconds of passes at the cap, however slow the machine
STALL_SECONDS = 10  # about one pass and a half at the cap
UNPLUG_TIMEOUT = 10
BOOT_TIMEOUT = 600  # a TCG boot on a busy 2-core machine, to the guest's steady state
PROGRESS_RATIO = 0.95  # live_migrate's: progress is a pass that starts with 5% less than the best before it
ROWS = []


@pytest.fixture(scope="module", autouse=True)
def stall_table():
    """Every stall's figures go into stalls.json in the lab's state folder and are printed at the end."""
    yield
    (LAB_STATE / "stalls.json").write_text(json.dumps(ROWS, indent=2))
    print("\ncase          | kind           | attempt | detected after s | stalled for s | MiB at pass starts      "
          "| dirty MiB/s | moved MiB/s | live_migrate s | wall s")
    for row in ROWS:
        print("{case:13} | {kind:14} | {attempt:7} | {detected_after_s:16} | {stalled_for_s:13} | {passes:23} | "
              "{dirty_rate_mibs!s:11} | {bandwidth_mibs!s:11} | {live_migrate_s!s:14} | {wall_seconds}".format(**row))


def record(case, report):
    steps = {step["step"]: step for step in report["steps"]}
    found = report["stall"]
    for attempt, each in enumerate(found["earlier"] + [found], start=1):
        ROWS.append(dict({key: each[key] for key in ("kind", "detected_after_s", "stalled_for_s", "dirty_rate_mibs",
                                                     "bandwidth_mibs")},
                         case=case, attempt=attempt, wall_seconds=report["wall_seconds"],
                         live_migrate_s=steps["live_migrate"]["seconds"],
                         passes=", ".join("{0:g}".format(p["remaining_mib"]) for p in each["passes"] if p["iteration"] > 1)))


def stall_of(report):
    assert report is not None, "migrate.yml wrote no report"
    assert report["stall"], report["message"]
    return report["stall"]


def assert_not_converging(found):
    """The figures of a not_converging stall tell the same story: passes that did not start lower, for the bound, with
    the guest dirtying about as fast as the migration moved memory."""
    assert found["kind"] == "not_converging", found
    assert found["bound_s"] == STALL_SECONDS and found["stalled_for_s"] >= STALL_SECONDS
    compared = [p for p in found["passes"] if p["iteration"] >= 2]
    assert len(compared) >= 2, found  # the best pass, and at least one after it that was not better
    best = [p for p in compared if p["remaining_mib"] == found["best_remaining_mib"]][-1]
    later = [p for p in compared if p["iteration"] > best["iteration"]]
    assert later and all(p["remaining_mib"] > PROGRESS_RATIO * best["remaining_mib"] for p in later), found
    assert found["detected_after_s"] - best["elapsed_s"] >= STALL_SECONDS
    assert found["dirty_rate_mibs"] > 0 and found["bandwidth_mibs"] > 0
    assert found["dirty_rate_mibs"] >= 0.8 * found["bandwidth_mibs"], found


def assert_back_on_the_source_with_its_vf(lab, name, number, source):
    assert lab.hypervisor_running(name) == source
    state = lab.failover(source, name, expect=["steady"], timeout=60)
    assert state["state"] == "steady", state  # the VF enslaved and up, the standby link down
    assert state["failover"]["facts"]["primary"]["driver"] == "vmxnet3"
    assert lab.probe(name, count=10, address="192.0.2.{0}".format(number))["received"] >= 10


@pytest.fixture
def clone(lab):
    """start(name, number, **start_clone's options): a clone of vm1 on the hypervisor where vm1 runs; removed at the end."""
    started = []

    def start(name, number, **options):
        hv = lab.hypervisor_running("vm1")
        conn = connection(lab, hv)
        try:
            start_clone(lab, conn, name, number, **options)
        finally:
            conn.close()
        started.append(name)
        assert lab.failover(hv, name, expect=["steady"], timeout=BOOT_TIMEOUT)["state"] == "steady"
        return hv

    yield start
    for name in started:
        remove_clone(lab, name)


def test_a_migration_that_does_not_converge_is_retried_with_auto_converge_then_rolled_back(lab, clone, tmp_path):
    name, number = "vms1", 61
    source = clone(name, number, parameters="nflab.dirty={0}".format(DIRTY_MIB))
    result = migrate(lab, tmp_path, "not-converging", vm=name, probe=False, variant="manual",
                     migrate_bandwidth_mib=BANDWIDTH_MIB, migrate_stall_seconds=STALL_SECONDS, migrate_timeout=900)
    report = result.report
    assert result.rc != 0 and report is not None, result.output[-3000:]
    assert report["outcome"] == "rolled_back", report["message"]
    assert report["failed_step"].startswith("Run the live migration"), report["failed_step"]
    assert "stalled: it did not converge" in report["message"] and "after a first migration that stalled too" in report["message"]
    found = stall_of(report)
    assert found["attempts"] == 2 and found["action"] == "aborted"
    assert len(found["earlier"]) == 1 and found["earlier"][0]["action"] == "retried_with_auto_converge"
    for each in [found] + found["earlier"]:
        assert_not_converging(each)
    assert "the migration stalled (not_converging): retrying it with auto-converge" in report["migration_notes"]
    record("not converging", report)
    assert report["final_state"] == "steady"
    assert_back_on_the_source_with_its_vf(lab, name, number, source)


def test_a_guest_that_never_releases_its_vf_in_the_teaming_variant_is_aborted_at_the_bound(lab, clone, tmp_path):
    name, number = "vmu1", 62
    source = clone(name, number, teaming=True, parameters="nflab.ignore_unplug=1")
    result = migrate(lab, tmp_path, "wait-unplug", vm=name, probe=False, variant="teaming",
                     migrate_unplug_timeout=UNPLUG_TIMEOUT)
    report = result.report
    assert result.rc != 0 and report is not None, result.output[-3000:]
    assert report["variant"] == "teaming"
    assert report["outcome"] == "rolled_back", report["message"]
    assert "QEMU waits in wait-unplug" in report["message"], report["message"]
    found = stall_of(report)
    assert found["kind"] == "wait_unplug" and found["attempts"] == 1 and found["action"] == "aborted"
    assert found["bound_s"] == UNPLUG_TIMEOUT and found["stalled_for_s"] >= UNPLUG_TIMEOUT
    assert found["detected_after_s"] >= found["stalled_for_s"]  # counted from the destination's readiness, not the start
    assert found["passes"] == [] and found["remaining_mib"] is None  # no memory moved
    record("wait-unplug", report)
    assert report["final_state"] == "steady"
    # libvirt still has the VF in the live definition: the guest never let it go, QEMU kept it
    conn = connection(lab, source)
    try:
        assert "ua-primary0" in conn.lookupByName(name).XMLDesc(0)
        assert conn.lookupByName(name).jobInfo()[0] == libvirt.VIR_DOMAIN_JOB_NONE
    finally:
        conn.close()
    # and nothing of the incoming domain is left on the destination
    conn = connection(lab, OTHER[source])
    try:
        assert name not in [d.name() for d in conn.listAllDomains(0)]
    finally:
        conn.close()
    assert_back_on_the_source_with_its_vf(lab, name, number, source)
