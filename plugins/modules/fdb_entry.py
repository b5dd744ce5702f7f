#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: fdb_entry
short_description: Remove or add a bridge FDB entry for a MAC address on a port
version_added: 0.1.0
description:
  - Removes (O(state=absent)) or adds (O(state=present)) the forwarding database entry for O(mac) on O(port), as the
    seed's C(bridge fdb del $MAC dev $PF master) does before the VF of a STANDBY pair is unplugged.
  - While the VF carries the guest's traffic, the host bridge learns the guest's MAC on the PF's port. Removing that
    entry makes the bridge flood frames for the guest until it learns the MAC on the standby's tap.
  - Reads the entries with C(bridge -j fdb show dev PORT) first; changes them with C(bridge fdb del MAC dev PORT master)
    and C(bridge fdb replace MAC dev PORT master FLAVOUR), each with C(vlan N) when the entry is in a VLAN. C(replace)
    rather than C(add), because C(add) fails with C(File exists) when the bridge has the MAC on another port;
    C(replace) moves the entry to O(port).
  - B(VLANs.) An entry is one MAC in one VLAN. The module reads the bridge's C(vlan_filtering) (C(ip -d -j link show
    dev BRIDGE)). A bridge without VLAN filtering looks every frame up without a VLAN, so the entry has none (O(vlan)
    is refused there). A bridge with VLAN filtering looks the guest's frames up in their VLAN, so the entry must be in
    it, given by O(vlan) or by O(vlan_from), a port whose PVID (C(bridge -j vlan show dev PORT)) is that VLAN. With
    neither, O(state=present) is refused rather than pinned in the wrong VLAN (without C(vlan) the kernel would write
    the entry into every VLAN of the port and VLAN 0); O(state=absent) then removes the MAC's entries in every VLAN of
    O(port).
  - B(Open vSwitch) is not supported. A port of an Open vSwitch datapath (master C(ovs-system), or slave kind
    C(openvswitch) in C(ip -d link show)) is refused with O(master=true), also in check mode, and nothing is changed.
    Open vSwitch forwards by its flow tables, not by a Linux bridge's FDB; steer the MAC with OpenFlow rules
    (C(ovs-ofctl)) instead, or run the migrate role without C(migrate_pf) so that its FDB steps are skipped.
  - Runs on the hypervisor (it needs iproute2's C(ip) and C(bridge) there); it does not use libvirt.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: Reads the entries and reports the commands it would run.
  diff_mode:
    support: full
    details: Shows the matching entries before and after.
  idempotent:
    support: full
    details: >-
      Per MAC and VLAN: nothing is run when no entry exists (V(absent)) or the entry exists with O(flavour) and
      O(sticky) in the entry's VLAN (V(present)). A bridge can learn a deleted dynamic entry back at once from traffic
      that still arrives on the port; the module then warns.
options:
  mac:
    description:
      - The MAC address, for example the guest's (the standby's and the VF's) MAC.
    type: str
    required: true
  port:
    description:
      - The port whose entry is managed, for example C(pf0), the PF's port on the host bridge.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the entry for O(mac) on O(port) in the entry's VLAN (without one, in every VLAN, as one
        C(bridge fdb del) without C(vlan) removes them all); V(present) makes sure there is one of O(flavour) in the
        entry's VLAN.
    type: str
    choices: [present, absent]
    default: present
  master:
    description:
      - V(true) manages the entry in the FDB of the bridge O(port) belongs to (the C(master) keyword of C(bridge fdb)).
      - V(false) manages the port device's own FDB (the C(self) keyword), for example a NIC's embedded switch.
    type: bool
    default: true
  flavour:
    description:
      - The kind of entry O(state=present) adds.
      - V(static) is forwarded to O(port) and never ages out; this is what steers the guest's traffic to a port.
      - V(permanent) with O(master=true) makes a B(local) entry, which the bridge delivers to the host itself instead of
        forwarding it to the port; rarely what you want for a guest's MAC.
      - V(dynamic) ages out like a learned entry.
    type: str
    choices: [static, permanent, dynamic]
    default: static
  sticky:
    description:
      - With O(state=present), the bridge keeps the entry on O(port) even when it sees O(mac) arrive on another port
        (C(bridge fdb ... sticky)); a plain V(static) entry moves with learning.
    type: bool
    default: false
  vlan:
    description:
      - The VLAN ID of the entry on a bridge that filters VLANs (C(vlan_filtering 1)), the VLAN the guest's frames are
        in on that bridge.
      - Omitted, the VLAN comes from O(vlan_from) when the bridge filters VLANs, and the entry has no VLAN when it does
        not. Refused on a bridge that does not filter VLANs, where an entry in a VLAN never steers a frame.
      - With O(master=false), added to the device's own FDB command as given.
    type: int
  vlan_from:
    description:
      - A port of the same bridge, usually the guest's standby tap, whose PVID (the VLAN of its untagged frames) gives
        the entry's VLAN when the bridge filters VLANs. Ignored on a bridge that does not filter VLANs.
      - Refused when it is not a port of O(port)'s bridge or has no PVID. Needs O(master=true).
    type: str
seealso:
  - module: netfailover.standby.primary_device
  - name: bridge(8)
    description: iproute2's bridge tool.
    link: https://man7.org/linux/man-pages/man8/bridge.8.html
"""

EXAMPLES = r"""
- name: Remove the PF's learned entry for the guest MAC before the VF goes away (the seed's bridge fdb del)
  netfailover.standby.fdb_entry:
    mac: "52:54:00:6c:00:01"
    port: pf0
    state: absent

