# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What one hypervisor offers and what its STANDBY VMs need, for the evacuation planner (placement.py).

Offers: memory (libvirt's node info and memory statistics) and VF pools - every PF with VFs enabled ("pf:<netdev>",
from sysfs) and every libvirt hostdev network ("network:<name>"), each VF used (a domain's definition or running XML has
it, as sriov.vf_owners counts), reserved (a run's reservation folder) or free. Needs: the running domains with STANDBY
pairs, each pair's primary counted in the pool a destination must give it a VF from. CPU: whether this host runs a VM's
<cpu> (libvirt's compareHypervisorCPU, the check a migration makes).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pairs import pairs_of
from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    VIR_ERR_NO_SUPPORT,
    LibvirtCollectionError,
    error_code_of,
    libvirt_call,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domain_xml import parse
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domains import all_domains, domain_texts

KIB_PER_MIB = 1024
ALL_CELLS = -1  # VIR_NODE_MEMORY_STATS_ALL_CELLS
COMPARE_FAIL_INCOMPATIBLE = 1  # VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE: libvirt's error says which features lack
CPU_INCOMPATIBLE, CPU_IDENTICAL, CPU_SUPERSET = 0, 1, 2  # virCPUCompareResult
VIR_ERR_CPU_INCOMPATIBLE = 91
NO_CPU_MODEL = "no CPU model to compare"
# libvirt's memory units (docs/formatdomain: memory), in bytes
_UNITS = {"b": 1, "bytes": 1, "kb": 1000, "k": 1024, "kib": 1024, "mb": 1000 ** 2, "m": 1024 ** 2, "mib": 1024 ** 2,
          "gb": 1000 ** 3, "g": 1024 ** 3, "gib": 1024 ** 3, "tb": 1000 ** 4, "t": 1024 ** 4, "tib": 1024 ** 4}


def pf_pool(pf):
    return "pf:" + pf


def network_pool(network):
    return "network:" + network


# --- memory -----------------------------------------------------------------------------------------------------------


@libvirt_call("read the node info of the hypervisor")
def _node_info(connection):
    return connection.getInfo()


@libvirt_call("read the memory statistics of the hypervisor", missing_is_none=True, missing_codes=(VIR_ERR_NO_SUPPORT,))
def _memory_stats(connection):
    return connection.getMemoryStats(ALL_CELLS, 0)


@libvirt_call("read the free memory of the hypervisor")
def _free_memory(connection):
    return connection.getFreeMemory()


def memory(connection, domains=()):
    """{total_mib, free_mib, committed_mib}: total and free from libvirt's node memory statistics (the kernel's
    /proc/meminfo; free is what it can give a new guest without swapping: free memory plus buffers and page cache), else
    (a driver without them) from the node info and getFreeMemory (the NUMA cells' figures; both from one source, as
    some machines' NUMA cells report less than /proc/meminfo); committed the memory of the running domains ``domains``
    (vm entries) - a guest does not touch all of it at once, so the free figure alone can promise more than the running
    guests leave."""
    stats = _memory_stats(connection)
    if stats:
        total_mib = stats.get("total", 0) // KIB_PER_MIB
        free_mib = sum(stats.get(key, 0) for key in ("free", "buffers", "cached")) // KIB_PER_MIB
    else:
        total_mib = _node_info(connection)[1]  # libvirt-python gives MiB
        free_mib = _free_memory(connection) // (KIB_PER_MIB * KIB_PER_MIB)
    return {"total_mib": total_mib, "free_mib": free_mib, "committed_mib": sum(vm["memory_mib"] for vm in domains)}


def memory_mib(element):
    """MiB of a <memory>/<currentMemory> element (KiB when it has no unit), rounded up."""
    if element is None or not (element.text or "").strip():
        return 0
    factor = _UNITS.get((element.get("unit") or "KiB").lower())
    if factor is None:
        raise LibvirtCollectionError("Unknown memory unit {0!r} in <{1}>.".format(element.get("unit"), element.tag))
    size = int(element.text.strip()) * factor
    return -(-size // (KIB_PER_MIB * KIB_PER_MIB))


# --- VF pools ---------------------------------------------------------------------------------------------------------


def pool_entry(vfs, owners, reserved, error=None):
    """One pool: ``total`` VFs, ``free`` addresses (sorted), ``used`` {address: owners}, ``reserved`` {address: owner},
    and ``error`` (why the pool could not be read; None when it could)."""
    addresses = sorted(vf["address"] for vf in vfs)
    return {"total": len(addresses),
            "free": sorted(vf["address"] for vf in sriov.free_vfs(vfs, owners, reserved)),
            "used": {address: list(owners[address]) for address in addresses if owners.get(address)},
            "reserved": {address: reserved[address] for address in addresses if address in reserved},
            "error": error}


def pools(connection, sysfs_root=sriov.SYSFS_ROOT, reservation_dir=None, default_pf=None, owners=None):
    """{pool: pool_entry} of every PF with VFs enabled, of ``default_pf`` (an entry with its ``error`` when it is not
    such a PF) and of every hostdev network (an inactive one with its ``error``: libvirt allocates nothing from it)."""
    owners = sriov.vf_owners(connection) if owners is None else owners
    reserved = sriov.reservations(reservation_dir) if reservation_dir else {}
    found = {}
    names = sriov.sriov_pfs(sysfs_root)
    for pf in sorted(set(names) | ({default_pf} if default_pf else set())):
        try:
            found[pf_pool(pf)] = pool_entry(sriov.pf_vfs(pf, sysfs_root), owners, reserved)
        except LibvirtCollectionError as error:
            found[pf_pool(pf)] = pool_entry([], owners, reserved, error=error.message)
    for network in sriov.hostdev_networks(connection):
        try:
            found[network_pool(network)] = pool_entry(sriov.hostdev_network_vfs(connection, network, sysfs_root), owners, reserved)
        except LibvirtCollectionError as error:
            found[network_pool(network)] = pool_entry([], owners, reserved, error=error.message)
    return found


# --- the running domains and what they need ---------------------------------------------------------------------------


def _vcpus(root):
    vcpu = root.find("vcpu")
    if vcpu is None:
        return 1
    return int(vcpu.get("current") or (vcpu.text or "1").strip())


def _primary_pool(primary, vf, default_pf):
    """The pool a destination gives this primary a VF from: its hostdev network, the PF sysfs names for its fixed
    address, else ``default_pf`` (a primary the definition does not show as a VF sysfs knows: the lab's emulated VF); None
    when there is no default_pf for it (it needs no VF) or the VF is detached."""
    if primary is None:
        return None
    if vf is not None and vf["kind"] == "network" and vf["network"]:
        return network_pool(vf["network"])
    if vf is not None and vf["pf"]:
        return pf_pool(vf["pf"])
    return pf_pool(default_pf) if default_pf else None


def describe_vm(domain, root, sysfs_root=sriov.SYSFS_ROOT, default_pf=None):
    """A running domain (its live XML ``root``) as the planner sees it: name, memory_mib (currentMemory), vcpus, its
    pairs with each primary's pool, needs {pool: VFs}, and its <cpu> (cpu_xml, None without one) with the arch and the
    virtualization type (kvm, qemu for TCG) to compare it in."""
    name = domain.name()
    pairs = pairs_of(root)
    vfs = dict((vf["alias"], vf) for vf in sriov.domain_vfs(domain, sysfs_root)) if pairs else {}
    described, needs = [], {}
    for pair in pairs:
        primary = pair["primary"]
        vf = vfs.get(primary["alias"]) if primary else None
        pool = _primary_pool(primary, vf, default_pf)
        if pool:
            needs[pool] = needs.get(pool, 0) + 1
        described.append({"mac": pair["mac"], "standby": pair["standby"]["alias"], "variant": pair["variant"],
                          "primary": primary["alias"] if primary else None,
                          "kind": (vf["kind"] if vf else primary["kind"]) if primary else None,
                          "address": vf["address"] if vf else None, "pool": pool})
    cpu = root.find("cpu")
    os_type = root.find("os/type")
    current = root.find("currentMemory")
    return {"name": name, "memory_mib": memory_mib(current if current is not None else root.find("memory")),
            "vcpus": _vcpus(root), "pairs": described, "needs": needs,
            "cpu_xml": ET.tostring(cpu, encoding="unicode").strip() if cpu is not None else None,
            "arch": os_type.get("arch") if os_type is not None else None, "virt_type": root.get("type")}


@libvirt_call("read whether domain {name} runs", missing_is_none=True)
def _is_active(domain, name=None):  # pylint: disable=unused-argument
    return bool(domain.isActive())


def running_domains(connection, sysfs_root=sriov.SYSFS_ROOT, default_pf=None):
    """Every running domain described (describe_vm), sorted by name; domains that stop while being read are left out."""
    found = []
    for domain in all_domains(connection):
        name = domain.name()
        if not _is_active(domain, name=name):
            continue
        texts = domain_texts(domain, name=name)
        if texts:
            found.append(describe_vm(domain, parse(texts[-1], "XML of domain " + name), sysfs_root, default_pf))
    return sorted(found, key=lambda vm: vm["name"])


# --- CPU --------------------------------------------------------------------------------------------------------------


@libvirt_call("compare the CPU of {name} with this hypervisor's")
def _compare(connection, xml, arch=None, virt_type=None, name=None):  # pylint: disable=unused-argument
    """virCPUCompareResult and libvirt's reason for an incompatible CPU: compareHypervisorCPU (the CPU the hypervisor can
    give a guest of that arch and type, TCG included), compareCPU (the host's CPU) where libvirt has not got it (< 4.4)."""
    error_class = libvirt_connection.libvirt.libvirtError
    try:
        return connection.compareHypervisorCPU(None, arch, None, virt_type, xml, COMPARE_FAIL_INCOMPATIBLE), None
    except error_class as error:
        if error_code_of(error) == VIR_ERR_CPU_INCOMPATIBLE:
            return CPU_INCOMPATIBLE, error.get_error_message() or str(error)
        if error_code_of(error) != VIR_ERR_NO_SUPPORT:
            raise
    try:
        return connection.compareCPU(xml, COMPARE_FAIL_INCOMPATIBLE), None
    except error_class as error:
        if error_code_of(error) == VIR_ERR_CPU_INCOMPATIBLE:
            return CPU_INCOMPATIBLE, error.get_error_message() or str(error)
        raise


def _cpu_request(vm, value):
    """(cpu XML text or None, arch, virt_type) of a cpu_xml value: the <cpu> XML, or a VM's entry (describe_vm)."""
    if value is None or isinstance(value, str):
        return (value or "").strip() or None, None, None
    if isinstance(value, dict):
        return (value.get("cpu_xml") or "").strip() or None, value.get("arch"), value.get("virt_type")
    raise LibvirtCollectionError("cpu_xml[{0!r}] must be the VM's <cpu> XML (a string) or its entry of capacity.vms (a "
                                 "dict with cpu_xml, arch, virt_type), not {1}.".format(vm, type(value).__name__))


def cpu_compatibility(connection, vm, value):
    """{compatible, reason} of a VM's <cpu> on this host. A VM without a CPU model (no <cpu>, or one without <model>:
    QEMU's default model of the machine, such as TCG guests run) is compatible, reason "no CPU model to compare";
    host-passthrough and maximum are not compared (libvirt does not either: they need the same CPU on both hosts)."""
    xml, arch, virt_type = _cpu_request(vm, value)
    if xml is None:
        return {"compatible": True, "reason": NO_CPU_MODEL}
    root = parse(xml, "<cpu> XML of {0}".format(vm))
    if root.tag != "cpu":
        raise LibvirtCollectionError("cpu_xml[{0!r}] must be a <cpu> element, not <{1}>.".format(vm, root.tag))
    mode = root.get("mode", "custom")
    if mode in ("host-passthrough", "maximum"):
        return {"compatible": True, "reason": "not compared: mode {0} gives the guest the host's CPU; migrate it only "
                                              "between hosts with the same CPU, kernel and QEMU".format(mode)}
    model = root.find("model")
    if model is None or not (model.text or "").strip():
        return {"compatible": True, "reason": NO_CPU_MODEL + (" (mode {0})".format(mode) if mode != "custom" else "")}
    try:
        result, why = _compare(connection, xml, arch=arch, virt_type=virt_type, name=vm)
    except LibvirtCollectionError as error:
        return {"compatible": False, "reason": error.message}
    if result in (CPU_IDENTICAL, CPU_SUPERSET):
        return {"compatible": True, "reason": "identical" if result == CPU_IDENTICAL else "this host's CPU is a superset"}
    return {"compatible": False, "reason": why or "libvirt compared the CPU of {0} as incompatible".format(vm)}


# --- all of it --------------------------------------------------------------------------------------------------------


@libvirt_call("read the hostname of the hypervisor")
def _hostname(connection):
    return connection.getHostname()


def capacity(connection, sysfs_root=sriov.SYSFS_ROOT, reservation_dir=None, default_pf=None, list_vms=False, cpu_xml=None):
    """The module's ``capacity``: hypervisor, memory, pools, vms (with ``list_vms``; None without), cpu {vm: result}."""
    running = running_domains(connection, sysfs_root, default_pf)
    return {
        "hypervisor": _hostname(connection),
        "memory": memory(connection, running),
        "pools": pools(connection, sysfs_root, reservation_dir, default_pf),
        "vms": [vm for vm in running if vm["pairs"]] if list_vms else None,
        "cpu": dict((vm, cpu_compatibility(connection, vm, value)) for vm, value in sorted((cpu_xml or {}).items())),
    }
