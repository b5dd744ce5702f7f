# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hypervisor_capacity_info on the lab's hypervisors and the evacuation plan made from what it read (issue 17).

The module runs on each hypervisor over SSH against its libvirtd, as on real hosts. The VFs are the lab's emulated ones:
the hypervisors' fake sysfs trees (the inventory's netfailover_sysfs_root and netfailover_vf_pf, where the lab has
them), else a tree this test builds per hypervisor with the kernel's layout (tests/unit/plugins/sriov_host.py's builder:
PF pf0, VF n at 0000:3b:02.n). The source (where vm1 runs) lists vm1 with its pair, its primary counted in pf0's pool
(the lab's emulated VF: default_pf), and its memory as libvirt has it; the other hypervisor compares vm1's <cpu> (TCG
guests have no CPU model, or the one libvirt filled in) and is compatible; the plan from the two places vm1 there.
"""

import importlib.util
import json
import os
import shutil
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import LAB_STATE, REPO

sys.path.insert(0, os.environ.get("NFS_COLLECTIONS_ROOT", "/var/cache/netfailover.standby/collections"))
# pylint: disable=wrong-import-position
from ansible_collections.netfailover.standby.plugins.filter.evacuation_plan import evacuation_plan  # noqa: E402

_SPEC = importlib.util.spec_from_file_location("sriov_host", REPO / "tests" / "unit" / "plugins" / "sriov_host.py")
sriov_host = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sriov_host)

GUEST = "vm1"
PF = "pf0"
VFS = ["0000:3b:02.{0}".format(n) for n in range(8)]
WORK = LAB_STATE / "test_88"  # the hypervisors see the machine's /var/lib
TIMINGS = {}
CPU_REASONS = ("no CPU model to compare", "identical", "this host's CPU is a superset")


def ok(result):
    assert not result.get("failed"), result
    return result


@pytest.fixture(scope="module")
def hosts(lab):
    """{hv: module args} for the source (where vm1 runs: first) and the other hypervisor: the lab's VF trees, or fake
    ones built here (removed at the end)."""
    source = lab.hypervisor_running(GUEST)
    assert source, "{0} runs on no hypervisor of the lab".format(GUEST)
    others = sorted(hv for hv in lab.facts["uris"] if hv != source)
    shutil.rmtree(WORK, ignore_errors=True)
    found = {}
    try:
        for hv in [source] + others[:1]:
            variables = lab.inventory["all"]["children"]["hypervisors"]["hosts"][hv]
            if variables.get("netfailover_sysfs_root"):
                found[hv] = {"sysfs_root": variables["netfailover_sysfs_root"],
                             "default_pf": variables.get("netfailover_vf_pf", PF)}
            else:
                tree = sriov_host.FakeSysfs(WORK / "sys" / hv)
                tree.pf("0000:3b:00.0", "i40e", [PF], VFS, total=8, vf_drivers={n: "vfio-pci" for n in range(8)})
                found[hv] = {"sysfs_root": str(tree.root), "default_pf": PF,
                             "reservation_dir": str(WORK / "reservations" / hv)}
        yield found
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
        print("\ntest_88_capacity timings (s): " + json.dumps(TIMINGS))


def read(lab, hv, args, check=False):
    started = time.monotonic()
    result = ok(lab.ansible(hv, "netfailover.standby.hypervisor_capacity_info", args, check=check))
    TIMINGS["hypervisor_capacity_info on {0}{1}".format(hv, " (check mode)" if check else "")] = round(time.monotonic() - started, 2)
    assert result["changed"] is False
    return result["capacity"]


@pytest.fixture(scope="module")
def source(lab, hosts):
    hv = next(iter(hosts))
    return hv, read(lab, hv, dict(hosts[hv], list_vms=True))


def test_the_source_lists_vm1_with_its_pair_and_needs(lab, hosts, source):
    hv, capacity = source
    pool = "pf:" + hosts[hv]["default_pf"]
    assert capacity["memory"]["total_mib"] > 0 and 0 < capacity["memory"]["free_mib"] <= capacity["memory"]["total_mib"]
    assert capacity["pools"][pool]["total"] > 0 and capacity["pools"][pool]["error"] is None
    vms = {vm["name"]: vm for vm in capacity["vms"]}
    assert GUEST in vms, capacity["vms"]
    vm = vms[GUEST]
    (pair,) = vm["pairs"]
    mac = lab.inventory["all"]["children"]["guests"]["hosts"][GUEST]["nflab_mac"]
    assert (pair["mac"], pair["standby"], pair["primary"], pair["pool"]) == (mac, "ua-standby0", "ua-primary0", pool)
    assert vm["needs"] == {pool: 1}
    connection = lab.connect(hv)
    try:
        live = ET.fromstring(connection.lookupByName(GUEST).XMLDesc(0))
    finally:
        connection.close()
    memory = live.find("currentMemory")
    assert memory.get("unit") == "KiB" and vm["memory_mib"] == int(memory.text) // 1024
    assert vm["virt_type"] == live.get("type") and vm["arch"] == live.find("os/type").get("arch")
    # the module only reads: check mode gives the same
    assert read(lab, hv, dict(hosts[hv], list_vms=True), check=True)["vms"] == capacity["vms"]


def test_vm1s_cpu_is_compatible_on_the_other_hypervisor_and_the_plan_puts_it_there(lab, hosts, source):
    hv, capacity = source
    destination = list(hosts)[1]
    vm = next(vm for vm in capacity["vms"] if vm["name"] == GUEST)
    offered = read(lab, destination, dict(hosts[destination], cpu_xml={GUEST: vm}))
    assert offered["cpu"][GUEST]["compatible"] is True, offered["cpu"]
    assert offered["cpu"][GUEST]["reason"] in CPU_REASONS, offered["cpu"]
    plan = evacuation_plan([vm], {destination: offered}, memory_reserve_mib=64)
    assert plan["unplaced"] == [], plan
    (placement,) = plan["placements"]
    pool = "pf:" + hosts[destination]["default_pf"]
    assert (placement["vm"], placement["destination"]) == (GUEST, destination)
    assert placement["vfs"] == {pool: offered["pools"][pool]["free"][:1]}
    summary = plan["destinations"][destination]
    assert summary["free_after"][pool] == summary["free_before"][pool] - 1
    print("\nplan of {0} from {1}: {2}".format(GUEST, hv, json.dumps(plan)))