- name: Pin the guest MAC to the standby's tap with a static entry
  netfailover.standby.fdb_entry:
    mac: "52:54:00:6c:00:01"
    port: vnet0
    state: present
    flavour: static

- name: Pin the guest MAC to the PF's port, in the VLAN of the guest's tap (the tap's PVID on a bridge with vlan_filtering)
  netfailover.standby.fdb_entry:
    mac: "52:54:00:6c:00:01"
    port: pf0
    vlan_from: vnet0
    flavour: static
    sticky: true

- name: The same with the VLAN given
  netfailover.standby.fdb_entry:
    mac: "52:54:00:6c:00:01"
    port: pf0
    vlan: 10
    flavour: static
    sticky: true
"""

RETURN = r"""
mac:
  description: The MAC address, normalised.
  returned: always
  type: str
  sample: "52:54:00:6c:00:01"
port:
  description: The port.
  returned: always
  type: str
  sample: pf0
bridge:
  description: The bridge O(port) belongs to (null with O(master=false)).
  returned: success
  type: str
  sample: br0
vlan:
  description: The VLAN of the entry (from O(vlan) or O(vlan_from)); null when it has none (a bridge without VLAN
    filtering, O(state=absent) in every VLAN).
  returned: success
  type: int
  sample: 10
state:
  description: The requested state.
  returned: success
  type: str
  sample: absent
entries_before:
  description: The entries for O(mac) on O(port) before the module ran (in the entry's VLAN; without one, in every VLAN).
  returned: success
  type: list
  elements: dict
  sample: [{"mac": "52:54:00:6c:00:01", "flavour": "dynamic", "vlan": null, "bridge": "br0", "flags": []}]
entries_after:
  description: The entries afterwards (in check mode, what they would be).
  returned: success
  type: list
  elements: dict
  sample: []
commands:
  description: The commands run (in check mode, the commands that would run), each an argv list.
  returned: success
  type: list
  elements: list
  sample: [["/usr/sbin/bridge", "fdb", "del", "52:54:00:6c:00:01", "dev", "pf0", "master"]]
"""

from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import FdbEntry
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "mac": {"type": "str", "required": True},
        "port": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "master": {"type": "bool", "default": True},
        "flavour": {"type": "str", "choices": ["static", "permanent", "dynamic"], "default": "static"},
        "sticky": {"type": "bool", "default": False},
        "vlan": {"type": "int"},
        "vlan_from": {"type": "str"},
    }


def run(module):
    params = module.params
    ansible = module.module
    entry = FdbEntry(ansible.run_command, params["mac"], params["port"], params["state"], master=params["master"],
                     flavour=params["flavour"], sticky=params["sticky"], bridge=ansible.get_bin_path("bridge", required=True),
                     ip=ansible.get_bin_path("ip", required=True), vlan=params["vlan"], vlan_from=params["vlan_from"])
    try:
        result = entry.run(check_mode=module.check_mode)
    finally:
        for warning in entry.warnings:
            ansible.warn(warning)
    if module.diff_mode:
        result["diff"] = {"before": {"entries": result["entries_before"]}, "after": {"entries": result["entries_after"]}}
    return result


def main():
    module = LibvirtModule(argument_spec=argument_spec(), mutually_exclusive=[("vlan", "vlan_from")], supports_check_mode=True,
                           needs_libvirt=False, connection_options=False)
    module.run(run)


if __name__ == "__main__":
    main()
