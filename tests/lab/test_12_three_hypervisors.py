# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The three-hypervisor lab (issue 17): NFLAB_HYPERVISORS=3 (tools/lab.sh test's default) and the emulated VFs.

Each hypervisor's pf0 is an SR-IOV PF in an emulated sysfs tree (inventory: netfailover_sysfs_root, netfailover_vf_pf,
nflab_vfs) that vf_info reads; the hypervisors' qemu hook reserves one of its VFs for every lab guest that runs there, in
the collection's reservation folder, as "<domain>/ua-primary0". vm1 migrates hv1 -> hv3 -> hv1 with playbooks/migrate.yml
and its reservation follows it (released on the source). A destination whose VFs are all reserved (by a fake VM, with
vf_reservation) refuses the incoming migration: the role rolls back and vm1 runs on hv1, steady with its VF, reachable.
The inventory's guest entries reach vm1 through its agent (community.libvirt.libvirt_qemu) wherever it runs.
"""

import os
import time

import pytest

from conftest import VENV_BIN, run

VM = "vm1"
OWNER = VM + "/ua-primary0"
FAKE = "nflab-fake{0}/ua-primary0"  # the VMs that hold every VF of a full destination
TIMINGS = {}


@pytest.fixture(scope="module")
def three(lab):
    """The session's lab with at least three hypervisors and vm1 steady on hv1 (put back there at the end)."""
    if len(lab.facts["hypervisors"]) < 3:
        pytest.skip("the lab has {0} hypervisors: tools/lab.sh test brings up three (NFLAB_HYPERVISORS)".format(
            len(lab.facts["hypervisors"])))
    assert lab.hypervisor_running(VM) == "hv1", "the lab promises vm1 on hv1"
    yield lab
    where = lab.hypervisor_running(VM)
    if where not in ("hv1", None):
        migrate(lab, where, "hv1", lab.state / "test_12-back")
    print("\n" + "\n".join("{0}: {1} s".format(what, seconds) for what, seconds in TIMINGS.items()))


def hostvars(lab, hv):
    return lab.inventory["all"]["children"]["hypervisors"]["hosts"][hv]


def vf_info(lab, hv):
    """vf_info of the hypervisor's pf0, read in its emulated sysfs tree (the inventory's netfailover_sysfs_root)."""
    result = lab.ansible(hv, "netfailover.standby.vf_info", {"pf": hostvars(lab, hv)["netfailover_vf_pf"],
                                                             "sysfs_root": hostvars(lab, hv)["netfailover_sysfs_root"]})
    assert not result.get("failed"), result
    return result


def reserved(lab, hv):
    """{address: owner} of the reserved VFs of the hypervisor's pf0, as vf_info reports them."""
    return {vf["address"]: vf["reserved_by"] for vf in vf_info(lab, hv)["vfs"] if vf["reserved"]}


def wait_reserved(lab, hv, expected, timeout=120):
    """Until the hypervisor's reservations are ``expected`` (the source's QEMU ends, and its hook runs, as the migration
    completes: a state to wait on, bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        found = reserved(lab, hv)
        if found == expected:
            return
        assert time.monotonic() < deadline, "{0}'s reservations: {1}, expected {2}".format(hv, found, expected)
        time.sleep(2)


def migrate(lab, source, destination, report_dir):
    started = time.monotonic()
    result = lab.playbook("migrate.yml", {"vm": VM, "source": source, "destination": destination, "migrate_pf": "pf0"},
                          report_dir)
    TIMINGS["migrate.yml {0} -> {1} ({2})".format(source, destination, report_dir.name)] = round(time.monotonic() - started, 1)
    return result


def guest_raw(lab, command):
    """A raw command in vm1 through the lab's inventory (community.libvirt.libvirt_qemu), as an operator runs it."""
    env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
    return run([VENV_BIN / "ansible", "-i", lab.inventory_path, VM, "-m", "raw", "-a", command], env=env, timeout=300)


