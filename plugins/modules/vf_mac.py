#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: vf_mac
short_description: Set or clear the administrative MAC address of an SR-IOV VF on its PF
version_added: 0.1.0
description:
  - Sets (O(state=present)) or clears (O(state=absent), the zero MAC C(00:00:00:00:00:00)) the administrative MAC address
    of VF O(vf) of the physical function O(pf), as the seed's C(ip link set $PF vf $N mac ...) does.
  - A guest's net_failover driver enslaves a VF as the primary only when the MAC the VF driver reads at probe time is the
    standby's MAC, so set it B(before) the VF is attached; clear it after the VF was detached.
  - Reads the current value first from the PF's C(vfinfo_list) in C(ip -j link show dev PF) and runs
    C(ip link set dev PF vf N mac MAC) only when it differs; reads it back afterwards.
  - Runs on the hypervisor (it needs iproute2's C(ip) there); it does not use libvirt. For C(<interface type='hostdev'>)
    devices libvirt sets and restores the VF MAC itself; this module is for plain C(<hostdev>) VFs and for clean-up.
  - B(Not exercised on SR-IOV hardware.) The commands and the parsing of C(ip -j link) output are unit-tested against a
    realistic sample; the project's lab has no SR-IOV NIC, so there the module was only run against a PF without VFs
    (the error path).
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: Reads the current MAC and reports the command it would run.
  diff_mode:
    support: full
    details: Shows the VF's MAC before and after.
  idempotent:
    support: full
    details: Nothing is run when the VF already has the MAC.
options:
  pf:
    description:
      - The physical function's network device, for example C(enp66s0f0).
    type: str
    required: true
  vf:
    description:
      - The VF number on O(pf) (C(vf) in C(ip link show)), not a PCI address.
    type: int
    required: true
  mac:
    description:
      - The MAC address to set; required with O(state=present). Usually the guest's (the standby's) MAC.
    type: str
  state:
    description:
      - V(present) sets O(mac); V(absent) sets the zero MAC C(00:00:00:00:00:00).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: netfailover.standby.primary_device
  - name: ip-link(8)
    description: The C(vf) options of C(ip link set).
    link: https://man7.org/linux/man-pages/man8/ip-link.8.html
"""

EXAMPLES = r"""
- name: Give the destination's VF the guest's MAC before attaching it
  netfailover.standby.vf_mac:
    pf: enp66s0f0
    vf: 5
    mac: "52:54:00:00:12:53"

- name: Clear the source VF's MAC after the VF was unplugged (the seed's ZERO_MAC)
  netfailover.standby.vf_mac:
    pf: enp66s0f0
    vf: 5
    state: absent
"""

RETURN = r"""
pf:
  description: The PF.
  returned: always
  type: str
  sample: enp66s0f0
vf:
  description: The VF number.
  returned: always
  type: int
  sample: 5
state:
  description: The requested state.
  returned: success
  type: str
  sample: present
mac_before:
  description: The VF's MAC before the module ran.
  returned: success
  type: str
  sample: "00:00:00:00:00:00"
mac:
  description: The VF's MAC afterwards, as read back from the PF (in check mode, the MAC it would have).
  returned: success
  type: str
  sample: "52:54:00:00:12:53"
commands:
  description: The commands run (in check mode, that would run), each an argv list.
  returned: success
  type: list
  elements: list
  sample: [["/usr/sbin/ip", "link", "set", "dev", "enp66s0f0", "vf", "5", "mac", "52:54:00:00:12:53"]]
"""

from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.vf_mac import VfMac


def argument_spec():
    return {
        "pf": {"type": "str", "required": True},
        "vf": {"type": "int", "required": True},
        "mac": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }


def run(module):
    params = module.params
    ansible = module.module
    vf = VfMac(ansible.run_command, params["pf"], params["vf"], state=params["state"], mac=params["mac"],
               ip=ansible.get_bin_path("ip", required=True))
    result = vf.run(check_mode=module.check_mode)
    if module.diff_mode:
        result["diff"] = {"before": {"mac": result["mac_before"]}, "after": {"mac": result["mac"]}}
    return result


def main():
    module = LibvirtModule(argument_spec=argument_spec(), required_if=[("state", "present", ["mac"])],
                           supports_check_mode=True, needs_libvirt=False, connection_options=False)
    module.run(run)


if __name__ == "__main__":
    main()
