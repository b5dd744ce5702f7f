# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hypervisor_capacity_info through its main(): the fake SR-IOV host of sriov_host (sysfs tree, reservations) with
domains and networks in a fake libvirt (node memory and CPU comparisons are not in libvirt's test driver): the pools
with their free, used and reserved VFs, the STANDBY VMs and their needs, the CPU check, and what is refused."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.fleet import capacity
from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.plugins.modules import hypervisor_capacity_info
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import (
    FakeConnection,
    FakeDomain,
    libvirt,
    libvirt_error,
)

STANDBY = ("<interface type='bridge'><mac address='{mac}'/><source bridge='br0'/><model type='virtio'/>"
           "<teaming type='persistent'/><alias name='ua-standby0'/></interface>")
TEAMED = "<teaming type='transient' persistent='ua-standby0'/><alias name='ua-primary0'/>"
CPU = '<cpu mode="custom" match="exact"><model fallback="forbid">Skylake-Server</model></cpu>'  # as ElementTree writes it


def vm_xml(name, primary, memory_kib=524288, cpu="", domain_type="kvm", vcpu="<vcpu placement='static'>2</vcpu>", mac="52:54:00:6c:00:01"):
    devices = (STANDBY.format(mac=mac) + primary.format(mac=mac)) if primary is not None else ""
    return ("<domain type='{0}'><name>{1}</name><memory unit='KiB'>1048576</memory><currentMemory unit='KiB'>{2}</currentMemory>"
            "{3}<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>{4}<devices>{5}</devices></domain>").format(
                domain_type, name, memory_kib, vcpu, cpu, devices)


def hostdev_primary(vf):
    return "<interface type='hostdev' managed='yes'><mac address='{mac}'/>" + host.source(host.VFS[vf]).replace(
        "<address ", "<address type='pci' ") + TEAMED + "</interface>"


POOL_PRIMARY = "<interface type='network'><mac address='{mac}'/><source network='vfpool'/>" + TEAMED + "</interface>"
EMULATED_PRIMARY = ("<interface type='bridge'><mac address='{mac}'/><source bridge='esw0'/><model type='vmxnet3'/>"
                    "<alias name='ua-primary0'/></interface>")


def domains():
    """vm1: a VF at a fixed address (VF 2) and a CPU model; vm2: a VF from the pool vfpool (libvirt allocated VF 6, its
    running XML shows it as type='hostdev'); vm3: the lab's emulated VF, 256 MiB, no <cpu>; web: running, no pair;
    db1: shut off, VF 1 in its definition."""
    return [
        FakeDomain("vm1", live=vm_xml("vm1", hostdev_primary(2), cpu=CPU)),
        FakeDomain("vm2", live=vm_xml("vm2", hostdev_primary(6), mac="52:54:00:6c:00:02"),
                   persistent=vm_xml("vm2", POOL_PRIMARY, mac="52:54:00:6c:00:02")),
        FakeDomain("vm3", live=vm_xml("vm3", EMULATED_PRIMARY, memory_kib=262144, domain_type="qemu",
                                      vcpu="<vcpu current='1'>2</vcpu>", mac="52:54:00:6c:00:03")),
        FakeDomain("web", live=vm_xml("web", None, memory_kib=1048576)),
        FakeDomain("db1", live=vm_xml("db1", "<hostdev mode='subsystem' type='pci' managed='yes'>" + host.source(host.VFS[1])
                                      + "</hostdev>"), active=False),
    ]


@pytest.fixture
def hv(tmp_path, monkeypatch):
    """The fake host: returns its connection; the module's base args are in ``hv.args``."""
    connection = FakeConnection(domains(), uri="qemu:///system")
    connection.networks = {
        "vfpool": (True, host.NETWORKS["vfpool"]),
        "vfpool-off": (False, host.NETWORKS["vfpool-off"]),
        "default": (True, "<network><name>default</name><forward mode='nat'/></network>"),
    }
    opened = []

    def open_connection(uri, read_only=False):
        opened.append(read_only)
        return connection

    monkeypatch.setattr(lc, "open_connection", open_connection)
    connection.opened = opened
    connection.args = {"sysfs_root": host.build_sysfs(tmp_path / "sys"), "reservation_dir": host.build_reservations(tmp_path / "locks")}
    return connection


def run(run_module, hv, **args):
    outcome = run_module(hypervisor_capacity_info.main, dict(hv.args, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is False
    return outcome.result["capacity"]


ENP59S0F0 = {"total": 8, "free": [host.VFS[n] for n in (0, 3, 4, 7)],
             "used": {host.VFS[1]: ["db1"], host.VFS[2]: ["vm1"], host.VFS[6]: ["vm2"]},
             "reserved": {host.VFS[5]: "vm2"}, "error": None}


def test_pools_and_memory(run_module, hv):
    hv.info[1] = 5337  # the NUMA cells of the lab's machine report less than /proc/meminfo: the statistics count
    found = run(run_module, hv, default_pf="pf0")
    assert found["hypervisor"] == "hv1"
    # free + buffers + cache (KiB) in MiB; the running domains' currentMemory
    assert found["memory"] == {"total_mib": 16000, "free_mib": (8192000 + 102400 + 1024000) // 1024,
                               "committed_mib": 512 + 512 + 256 + 1024}
    pools = found["pools"]
    assert sorted(pools) == ["network:vfpool", "network:vfpool-off", "pf:enp175s0f0np0", "pf:enp59s0f0", "pf:pf0"]
    assert pools["pf:enp59s0f0"] == ENP59S0F0
    assert pools["network:vfpool"] == ENP59S0F0  # the PF's VFs: the same VFs, the same owners
    # switchdev: one pool, named by the PF's own netdev, not its representors
    assert pools["pf:enp175s0f0np0"] == {"total": 2, "free": ["0000:af:00.2", "0000:af:00.3"], "used": {}, "reserved": {},
                                         "error": None}
    assert pools["network:vfpool-off"]["total"] == 0 and "defined but not active" in pools["network:vfpool-off"]["error"]
    assert pools["pf:pf0"]["total"] == 0 and pools["pf:pf0"]["error"].startswith("pf0 is not an SR-IOV PF")
    assert found["vms"] is None and found["cpu"] == {}
    assert hv.opened == [True]  # read-only without cpu_xml


def test_memory_without_node_statistics(run_module, hv):
    hv.memory_stats = None
    hv.free_memory = 3 * 1024 ** 3 + 1
    hv.info[1] = 5337
    memory = run(run_module, hv)["memory"]
    assert (memory["total_mib"], memory["free_mib"]) == (5337, 3072)


def test_the_standby_vms_and_their_needs(run_module, hv):
    vms = {vm["name"]: vm for vm in run(run_module, hv, list_vms=True, default_pf="pf0")["vms"]}
    assert sorted(vms) == ["vm1", "vm2", "vm3"]  # web has no pair, db1 does not run
    vm1, vm2, vm3 = vms["vm1"], vms["vm2"], vms["vm3"]
    assert (vm1["memory_mib"], vm1["vcpus"], vm1["needs"]) == (512, 2, {"pf:enp59s0f0": 1})
    assert vm1["pairs"] == [{"mac": "52:54:00:6c:00:01", "standby": "ua-standby0", "variant": "teaming", "primary": "ua-primary0",
                             "kind": "hostdev", "address": host.VFS[2], "pool": "pf:enp59s0f0"}]
    assert vm1["cpu_xml"] == CPU and (vm1["arch"], vm1["virt_type"]) == ("x86_64", "kvm")
    # a pool VF: its persistent definition tells it from a fixed one
    assert vm2["needs"] == {"network:vfpool": 1} and vm2["pairs"][0]["kind"] == "network"
    assert vm2["pairs"][0]["address"] == host.VFS[6]
    # the lab's emulated VF counts in default_pf's pool
    assert (vm3["memory_mib"], vm3["vcpus"], vm3["needs"], vm3["cpu_xml"]) == (256, 1, {"pf:pf0": 1}, None)
    assert vm3["pairs"][0]["kind"] == "emulated" and vm3["pairs"][0]["address"] is None


def test_without_default_pf_an_emulated_primary_needs_no_vf(run_module, hv):
    vms = {vm["name"]: vm for vm in run(run_module, hv, list_vms=True)["vms"]}
    assert vms["vm3"]["needs"] == {} and vms["vm3"]["pairs"][0]["pool"] is None
    assert "pf:pf0" not in run(run_module, hv)["pools"]


def incompatible(xml, _arch, _virt_type):
    if "Skylake" in xml:
        raise libvirt_error("the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f", 91)
    return capacity.CPU_IDENTICAL


@pytest.mark.parametrize("cpu_xml, expected", [
    ({"vm1": CPU}, {"vm1": {"compatible": False,
                            "reason": "the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f"}}),
    ({"vm9": "<cpu mode='custom' match='exact'><model>qemu64</model></cpu>"}, {"vm9": {"compatible": True, "reason": "identical"}}),
    ({"vm3": None, "vm4": "", "vm5": "<cpu mode='custom' match='exact'><topology sockets='1' cores='2' threads='1'/></cpu>"},
     {vm: {"compatible": True, "reason": "no CPU model to compare"} for vm in ("vm3", "vm4", "vm5")}),
    ({"vm6": "<cpu mode='host-model' check='partial'/>"}, {"vm6": {"compatible": True, "reason": "no CPU model to compare (mode host-model)"}}),
])
def test_cpu_compatibility(run_module, hv, cpu_xml, expected):
    hv.cpu_compare = incompatible
    assert run(run_module, hv, cpu_xml=cpu_xml)["cpu"] == expected
    assert hv.opened == [False]  # libvirt compares CPUs on a read-write connection only


def test_cpu_compared_in_the_vms_arch_and_type(run_module, hv):
    """The source's vms entry as the value: its arch and virtualization type (TCG: qemu) go to compareHypervisorCPU."""
    hv.cpu_compare = lambda _xml, _arch, _virt_type: capacity.CPU_SUPERSET
    entry = {"name": "vm7", "cpu_xml": CPU, "arch": "x86_64", "virt_type": "qemu"}
    found = run(run_module, hv, cpu_xml={"vm7": entry})["cpu"]
    assert found == {"vm7": {"compatible": True, "reason": "this host's CPU is a superset"}}
    assert hv.compared == [("compareHypervisorCPU", CPU, "x86_64", "qemu")]


def test_host_passthrough_is_not_compared(run_module, hv):
    found = run(run_module, hv, cpu_xml={"vm1": "<cpu mode='host-passthrough'/>"})["cpu"]["vm1"]
    assert found["compatible"] and found["reason"].startswith("not compared: mode host-passthrough")
    assert hv.compared == []


def test_compare_cpu_where_libvirt_has_no_hypervisor_comparison(run_module, hv, monkeypatch):
    calls = []

    def old_libvirt(*_args, **_kwargs):
        raise libvirt_error("this function is not supported by the connection driver", libvirt.VIR_ERR_NO_SUPPORT)

    monkeypatch.setattr(hv, "compareHypervisorCPU", old_libvirt)
    hv.cpu_compare = lambda xml, _arch, _virt_type: calls.append(xml) or capacity.CPU_IDENTICAL
    assert run(run_module, hv, cpu_xml={"vm1": CPU})["cpu"]["vm1"] == {"compatible": True, "reason": "identical"}
    assert calls == [CPU]


def test_a_comparison_libvirt_cannot_make_is_incompatible_with_its_reason(run_module, hv):
    def unknown(_xml, _arch, _virt_type):
        raise libvirt_error("internal error: Unknown CPU model Skylake-Server", libvirt.VIR_ERR_INTERNAL_ERROR)

    hv.cpu_compare = unknown
    found = run(run_module, hv, cpu_xml={"vm1": CPU})["cpu"]["vm1"]
    assert found == {"compatible": False, "reason": "Could not compare the CPU of vm1 with this hypervisor's: internal "
                                                    "error: Unknown CPU model Skylake-Server"}


@pytest.mark.parametrize("cpu_xml, message", [
    ({"vm1": "<cpu><model>qemu64</model>"}, "Could not parse the <cpu> XML of vm1"),
    ({"vm1": "<domain/>"}, "cpu_xml['vm1'] must be a <cpu> element, not <domain>."),
    ({"vm1": 3}, "cpu_xml['vm1'] must be the VM's <cpu> XML (a string) or its entry of capacity.vms"),
])
def test_bad_cpu_xml_is_a_clear_error(run_module, hv, cpu_xml, message):
    outcome = run_module(hypervisor_capacity_info.main, dict(hv.args, cpu_xml=cpu_xml))
    assert outcome.failed and outcome.result["msg"].startswith(message), outcome.result["msg"]


def test_check_mode_reads_the_same(run_module, hv):
    args = dict(hv.args, list_vms=True, default_pf="pf0")
    normal = run_module(hypervisor_capacity_info.main, args).result
    checked = run_module(hypervisor_capacity_info.main, dict(args, _ansible_check_mode=True)).result
    assert checked == normal
