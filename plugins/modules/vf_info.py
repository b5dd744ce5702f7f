#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: vf_info
short_description: List the SR-IOV VFs of a PF or of a libvirt hostdev network, which domain uses each, and the free ones
version_added: 0.1.0
description:
  - Lists the VFs of a PF netdev (O(pf)), of a libvirt VF pool (O(network), a network with C(<forward mode='hostdev'>)), or
    one VF (O(address)), each with its PCI address, PF, VF number, administrative MAC, the domains that use it, its
    reservation, and whether it is free.
  - A VF is free when no domain at O(uri), defined or running, uses it (its persistent or live XML has it as a
    C(<hostdev type='pci'>) or C(<interface type='hostdev'>) source, or libvirt allocated it to an
    C(<interface type='network'>) from a hostdev network) and no reservation in O(reservation_dir) holds it.
  - A MAC on a VF does not make it used. The MAC a VF keeps after its guest is gone (a stale MAC) is only the PF's
    setting; M(netfailover.standby.vf_mac) overwrites it.
  - The VFs of a PF come from sysfs (C(/sys/class/net/PF/device/virtfnN), C(sriov_numvfs)); a PF's admin MACs from the
    C(vfinfo_list) of C(ip -j link show dev PF), and are null when that cannot be read. The module changes nothing.
  - The collection's migrate role calls it on the destination before a migration to pick the first free VF.
  - B(Not exercised on SR-IOV hardware.) It is unit-tested on fake sysfs trees built with the kernel's layout, against
    libvirt's test driver, and on a live XML sample of a VF allocated from a hostdev network; the project's lab has no
    SR-IOV NIC.
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
  pf:
    description:
      - A PF's netdev, for example C(enp59s0f0), to list its enabled VFs. Exactly one of O(pf), O(network), O(address) and
        O(domain).
    type: str
  network:
    description:
      - A libvirt network with C(<forward mode='hostdev'>), to list the VFs of its C(<pf dev='...'/>) (through sysfs) or its
        C(<address>) entries. It must be active (libvirt allocates no VF from an inactive network).
    type: str
  address:
    description:
      - One VF's PCI address, for example C(0000:3b:02.1).
    type: str
  domain:
    description:
      - A domain, to list its VF devices (RV(devices)) instead of VFs - each C(<interface type='hostdev'>), PCI
        C(<hostdev>) and C(<interface type='network'>) on a VF pool of its persistent definition, and of its running
        one for a running domain, with the VF it holds and that VF's identity on this host.
      - The migrate role calls it on the source to tell a VF at a fixed address (C(kind=hostdev)) from a VF of a pool
        (C(kind=network)), since a running domain's XML shows a pool VF as C(type='hostdev') too.
    type: str
  sysfs_root:
    description:
      - Where sysfs is mounted, C(/sys) when not set. Only tests change it (a fake tree with the kernel's layout).
    type: path
  reservation_dir:
    description:
      - The directory of VF reservations. A reservation is a directory C(vf-<PCI address>) in it, for example
        C(vf-0000:3b:02.5) (made with C(mkdir), which is atomic, so two runs cannot take the same VF); it may hold a file
        C(owner) with the name of the VM it is for. A missing directory means no reservations.
    type: path
    default: /run/netfailover.standby/locks
seealso:
  - module: netfailover.standby.vf_mac
  - name: libvirt network XML format, hostdev forward mode
    description: A pool of SR-IOV VFs that libvirt allocates from.
    link: https://libvirt.org/formatnetwork.html#connectivity
"""

EXAMPLES = r"""
- name: Find a free VF of enp59s0f0 on the destination
  netfailover.standby.vf_info:
    pf: enp59s0f0
  register: destination_vfs
  delegate_to: hv2

- name: Refuse to go on when none is free
  ansible.builtin.assert:
    that: destination_vfs.free | length > 0
    fail_msg: "no free VF of enp59s0f0 on hv2: {{ destination_vfs.vfs | map(attribute='owners') | list }}"

- name: The VFs of a libvirt VF pool
  netfailover.standby.vf_info:
    network: sriov-pool
"""

RETURN = r"""
vfs:
  description: The VFs, in VF number order (by PF, then number, for a network that lists addresses).
  returned: O(domain) is not given
  type: list
  elements: dict
  contains:
    address:
      description: The VF's PCI address.
      type: str
      sample: "0000:3b:02.4"
    pf:
      description: Its PF's netdev.
      type: str
      sample: enp59s0f0
    vf:
      description: Its number on the PF.
      type: int
      sample: 4
    mac:
      description: Its administrative MAC as the PF reports it; null when it could not be read.
      type: str
      sample: "00:00:00:00:00:00"
    owners:
      description: The domains that use it, sorted.
      type: list
      elements: str
      sample: []
    reserved:
      description: Whether a reservation holds it.
      type: bool
      sample: false
    reserved_by:
      description: The VM its reservation is for (the reservation's C(owner) file); null when it is not reserved or the
        reservation names no VM.
      type: str
      sample: null
    free:
      description: Whether no domain uses it and no reservation holds it.
      type: bool
      sample: true
  sample:
    - {address: "0000:3b:02.4", pf: enp59s0f0, vf: 4, mac: "52:54:00:aa:00:04", owners: [], reserved: false,
       reserved_by: null, free: true}
devices:
  description: With O(domain), its VF devices, sorted by alias.
  returned: O(domain) is given
  type: list
  elements: dict
  contains:
    alias:
      description: The device's alias.
      type: str
      sample: ua-primary0
    kind:
      description: V(hostdev) (a VF at a fixed host PCI address) or V(network) (a VF of a libvirt hostdev network).
      type: str
      sample: network
    network:
      description: The network of a V(network) device; null otherwise.
      type: str
      sample: sriov-pool
    address:
      description: The host PCI address of the VF the device holds - the running domain's, else the definition's; null
        for a pool VF of a domain that is not running.
      type: str
      sample: "0000:3b:02.6"
    pf:
      description: The VF's PF netdev on this host; null when this host has no such VF (see RV(devices[].identity_error)).
      type: str
      sample: enp59s0f0
    vf:
      description: The VF's number on RV(devices[].pf).
      type: int
      sample: 6
    identity_error:
      description: Why sysfs gave no identity for RV(devices[].address); null when it did.
      type: str
      sample: null
    xml:
      description: The device as the persistent definition has it (a pool VF by network), the XML to attach it again.
      type: str
      sample: "<interface type='network'>...</interface>"
free:
  description: The PCI addresses of the free VFs, in the order of RV(vfs).
  returned: O(domain) is not given
  type: list
  elements: str
  sample: ["0000:3b:02.0", "0000:3b:02.4"]
"""

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.host.commands import CommandError
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import get_domain
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.host.vf_mac import admin_macs

SYSFS_ROOT = sriov.SYSFS_ROOT
SELECTORS = ("pf", "network", "address", "domain")


def argument_spec():
    return {
        "pf": {"type": "str"},
        "network": {"type": "str"},
        "address": {"type": "str"},
        "domain": {"type": "str"},
        "reservation_dir": {"type": "path", "default": "/run/netfailover.standby/locks"},
        "sysfs_root": {"type": "path"},
    }


def read_macs(module, pfs):
    """{pf: {vf number: admin MAC}}; a PF that cannot be read is left out, with a warning."""
    ansible = module.module
    ip = ansible.get_bin_path("ip")
    if not ip:
        ansible.warn("iproute2's ip is not installed on this host: the VFs' MACs are not reported.")
        return {}
    macs = {}
    for pf in pfs:
        try:
            macs[pf] = admin_macs(ansible.run_command, pf, ip)
        except CommandError as error:
            ansible.warn("The VFs' MACs of {0} are not reported: {1}".format(pf, error.message))
    return macs


def run(module):
    params = module.params
    sysfs_root = params["sysfs_root"] or SYSFS_ROOT
    if params["domain"]:
        devices = sriov.domain_vfs(get_domain(module.connection, params["domain"]), sysfs_root)
        return {"changed": False, "devices": devices}
    if params["pf"]:
        vfs = sriov.pf_vfs(params["pf"], sysfs_root)
    elif params["network"]:
        vfs = sriov.hostdev_network_vfs(module.connection, params["network"], sysfs_root)
    else:
        identity = sriov.vf_identity(params["address"], sysfs_root)
        vfs = [sriov.vf_entry(identity["pf"], identity["vf"], identity["address"])]
    rows = sriov.vf_table(vfs, sriov.vf_owners(module.connection), sriov.reservations(params["reservation_dir"]),
                          read_macs(module, sorted({vf["pf"] for vf in vfs})))
    return {"changed": False, "vfs": rows, "free": [row["address"] for row in rows if row["free"]]}


def main():
    module = LibvirtModule(argument_spec=argument_spec(), mutually_exclusive=[SELECTORS], required_one_of=[SELECTORS],
                           supports_check_mode=True, read_only=True)
    module.run(run)


if __name__ == "__main__":
    main()
