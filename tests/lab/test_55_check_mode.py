# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ansible-playbook migrate.yml --check`: preflight runs for real, the plan is shown and recorded, nothing changes."""

import json
import time

import pytest

GUEST = "vm1"
MAC = "52:54:00:6c:00:01"


def _state(lab, host):
    """What a migration would change: where vm1 runs, its guest state, its live links and devices, its FDB entries and locks."""
    xml = lab.ansible(host, "community.libvirt.virt", {"name": GUEST, "command": "get_xml"})["get_xml"]
    fdb = json.loads(lab.command(host, "bridge", "-j", "fdb", "show")["stdout"])
    locks = lab.ansible(host, "ansible.builtin.find", {"paths": "/run/netfailover.standby/locks", "file_type": "any", "recurse": True})
    return {"runs_on": lab.hypervisor_running(GUEST), "guest": lab.failover(host, GUEST)["state"], "xml": xml,
            "fdb": sorted(json.dumps(entry, sort_keys=True) for entry in fdb if entry.get("mac") == MAC),
            "locks": sorted(found["path"] for found in locks.get("files", []))}


def _settled(lab, host, bound=180.0):
    """The state once vm1 is steady and two reads in a row agree: a test before this one (a rollback) may leave the
    guest settling, and a change made then must not count as one made by check mode."""
    assert lab.failover(host, GUEST, expect=["steady"], timeout=bound).get("state") == "steady"
    deadline = time.monotonic() + bound
    previous = _state(lab, host)
    while True:
        current = _state(lab, host)
        if current == previous:
            return current
        assert time.monotonic() < deadline, "vm1 did not settle on {0}".format(host)
        previous = current


@pytest.fixture(scope="module")
def planned(lab, tmp_path_factory):
    source = lab.hypervisor_running(GUEST)
    destination = "hv2" if source == "hv1" else "hv1"
    before = _settled(lab, source)
    run = lab.playbook("migrate.yml", {"vm": GUEST, "source": source, "destination": destination, "migrate_pf": "pf0"},
                       tmp_path_factory.mktemp("check"), options=["--check"])
    return source, destination, before, run, _state(lab, source)


def test_check_mode_succeeds_and_records_a_plan(planned):
    _source, _destination, _before, run, _after = planned
    assert run.rc == 0, run.output[-3000:]
    assert run.report["outcome"] == "planned", run.report["message"]
    assert run.report["message"].startswith("Check mode: vm1 would move") and "Nothing was changed" in run.report["message"]


def test_the_plan_names_each_step_its_host_the_expected_state_and_the_fdb_moves(planned):
    source, destination, _before, run, _after = planned
    plan = run.report["plan"]
    # the lab's emulated VF has no host PCI address: no VF MAC to clear or set
    assert [(step["step"], step["host"]) for step in plan] == [
        ("standby_link_up", source), ("primary_detach", source), ("migrate", f"{source} -> {destination}"),
        ("primary_attach", destination), ("standby_link_down", destination)]
    assert [step["expect"] for step in plan] == [["armed"], ["standby_only_up"], ["standby_only_up"], ["armed"], ["steady"]]
    assert all(step["pairs"][0]["primary"] == "ua-primary0" for step in plan)
    assert plan[1]["fdb"].startswith("point the entry at the standby's tap")  # migrate_pf given: the FDB moves are listed
    assert f"1. standby_link_up on {source}" in run.output and f"4. primary_attach on {destination}" in run.output


def test_check_mode_changed_nothing_and_rolled_nothing_back(planned):
    source, _destination, before, run, after = planned
    assert after == before
    assert after["runs_on"] == source
    assert "Roll back after the failed step" not in run.output
    assert run.report["steps"] == [] or all(not step["changed"] for step in run.report["steps"])
