# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rolling maintenance (issue 17): playbooks/rolling_maintenance.yml over hv1 and hv2, one at a time.

A lab of its own (the lab's prefix + r): three hypervisors, vm1 and vm2 of 96 MiB; vm2 is moved to hv2 first, so that
each hypervisor of the rolling runs a VM. For each of hv1 and hv2: evacuate.yml empties it (its VM to one of the other
two), the maintenance tasks run on it (here: they record which domains run there and when, in a marker file on that
hypervisor), return_evacuated.yml brings the VM back. At the end each VM runs where it started, steady (its VF
enslaved), reachable, holding a VF of that hypervisor. Then a maintenance that fails on hv1 ends the run there: hv2 and
vm2 untouched, vm1 where the evacuation put it, and return_evacuated.yml with the evacuation's report file brings it back.
"""

import json
import time

import pytest

from conftest import LAB_PREFIX, lab_down, lab_up

PREFIX = LAB_PREFIX + "r"
STARTS = {"vm1": "hv1", "vm2": "hv2"}  # where each VM runs before the rolling maintenance and after it
MARKER = "/run/libvirt/nflab-maintenance.json"  # the hypervisor's own /run/libvirt (its mount namespace)
RUN_TIMEOUT = 2400  # a whole rolling run, four migrations of TCG guests on a machine that may be busy
TIMINGS = {}

# The operator's maintenance, as a tasks file: what runs on the hypervisor, and when, in a marker file there.
MAINTENANCE = [
    {"name": "List the domains running on {{ inventory_hostname }} during its maintenance",
     "ansible.builtin.command": {"argv": ["virsh", "list", "--name"]}, "register": "nflab_running", "changed_when": False},
    {"name": "Leave the maintenance marker on {{ inventory_hostname }}",
     "ansible.builtin.copy": {"dest": MARKER, "mode": "0644", "content": (
         "{{ {'hypervisor': inventory_hostname, 'running': nflab_running.stdout_lines | select | list,"
         " 'time': now(utc=true).timestamp(), 'evacuated': hostvars['localhost']['netfailover_evacuation'].source} | to_json }}")}},
]
FAILING = [{"name": "Fail the maintenance of {{ inventory_hostname }}",
            "ansible.builtin.fail": {"msg": "nflab: this maintenance fails"}}]


@pytest.fixture(scope="module")
def lab():
    """Three hypervisors, vm1 on hv1 and vm2 on hv2, both steady; the lab is taken down at the end."""
    started = time.monotonic()
    lab = lab_up(PREFIX, NFLAB_HYPERVISORS="3", NFLAB_GUESTS="2", NFLAB_GUEST_MEMORY="96")
    TIMINGS["lab up"] = round(time.monotonic() - started, 1)
    try:
        if lab.hypervisor_running("vm2") != "hv2":
            started = time.monotonic()
            moved = lab.playbook("migrate.yml", {"vm": "vm2", "source": lab.hypervisor_running("vm2"), "destination": "hv2",
                                                 "migrate_pf": "pf0"}, lab.state / "test_92-setup")
            TIMINGS["vm2 to hv2"] = round(time.monotonic() - started, 1)
            assert moved.rc == 0, moved.output[-3000:]
        assert {vm: lab.hypervisor_running(vm) for vm in STARTS} == STARTS
        yield lab
    finally:
        lab_down(PREFIX)
        print("\ntimings (s):", TIMINGS)


def run(lab, playbook, extravars, report_dir):
    """The playbook against the lab, as an operator runs it; (rc, output), bounded."""
    process = lab.playbook(playbook, extravars, report_dir, background=True)
    output = process.communicate(timeout=RUN_TIMEOUT)[0]
    return process.returncode, output


def tasks_file(tmp_path, name, tasks):
    path = tmp_path / name
    path.write_text(json.dumps(tasks))  # JSON is YAML
    return path


def report(report_dir, name):
    return json.loads((report_dir / name).read_text())


def assert_home(lab):
    """Every VM runs where it started, steady (its VF enslaved), reachable, and holds a VF of that hypervisor."""
    for vm, hv in STARTS.items():
        assert lab.hypervisor_running(vm) == hv, vm
        state = lab.failover(hv, vm, expect=["steady"], timeout=120)
        assert state.get("state") == "steady", state
        assert lab.probe(vm, count=10)["received"] >= 10, vm
        sysfs = lab.inventory["all"]["children"]["hypervisors"]["hosts"][hv]["netfailover_sysfs_root"]
        vfs = lab.ansible(hv, "netfailover.standby.vf_info", {"pf": "pf0", "sysfs_root": sysfs})
        assert [vf["reserved_by"] for vf in vfs["vfs"] if vf["reserved"]] == [vm + "/ua-primary0"], vfs["vfs"]


def marker(lab, hv):
    return json.loads(lab.command(hv, "cat", MARKER)["stdout"])


def test_hv1_then_hv2_emptied_maintained_and_refilled(lab, tmp_path):
    reports = tmp_path / "reports"
    for hv in ("hv1", "hv2"):
        lab.command(hv, "rm", "-f", MARKER)
    maintenance = tasks_file(tmp_path, "maintenance.yml", MAINTENANCE)
    started = time.monotonic()
    rc, output = run(lab, "rolling_maintenance.yml", {"group": ["hv1", "hv2"], "maintenance_tasks": str(maintenance),
                                                      "migrate_pf": "pf0", "parallel": 2}, reports)
    TIMINGS["rolling maintenance of hv1, hv2"] = round(time.monotonic() - started, 1)
    assert rc == 0, output[-6000:]
    assert "If one of these fails, the run ends here and hv2 stay(s) untouched." in " ".join(output.split())

    rolling = report(reports, "rolling-hv1-hv2.json")
    assert rolling["finished"] is True and rolling["states"] == {"hv1": "done", "hv2": "done"}, rolling
    for vm, hv in STARTS.items():
        evacuation = report(reports, "evacuation-{0}.json".format(hv))
        back = report(reports, "return-{0}.json".format(hv))
        # the evacuation moved the VM off its hypervisor onto one of the other two, and the return brought it back
        assert evacuation["source"] == hv and list(evacuation["vms"]) == [vm], evacuation
        went = evacuation["vms"][vm]
        assert went["outcome"] == "migrated" and went["destination"] in {"hv1", "hv2", "hv3"} - {hv}, went
        assert went["report"]["runs_on"] == went["destination"]
        assert back["source"] == hv and back["vms"][vm]["from"] == went["destination"], back
        assert back["vms"][vm]["outcome"] == "migrated" and back["vms"][vm]["report"]["runs_on"] == hv, back
        assert rolling["evacuations"][hv]["moved"] == [vm] and rolling["returns"][hv]["returned"] == [vm]
        # the maintenance ran on the hypervisor, between the VM's departure and its return, while it ran no domain
        found = marker(lab, hv)
        assert found["hypervisor"] == hv and found["evacuated"] == hv and found["running"] == [], found
        departed = float(went["report"]["started"]) + float(went["report"]["wall_seconds"])
        assert departed <= found["time"] <= float(back["vms"][vm]["report"]["started"]), (departed, found, back)
    # one at a time: hv2's evacuation started after hv1 got its VM back
    hv1_back = report(reports, "return-hv1.json")["vms"]["vm1"]["report"]
    hv2_out = report(reports, "evacuation-hv2.json")["vms"]["vm2"]["report"]
    assert float(hv1_back["started"]) + float(hv1_back["wall_seconds"]) <= float(hv2_out["started"])
    assert_home(lab)


def test_a_failed_maintenance_ends_the_run_and_the_report_brings_the_vms_back(lab, tmp_path):
    reports = tmp_path / "reports"
    failing = tasks_file(tmp_path, "failing.yml", FAILING)
    started = time.monotonic()
    rc, output = run(lab, "rolling_maintenance.yml", {"group": ["hv1", "hv2"], "maintenance_tasks": str(failing),
                                                      "migrate_pf": "pf0"}, reports)
    TIMINGS["rolling maintenance stopped at hv1"] = round(time.monotonic() - started, 1)
    assert rc != 0 and "nflab: this maintenance fails" in output, output[-6000:]
    rolling = report(reports, "rolling-hv1-hv2.json")
    assert rolling["finished"] is False and rolling["states"] == {"hv1": "maintaining", "hv2": "pending"}, rolling
    # hv2 untouched: no evacuation of it, vm2 still there; vm1 where hv1's evacuation put it
    assert not (reports / "evacuation-hv2.json").exists() and not (reports / "return-hv1.json").exists()
    assert lab.hypervisor_running("vm2") == "hv2"
    went = report(reports, "evacuation-hv1.json")["vms"]["vm1"]
    assert went["outcome"] == "migrated" and lab.hypervisor_running("vm1") == went["destination"]

    # the operator brings vm1 back with the evacuation's report file
    started = time.monotonic()
    rc, output = run(lab, "return_evacuated.yml", {"evacuation_report": str(reports / "evacuation-hv1.json"),
                                                   "migrate_pf": "pf0"}, reports)
    TIMINGS["return vm1 from its report"] = round(time.monotonic() - started, 1)
    assert rc == 0, output[-6000:]
    back = report(reports, "return-hv1.json")
    assert back["evacuation_report"] == str(reports / "evacuation-hv1.json")
    assert back["vms"]["vm1"]["outcome"] == "migrated" and back["not_moved"] == {}, back
    assert_home(lab)
