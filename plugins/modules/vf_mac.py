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
    of an SR-IOV VF, as the seed's C(ip link set $PF vf $N mac ...) does.
  - Name the VF by its PCI address (O(address), as the domain's C(<hostdev>) or C(<interface type='hostdev'>) source
    gives it); the module finds its PF netdev and VF number through sysfs (C(/sys/bus/pci/devices/ADDR/physfn), the PF's
    C(virtfnN) links and C(net/)) and returns them. O(pf) with O(vf) (the seed's style) names it by PF and number.
  - B(It refuses to change a VF that another domain uses.) Before anything is changed, it reads the persistent and the live
    XML of every domain at O(uri), defined or running (C(<hostdev type='pci'>) and C(<interface type='hostdev'>) sources, and
    the VF libvirt allocated from a hostdev network), and fails naming the domain when a domain other than O(domain) uses
    the VF. O(check_owners=false) skips this check, and only then does the module run without libvirt-python.
  - A guest's net_failover driver enslaves a VF as the primary only when the MAC the VF driver reads at probe time is the
    standby's MAC, so set it B(before) the VF is attached; clear it after the VF was detached.
  - Reads the current value first from the PF's C(vfinfo_list) in C(ip -j link show dev PF) and runs
    C(ip link set dev PF vf N mac MAC) only when it differs; reads it back afterwards.
  - The NIC's e-switch mode does not matter here. In C(legacy) mode the NIC steers frames to the VF by this MAC; in
    C(switchdev) mode (C(devlink dev eswitch show pci/PF)) each VF has a representor netdev on the host and forwarding is the
    host bridge's or Open vSwitch's, but the VF's admin MAC is still set through the PF (its uplink netdev), which is the
    netdev this module uses; representors are not taken for the PF.
  - For C(<interface type='hostdev'>) devices and VFs from a hostdev network, libvirt sets the VF MAC itself before it
    plugs the VF and restores the previous one when it unplugs it; a plain C(<hostdev>) VF needs this module (set it before
    the attach, clear it after the detach).
  - B(Not exercised on SR-IOV hardware.) The sysfs walk is unit-tested on fake sysfs trees built with the kernel's layout,
    the domains' use of VFs against libvirt's test driver and a live XML sample, the commands and the parsing of
    C(ip -j link) output against realistic samples; the project's lab has no SR-IOV NIC, so there the module was only
    run against a PF without VFs (the error path).
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: Reads the current MAC and the domains' use of the VF and reports the command it would run.
  diff_mode:
    support: full
    details: Shows the VF's MAC before and after.
  idempotent:
    support: full
    details: Nothing is run when the VF already has the MAC.
options:
  address:
    description:
      - The VF's PCI address, for example C(0000:3b:02.1) (C(3b:02.1) is read as domain 0000).
      - Mutually exclusive with O(pf) and O(vf); one of O(address) and O(pf) is required.
    type: str
  pf:
    description:
      - The physical function's network device, for example C(enp66s0f0); with O(vf).
    type: str
  vf:
    description:
      - The VF number on O(pf) (C(vf) in C(ip link show)), not a PCI address; with O(pf).
    type: int
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
  domain:
    description:
      - The domain the VF belongs to or is for. Its own use of the VF (in its persistent or live definition) is not a
        conflict; without O(domain), any domain that uses the VF is.
    type: str
  check_owners:
    description:
      - Whether to refuse a VF that another domain uses (see the description). It needs libvirt-python and the libvirt
        connection O(uri), and, with O(pf) and O(vf), the VF's PCI address from sysfs.
      - V(false) skips the check, for a host without libvirt-python, where the operator vouches that no other domain
        uses the VF. The check is on by default because setting a MAC on another guest's VF breaks that guest's
        network without an error anywhere.
    type: bool
    default: true
notes:
  - The collection's migrate role always passes O(address), O(uri) and O(domain).
  - libvirt-python is only needed with O(check_owners=true).
seealso:
  - module: netfailover.standby.vf_info
  - module: netfailover.standby.primary_device
  - name: ip-link(8)
    description: The C(vf) options of C(ip link set).
    link: https://man7.org/linux/man-pages/man8/ip-link.8.html
"""

EXAMPLES = r"""
- name: Give the destination's VF the guest's MAC before attaching it (it must not be another domain's VF)
  netfailover.standby.vf_mac:
    address: "0000:3b:02.5"
    domain: vm1
    mac: "52:54:00:00:12:53"

- name: Clear the source VF's MAC after the VF was unplugged (the seed's ZERO_MAC)
  netfailover.standby.vf_mac:
    address: "0000:3b:02.1"
    domain: vm1
    state: absent

- name: The seed's style, on a host without libvirt-python
  netfailover.standby.vf_mac:
    pf: enp66s0f0
    vf: 5
    mac: "52:54:00:00:12:53"
    check_owners: false
"""

RETURN = r"""
address:
  description: The VF's PCI address (with O(pf) and O(vf) and O(check_owners=false) it is not looked up, and null).
  returned: always
  type: str
  sample: "0000:3b:02.5"
pf:
  description: The PF's netdev (with O(address), as found in sysfs).
  returned: always
  type: str
  sample: enp66s0f0
vf:
  description: The VF number on the PF (with O(address), as found in sysfs).
  returned: always
  type: int
  sample: 5
owners:
  description: The domains whose persistent or live definition uses the VF, O(domain) included.
  returned: with O(check_owners=true)
  type: list
  elements: str
  sample: [vm1]
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

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.host.vf_mac import VfMac

SYSFS_ROOT = sriov.SYSFS_ROOT


def argument_spec():
    return {
        "address": {"type": "str"},
        "pf": {"type": "str"},
        "vf": {"type": "int"},
        "mac": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "domain": {"type": "str"},
        "check_owners": {"type": "bool", "default": True},
    }


def owners_reader(module):
    """sriov.vf_owners at the module's uri, read when called: the connection opens only once the VF is known."""
    return lambda: sriov.vf_owners(module.connection)


def run(module):
    params = module.params
    ansible = module.module
    owners = None
    if params["check_owners"]:
        module.require_libvirt()
        owners = owners_reader(module)
    vf = VfMac(ansible.run_command, params["pf"], params["vf"], state=params["state"], mac=params["mac"],
               ip=ansible.get_bin_path("ip", required=True), address=params["address"], owners=owners,
               domain=params["domain"], sysfs_root=SYSFS_ROOT)
    result = vf.run(check_mode=module.check_mode)
    if module.diff_mode:
        result["diff"] = {"before": {"mac": result["mac_before"]}, "after": {"mac": result["mac"]}}
    return result


def main():
    module = LibvirtModule(argument_spec=argument_spec(), mutually_exclusive=[("address", "pf"), ("address", "vf")],
                           required_one_of=[("address", "pf")], required_together=[("pf", "vf")],
                           required_if=[("state", "present", ["mac"])], supports_check_mode=True, needs_libvirt=False,
                           read_only=True)
    module.run(run)


if __name__ == "__main__":
    main()
