#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: hypervisor_capacity_info
short_description: Read what a hypervisor offers to VMs with STANDBY pairs (free VFs per pool, memory, CPU) and what its own need
version_added: 0.1.0
description:
  - Reads one hypervisor for the evacuation planner (the filter P(netfailover.standby.evacuation_plan#filter)) - its
    memory, its VF pools with their free, used and reserved VFs, and on request its running VMs with STANDBY pairs and
    what each needs (O(list_vms)), and whether it runs given VMs' CPUs (O(cpu_xml)). It changes nothing.
  - B(Memory.) C(total_mib) and C(free_mib) from libvirt's node memory statistics (the kernel's C(/proc/meminfo));
    C(free_mib) is what the kernel can give a new guest without swapping - free memory plus buffers and page cache.
    Where the driver has no node statistics, both come from the NUMA cells (node info, C(getFreeMemory)).
    C(committed_mib) is the memory of the running domains (their C(currentMemory)).
  - B(VF pools.) C(pf:<netdev>) for every PF with VFs enabled (sysfs C(sriov_numvfs), C(virtfnN) links; a PF in
    switchdev mode once, by its own netdev, not by its VF representors - legacy and switchdev VFs are counted the same)
    and for O(default_pf); C(network:<name>) for every libvirt network with C(<forward mode='hostdev'>) (a VF pool;
    its VFs from its C(<pf dev>) through sysfs or its C(<address>) list). A VF in both, a PF's and a network's, shows
    in both. A pool that cannot be read (O(default_pf) is no SR-IOV PF, a hostdev network is not active) has its
    C(error) and no VFs.
  - A VF is B(used) when a domain, defined or running, has it in its persistent or live XML (a C(<hostdev type='pci'>)
    or C(<interface type='hostdev'>) source, or the VF libvirt allocated to an C(<interface type='network'>) of a
    hostdev network) - as M(netfailover.standby.vf_info) counts; a VF in the definition of a domain that is shut off is
    not free, since starting that domain would take it. A VF is B(reserved) when a run of the migrate role in progress
    holds it (a C(vf-<address>) folder in O(reservation_dir), see M(netfailover.standby.vf_reservation)). B(Free) is
    neither.
  - B(VMs) (O(list_vms)) - the running domains with at least one STANDBY pair, each with its memory (C(currentMemory)),
    vCPUs, pairs and needs (VFs per pool). A pair's primary needs a VF of - its hostdev network
    (C(<interface type='network'>)); the PF sysfs names for its fixed address (C(<interface type='hostdev'>),
    C(<hostdev>)); else O(default_pf), for a primary the definition does not show as an SR-IOV VF (the project's lab
    emulates its VFs with a NIC model); without O(default_pf) such a primary needs no VF. A detached primary needs
    none either (the migrate role refuses such a VM).
  - B(CPU) (O(cpu_xml)) - each VM's C(<cpu>) compared with what this host gives a guest of that architecture and
    virtualization type (libvirt's C(compareHypervisorCPU), the check a migration makes; C(compareCPU) on libvirt
    older than 4.4). A VM with no CPU model (no C(<cpu>), or one without C(<model>) - QEMU's default model, as the
    lab's TCG guests run) is compatible, reason V(no CPU model to compare). C(host-passthrough) and C(maximum) are not
    compared (compatible, with a reason that says so) - they need the same CPU on both hosts.
  - B(On SR-IOV hardware) the pools come from the real sysfs and libvirt; B(in the project's lab) the hypervisors have
    no SR-IOV NIC and their VFs are emulated in a fake sysfs tree with the kernel's layout (O(sysfs_root)), the lab's
    QEMU hook reserving one for each guest that runs there. Unit-tested on such trees and a fake libvirt; run in the
    lab against its hypervisors' libvirtd.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  sysfs_root:
    description:
      - Where sysfs is mounted. Only tests and the lab change it (a fake tree with the kernel's layout).
    type: path
    default: /sys
  reservation_dir:
    description:
      - The folder of VF reservations (the migrate role's C(migrate_lock_dir)); a
        missing folder means none.
    type: path
    default: /run/netfailover.standby/locks
  default_pf:
    description:
      - The PF netdev whose VF a pair's primary needs when its definition does not show it as an SR-IOV VF (see the
        description); also read as a pool when it has VFs. The evacuation passes the migrate role's C(migrate_pf).
    type: str
  list_vms:
    description:
      - Return the running VMs with STANDBY pairs and their needs (RV(capacity.vms)).
    type: bool
    default: false
  cpu_xml:
    description:
      - VM name -> its C(<cpu>) XML from the source (the C(cpu_xml) of its RV(capacity.vms) entry there; empty or null
        for a VM without one), or that whole entry (then its architecture and virtualization type are used too).
        Each is compared on this host (RV(capacity.cpu)). Opens a read-write connection (libvirt refuses CPU
        comparisons on a read-only one).
    type: dict
    default: {}
seealso:
  - plugin: netfailover.standby.evacuation_plan
    plugin_type: filter
  - module: netfailover.standby.vf_info
  - module: netfailover.standby.vf_reservation
"""

EXAMPLES = r"""
- name: Read the source with its STANDBY VMs
  netfailover.standby.hypervisor_capacity_info:
    default_pf: enp59s0f0
    list_vms: true
  register: source
  delegate_to: hv1

- name: Read each destination, with the CPUs of the source's VMs compared there
  netfailover.standby.hypervisor_capacity_info:
    default_pf: enp59s0f0
    cpu_xml: "{{ source.capacity.vms | items2dict(key_name='name', value_name='cpu_xml') }}"
  register: destination
  delegate_to: "{{ item }}"
  loop: [hv2, hv3]

- name: Plan where each VM goes
  ansible.builtin.debug:
    msg: "{{ source.capacity.vms | netfailover.standby.evacuation_plan(dict(destination.results
             | map(attribute='item') | zip(destination.results | map(attribute='capacity')))) }}"
