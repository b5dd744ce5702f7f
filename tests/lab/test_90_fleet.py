# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Evacuating a hypervisor onto two destinations by VF capacity (issue 17): playbooks/evacuate.yml, for real.

A lab of its own (the lab's prefix + f): three hypervisors, hv1 with six guests (96 MiB, TCG) and 8 emulated VFs, hv2
with 2 and hv3 with 3, so the plan can place five guests: one destination runs out of VFs part-way and the plan puts the
rest on the other; the sixth fits nowhere. The lab's QEMU hook holds a VF reservation for every guest where it runs.

1. ``--check`` shows the plan, saves it, and changes nothing: every guest stays on hv1, no reservation changes.
2. The evacuation, two at a time and one per destination, with one guest made to fail on the way (its root port's
   driver unbound, so it never releases its VF: the role's unplug wait fails and it rolls back): every other placed
   guest runs on its planned destination with its VF and is reachable, the failed one and the one that fits nowhere
   still run on hv1 with their VFs, the waves ran one after the other with their VMs side by side, and the report says
   all of it; the run fails, naming both.
"""

import json
import time
from collections import Counter

import pytest

from conftest import LAB_PREFIX, lab_down, lab_up

PREFIX = LAB_PREFIX + "f"
GUESTS = ["vm{0}".format(n) for n in range(1, 7)]
VFS = {"hv1": 8, "hv2": 2, "hv3": 3}
# The plan takes VMs of equal needs and memory by name: the last one finds no VF left.
UNPLACED = "vm6"
# Placed in the first or second wave of at least three (five VMs, two at a time): later waves run after its failure.
FAILING = "vm2"
REQUEST = {"source": "hv1", "parallel": 2, "parallel_per_destination": 1, "migrate_pf": "pf0"}
SUCCEEDED = ("migrated",)


@pytest.fixture(scope="module")
def fleet():
    try:
        yield lab_up(PREFIX, NFLAB_HYPERVISORS="3", NFLAB_GUESTS=str(len(GUESTS)), NFLAB_GUEST_MEMORY="96",
                     NFLAB_VFS=",".join("{0}={1}".format(hv, n) for hv, n in VFS.items()))
    finally:
        lab_down(PREFIX)


@pytest.fixture(autouse=True)
def one_line_results(monkeypatch):
    """Task results as one JSON line each: the plan's lines are matched whole (YAML output wraps them)."""
    monkeypatch.setenv("ANSIBLE_CALLBACK_RESULT_FORMAT", "json")


def run_folder(lab, hv):
    """hv's /run/netfailover.standby, as the test host sees it (the hook's VF reservations, the role's locks)."""
    return lab.state / hv / "run-netfailover"


def run_state(lab):
    """Every file and folder under each hypervisor's /run/netfailover.standby, with the files' text."""
    found = {}
    for hv in lab.facts["hypervisors"]:
        root = run_folder(lab, hv)
        for path in sorted(root.rglob("*")) if root.exists() else []:
            found["{0}:{1}".format(hv, path.relative_to(root))] = path.read_text() if path.is_file() else None
    return found


def reservations(lab, hv):
    """{VF address: owner} of hv's VF reservations (folders vf-<address> with an owner file, the collection's layout)."""
    found = {}
    for owner in sorted(run_folder(lab, hv).rglob("vf-*/owner")):
        found[owner.parent.name[len("vf-"):]] = owner.read_text().strip()
    return found


def held_by(lab, hv, vm):
    return sorted(address for address, owner in reservations(lab, hv).items() if owner == vm + "/ua-primary0")


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not within {0} s: {1}".format(timeout, what)
        time.sleep(1)


def check_plan(report):
    """The plan the lab's capacities allow, however ties between hv2 and hv3 fall: five placed, one VF each, one
    destination full part-way and the rest on the other; the sixth fits nowhere, with each destination's reason."""
    plan = report["plan"]
    placements = plan["placements"]
    where = {p["vm"]: p["destination"] for p in placements}
    assert sorted(where) == [vm for vm in GUESTS if vm != UNPLACED], plan
    assert Counter(where.values()) == {"hv2": VFS["hv2"], "hv3": VFS["hv3"]}, plan
    for hv in ("hv2", "hv3"):
        assert plan["destinations"][hv]["free_before"]["pf:pf0"] == VFS[hv]
        assert plan["destinations"][hv]["free_after"]["pf:pf0"] == 0
        assert sorted(plan["destinations"][hv]["vms"]) == sorted(vm for vm, d in where.items() if d == hv)
    # the first destination to run out does so part-way: every VM planned after that goes to the other
    counts, full_at = Counter(), None
    for index, placement in enumerate(placements):
        counts[placement["destination"]] += 1
        if full_at is None and counts[placement["destination"]] == VFS[placement["destination"]]:
            full_at, full = index, placement["destination"]
    assert full_at is not None and 0 < full_at < len(placements) - 1, plan
    assert {p["destination"] for p in placements[full_at + 1:]} == {"hv2", "hv3"} - {full}, plan
    # one VF of its destination's pf0 each, none twice
    for hv in ("hv2", "hv3"):
        addresses = [a for p in placements if p["destination"] == hv for a in p["vfs"]["pf:pf0"]]
        assert len(addresses) == len(set(addresses)) == VFS[hv]
        assert set(addresses) <= {"0000:3b:02.{0}".format(n) for n in range(VFS[hv])}
    assert all(list(p["vfs"]) == ["pf:pf0"] for p in placements), placements
    [unplaced] = plan["unplaced"]
    assert unplaced["vm"] == UNPLACED and sorted(unplaced["reasons"]) == ["hv2", "hv3"], unplaced
    assert all("no free VF of pf0" in why for why in unplaced["reasons"].values()), unplaced
    assert report["unplaced"] == plan["unplaced"]
    # the waves: every placed VM once, at most two at a time and one per destination
    waves = report["waves"]
    assert sorted(vm for wave in waves for vm in wave) == sorted(where)
    assert all(1 <= len(wave) <= 2 and len({where[vm] for vm in wave}) == len(wave) for wave in waves), waves
    # the report's VMs are the plan's
    assert {vm: (entry["destination"], entry["vfs"]) for vm, entry in report["vms"].items()} == {
        p["vm"]: (p["destination"], p["vfs"]) for p in placements}
    return where


def test_check_mode_shows_and_saves_the_plan_and_changes_nothing(fleet, tmp_path):
    assert {vm: fleet.hypervisor_running(vm) for vm in GUESTS} == {vm: "hv1" for vm in GUESTS}
    before = run_state(fleet)
    assert all(len(held_by(fleet, "hv1", vm)) == 1 for vm in GUESTS), reservations(fleet, "hv1")
    result = fleet.playbook("evacuate.yml", REQUEST, tmp_path, options=["--check"])
    assert result.rc == 0, result.output[-3000:]
    report = json.loads((tmp_path / "evacuation-hv1.json").read_text())
    assert report["check_mode"] is True and report["source"] == "hv1" and report["destinations"] == ["hv2", "hv3"]
    assert (report["parallel"], report["parallel_per_destination"]) == (2, 1)
    assert report["report_path"] == str(tmp_path / "evacuation-hv1.json")
    check_plan(report)
    assert {entry["outcome"] for entry in report["vms"].values()} == {"not_run"}
    # the plan is shown: a line per VM, the one that fits nowhere with its reasons, each destination's VFs
    for wave_number, wave in enumerate(report["waves"], 1):
        for vm in wave:
            entry = report["vms"][vm]
            assert "{0} -> {1} in wave {2}: VFs pf:pf0 {3}, 96 MiB".format(
                vm, entry["destination"], wave_number, entry["vfs"]["pf:pf0"][0]) in result.output
    assert "{0} fits nowhere and stays on hv1 (hv2: no free VF of pf0".format(UNPLACED) in result.output
    for hv in ("hv2", "hv3"):
        assert "free VFs pf:pf0 {0} -> 0".format(VFS[hv]) in result.output
    assert "Check mode: nothing moves." in result.output
    # nothing moved, nothing was reserved or locked, no VM's migration ran
    assert {vm: fleet.hypervisor_running(vm) for vm in GUESTS} == {vm: "hv1" for vm in GUESTS}
    assert run_state(fleet) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["evacuation-hv1.json"]


def test_evacuation_in_waves_with_a_failure_and_a_vm_that_fits_nowhere(fleet, tmp_path):
    hv1_vfs = {vm: held_by(fleet, "hv1", vm) for vm in (FAILING, UNPLACED)}
    # the failing guest never answers an unplug request: its root port's driver is unbound
    fleet.command("hv1", "virsh", "qemu-agent-command", FAILING, json.dumps({"execute": "guest-exec", "arguments": {
        "path": "/bin/sh", "arg": ["-c", "echo 0000:00:08.0 > /sys/bus/pci/drivers/pcieport/unbind"]}}))
    started = time.monotonic()
    result = fleet.playbook("evacuate.yml", REQUEST, tmp_path)
    took = time.monotonic() - started
    report = json.loads((tmp_path / "evacuation-hv1.json").read_text())
    where = check_plan(report)
    assert report["check_mode"] is False

    # the run fails after every VM was tried, naming the two that did not move
    assert result.rc != 0, result.output[-3000:]
    assert "hv1 is not empty: " in result.output
    assert "{0} rolled_back (runs on hv1)".format(FAILING) in result.output
    assert "{0} fits nowhere (left running there)".format(UNPLACED) in result.output

    # each VM's outcome is its migrate report's (the role's own JSON beside it)
    for vm, entry in report["vms"].items():
        own = json.loads((tmp_path / (vm + ".json")).read_text())
        assert entry["report"] == own and entry["outcome"] == own["outcome"] and entry["message"] == own["message"]
        assert own["destination"] == where[vm]
    outcomes = {vm: entry["outcome"] for vm, entry in report["vms"].items()}
    assert outcomes == {vm: "rolled_back" if vm == FAILING else "migrated" for vm in where}, outcomes
    assert "Rolled back: {0} runs on hv1 with its VF".format(FAILING) in report["vms"][FAILING]["message"]

    # the waves ran one after the other, the VMs of a wave side by side; the failure stopped none of the later ones
    spans = {vm: (float(own["started"]), float(own["started"]) + own["wall_seconds"])
             for vm, own in ((vm, entry["report"]) for vm, entry in report["vms"].items())}
    waves = report["waves"]
    for wave in waves:
        assert max(spans[vm][0] for vm in wave) < min(spans[vm][1] for vm in wave), (wave, spans)
    for earlier, later in zip(waves, waves[1:]):
        assert min(spans[vm][0] for vm in later) >= max(spans[vm][1] for vm in earlier), (earlier, later, spans)
    failed_wave = [index for index, wave in enumerate(waves) if FAILING in wave][0]
    assert failed_wave < len(waves) - 1 and all(outcomes[vm] == "migrated" for vm in waves[-1])

    # every migrated VM runs on its planned destination with its VF (reserved there by the hook), and is reachable
    for vm, destination in sorted(where.items()):
        if vm == FAILING:
            continue
        assert fleet.hypervisor_running(vm) == destination, vm
        assert fleet.failover(destination, vm, expect=["steady"], timeout=60)["state"] == "steady", vm
        assert len(held_by(fleet, destination, vm)) == 1, reservations(fleet, destination)
        assert fleet.probe(vm, count=10)["received"] >= 10, vm
    for hv in ("hv2", "hv3"):
        arrived = [vm for vm, destination in where.items() if destination == hv and vm != FAILING]
        assert sorted(reservations(fleet, hv).values()) == sorted(vm + "/ua-primary0" for vm in arrived)
    # the failed VM and the one that fits nowhere run on hv1 with the VFs they had; hv1 released the others' VFs
    for vm in (FAILING, UNPLACED):
        assert fleet.hypervisor_running(vm) == "hv1", vm
        state = fleet.failover("hv1", vm, expect=["steady", "armed"], timeout=60)["state"]
        assert state in ("steady", "armed"), (vm, state)
        assert held_by(fleet, "hv1", vm) == hv1_vfs[vm]
        assert fleet.probe(vm, count=10)["received"] >= 10, vm
    wait_until(lambda: sorted(reservations(fleet, "hv1").values()) == sorted(
        vm + "/ua-primary0" for vm in (FAILING, UNPLACED)), 60, "hv1 holding the VFs of {0} and {1} only".format(
            FAILING, UNPLACED))
    per_vm = ", ".join("{0} {1:.0f} s".format(vm, spans[vm][1] - spans[vm][0]) for vm in sorted(spans))
    print("\nevacuation of {0} VMs in {1} waves: {2:.0f} s (per VM: {3})".format(len(where), len(waves), took, per_vm))