def test_the_lab_has_three_hypervisors_with_their_vfs(three):
    assert three.facts["hypervisors"][:3] == ["hv1", "hv2", "hv3"]
    for hv in three.facts["hypervisors"]:
        count = hostvars(three, hv)["nflab_vfs"]
        info = vf_info(three, hv)
        assert [(vf["pf"], vf["vf"], vf["address"]) for vf in info["vfs"]] == [
            ("pf0", n, "0000:3b:{0:02x}.{1}".format(2 + n // 8, n % 8)) for n in range(count)]
        # vm1 holds the first VF of hv1, where lab-up started it; nothing else is reserved anywhere
        expected = {"0000:3b:02.0": OWNER} if hv == "hv1" else {}
        assert {vf["address"]: vf["reserved_by"] for vf in info["vfs"] if vf["reserved"]} == expected, hv
        assert len(info["free"]) == count - len(expected)


def test_the_inventory_reaches_the_guest_through_its_agent(three):
    completed = guest_raw(three, "cat /proc/sys/kernel/hostname")
    assert completed.returncode == 0 and "vm1 | CHANGED | rc=0" in completed.stdout, completed.stdout + completed.stderr
    assert completed.stdout.split(">>", 1)[1].split() == [VM]


def test_vm1_migrates_hv1_hv3_hv1_and_its_reservation_follows(three, tmp_path):
    for source, destination in (("hv1", "hv3"), ("hv3", "hv1")):
        result = migrate(three, source, destination, tmp_path / destination)
        assert result.rc == 0 and result.report["outcome"] == "migrated", result.output[-3000:]
        assert result.report["runs_on"] == destination and result.report["final_state"] == "steady", result.report
        assert three.hypervisor_running(VM) == destination
        assert list(reserved(three, destination).values()) == [OWNER]
        wait_reserved(three, source, {})  # released with its QEMU on the source
        # the inventory's entry follows the guest: its agent, on the destination now
        completed = guest_raw(three, "cat /proc/sys/kernel/hostname")
        assert completed.returncode == 0 and completed.stdout.split(">>", 1)[1].split() == [VM], completed.stdout
        assert three.probe(VM, count=10)["received"] >= 10


def test_a_destination_without_a_free_vf_refuses_and_the_role_rolls_back(three, tmp_path):
    """hv3's VFs all held by fake VMs (vf_reservation, the collection's own reservations): hv3's hook refuses the
    incoming migration, the role rolls back, vm1 runs on hv1 with its VF, steady and reachable."""
    full = "hv3"
    count = hostvars(three, full)["nflab_vfs"]
    fakes = [FAKE.format(n) for n in range(count)]
    try:
        for fake in fakes:
            made = three.ansible(full, "netfailover.standby.vf_reservation", {
                "pf": "pf0", "vm": fake, "sysfs_root": hostvars(three, full)["netfailover_sysfs_root"]})
            assert made.get("changed"), made
        assert sorted(reserved(three, full).values()) == sorted(fakes)
        before = reserved(three, "hv1")
        result = migrate(three, "hv1", full, tmp_path / "full")
        assert result.rc != 0
        assert "no free VF of pf0 on hv3 for vm1/ua-primary0" in result.output, result.output[-3000:]
        assert result.report["outcome"] == "rolled_back", result.report["message"]
        assert "Rolled back: vm1 runs on hv1 with its VF" in result.report["message"]
        assert three.hypervisor_running(VM) == "hv1"
        assert three.failover("hv1", VM, expect=["steady"], timeout=60)["state"] == "steady"
        assert three.probe(VM, count=10)["received"] >= 10
        assert reserved(three, "hv1") == before == {"0000:3b:02.0": OWNER}  # vm1 kept its VF; hv3 took none for it
        assert sorted(reserved(three, full).values()) == sorted(fakes)
    finally:
        for fake in fakes:
            three.ansible(full, "netfailover.standby.vf_reservation", {"vm": fake, "state": "absent"})
    assert reserved(three, full) == {}