"""

RETURN = r"""
capacity:
  description: What the hypervisor offers and, with O(list_vms), what its VMs need.
  returned: always
  type: dict
  contains:
    hypervisor:
      description: The hypervisor's hostname, as libvirt reports it.
      type: str
      sample: hv2
    memory:
      description: C(total_mib), C(free_mib) (free, buffers and page cache) and C(committed_mib) (the running domains'
        memory), in MiB.
      type: dict
      sample: {total_mib: 15872, free_mib: 9120, committed_mib: 4096}
    pools:
      description: Pool (C(pf:<netdev>) or C(network:<name>)) -> C(total) (its VFs), C(free) (addresses, sorted),
        C(used) (address -> the domains that have it), C(reserved) (address -> the reservation's owner), C(error) (why
        it could not be read; null when it could).
      type: dict
      sample:
        "pf:enp59s0f0": {total: 8, free: ["0000:3b:02.0", "0000:3b:02.4"], used: {"0000:3b:02.1": [db1]},
                         reserved: {"0000:3b:02.5": vm2/ua-primary0}, error: null}
    vms:
      description: With O(list_vms), the running VMs with STANDBY pairs, sorted by name - C(name), C(memory_mib),
        C(vcpus), C(pairs) (each with C(mac), C(standby), C(primary), C(variant), C(kind), C(address), C(pool)),
        C(needs) (pool -> VFs), C(cpu_xml) (its C(<cpu>), null without one), C(arch), C(virt_type). Null without
        O(list_vms).
      type: list
      elements: dict
      sample:
        - name: vm1
          memory_mib: 256
          vcpus: 1
          pairs: [{mac: "52:54:00:6c:00:01", standby: ua-standby0, primary: ua-primary0, variant: manual,
                   kind: emulated, address: null, pool: "pf:pf0"}]
          needs: {"pf:pf0": 1}
          cpu_xml: null
          arch: x86_64
          virt_type: qemu
    cpu:
      description: VM -> C(compatible) (bool) and C(reason), for each VM of O(cpu_xml).
      type: dict
      sample: {vm1: {compatible: true, reason: no CPU model to compare}}
"""

from ansible_collections.netfailover.standby.plugins.module_utils.fleet import capacity
from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "sysfs_root": {"type": "path", "default": sriov.SYSFS_ROOT},
        "reservation_dir": {"type": "path", "default": "/run/netfailover.standby/locks"},
        "default_pf": {"type": "str"},
        "list_vms": {"type": "bool", "default": False},
        "cpu_xml": {"type": "dict", "default": {}},
    }


def run(module):
    params = module.params
    return {"changed": False, "capacity": capacity.capacity(
        module.connection, sysfs_root=params["sysfs_root"], reservation_dir=params["reservation_dir"],
        default_pf=params["default_pf"], list_vms=params["list_vms"], cpu_xml=params["cpu_xml"])}


def main():
    module = LibvirtModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.read_only = not module.params["cpu_xml"]  # libvirt compares CPUs on a read-write connection only
    module.run(run)


if __name__ == "__main__":
    main()
