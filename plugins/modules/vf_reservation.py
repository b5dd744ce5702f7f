#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: vf_reservation
short_description: Reserve a free SR-IOV VF of a PF for a VM, or release the VM's reservations
version_added: 0.1.0
description:
  - With O(state=present), picks the first VF of the PF netdev O(pf) (in VF number order) that no domain at O(uri) uses,
    defined or running, and that no other run has reserved, and reserves it for O(vm). With O(state=absent), releases
    every reservation of O(vm).
  - A reservation is a directory C(vf-<PCI address>) in O(directory) with a file C(owner) naming the VM, beside the
    migrate role's per-VM locks. C(mkdir) is atomic, so two runs that choose at the same moment get two different VFs.
    M(netfailover.standby.vf_info) reports reservations; a reservation left by a run that was killed can be removed by
    hand (the error message names the folders).
  - Idempotent - a VM that already holds a reservation on the PF keeps it (with O(addresses), the ones it holds of
    those).
  - The migrate role reserves the destination's VF in its preflight for a VF at a fixed host PCI address
    (C(<interface type='hostdev'>)) and releases it when the run ends, when the domain owns the VF (or the run failed).
    A VF pool (a libvirt network with C(<forward mode='hostdev'>)) needs no reservation - libvirt allocates the VF when
    the device is plugged.
  - B(Not exercised on SR-IOV hardware.) Unit-tested on fake sysfs trees with the kernel's layout and libvirt's test
    driver; the project's lab runs it against a fake sysfs tree (O(sysfs_root)) on its hypervisors.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: Reports the VF it would reserve (or the reservations it would release) and creates nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  pf:
    description:
      - The PF netdev whose VFs are candidates, for example C(enp59s0f0). Required with O(state=present).
    type: str
  addresses:
    description:
      - Reserve exactly these VFs of O(pf) (PCI addresses, for example the ones the filter
        P(netfailover.standby.evacuation_plan#filter) chose), all or none, instead of the first free one. With
        O(state=present) only.
      - Refused, with nothing changed, when one of them is not a VF of O(pf), a domain has it (defined or running) or
        another owner's reservation holds it - the message names the owner. The reservations O(vm) holds already are
        kept; its other reservations on O(pf)'s VFs are released, so that it holds exactly these.
    type: list
    elements: str
  vm:
    description:
      - The VM (libvirt domain name) the VF is for.
    type: str
    required: true
  directory:
    description:
      - The folder of the reservations (the migrate role's lock folder).
    type: path
    default: /run/netfailover.standby/locks
  state:
    description:
      - V(present) reserves a VF; V(absent) releases the VM's reservations.
    type: str
    choices: [present, absent]
    default: present
  sysfs_root:
    description:
      - Where sysfs is mounted. Only tests change it (a fake tree with the kernel's layout).
    type: path
    default: /sys
seealso:
  - module: netfailover.standby.vf_info
  - module: netfailover.standby.vf_mac
"""

EXAMPLES = r"""
- name: Reserve a free VF of enp59s0f0 for vm1 on the destination
  netfailover.standby.vf_reservation:
    pf: enp59s0f0
    vm: vm1
  register: vf
  delegate_to: hv2

- name: Reserve the VF the evacuation plan chose for vm1
  netfailover.standby.vf_reservation:
    pf: enp59s0f0
    vm: vm1/ua-primary0
    addresses: ["0000:3b:02.3"]
  delegate_to: hv2

- name: Release it when the run ends
  netfailover.standby.vf_reservation:
    vm: vm1
    state: absent
  delegate_to: hv2
"""

RETURN = r"""
address:
  description: The reserved VF's PCI address (with O(state=present); in check mode, the VF it would reserve); the first
    of O(addresses) when they are given.
  returned: state is present
  type: str
  sample: "0000:3b:02.5"
pf:
  description: Its PF netdev.
  returned: state is present
  type: str
  sample: enp59s0f0
vf:
  description: Its VF number on the PF.
  returned: state is present
  type: int
  sample: 5
reserved:
  description: The reservation folder.
  returned: state is present
  type: str
  sample: /run/netfailover.standby/locks/vf-0000:3b:02.5
addresses:
  description: The VFs reserved, sorted (in check mode, the ones it would reserve).
  returned: O(addresses) is given
  type: list
  elements: str
  sample: ["0000:3b:02.3"]
released:
  description: The addresses whose reservations were released (with O(state=absent); with O(addresses), the other VFs
    of O(pf) the VM held).
  returned: state is absent, or O(addresses) is given
  type: list
  elements: str
  sample: ["0000:3b:02.5"]
"""

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.host import vf_reservation
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "pf": {"type": "str"},
        "addresses": {"type": "list", "elements": "str"},
        "vm": {"type": "str", "required": True},
        "directory": {"type": "path", "default": "/run/netfailover.standby/locks"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "sysfs_root": {"type": "path", "default": sriov.SYSFS_ROOT},
    }


def run(module):
    params = module.params
    if params["state"] == "absent":
        return vf_reservation.release(params["directory"], params["vm"], check_mode=module.check_mode)
    vfs = sriov.pf_vfs(params["pf"], params["sysfs_root"])
    if params["addresses"] is not None:
        return vf_reservation.reserve_addresses(vfs, sriov.vf_owners(module.connection), params["directory"], params["vm"],
                                                params["addresses"], check_mode=module.check_mode)
    return vf_reservation.reserve(vfs, sriov.vf_owners(module.connection), params["directory"], params["vm"],
                                  check_mode=module.check_mode)


def main():
    module = LibvirtModule(argument_spec=argument_spec(), required_if=[("state", "present", ["pf"])], supports_check_mode=True,
                           read_only=True)
    module.run(run)


if __name__ == "__main__":
    main()
