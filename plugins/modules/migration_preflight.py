#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: migration_preflight
short_description: Check on the source hypervisor, in one call, that a STANDBY VM can be migrated
version_added: 0.1.0
author: netfailover.standby contributors (@netfailover)
description:
  - Runs on the source hypervisor and only reads. It finds where the domain runs (here, already at the destination, or
    neither), reads its STANDBY pairs and VFs from its running definition (as the P(netfailover.standby.failover_pairs#filter)
    filter and M(netfailover.standby.vf_info) with O(netfailover.standby.vf_info#module:domain) do), checks that its guest
    is ready for the first step of the migration dance (steady or armed, read through the QEMU guest agent), that the
    destination's libvirt answers at O(destination_uri) from here, and, with O(fdb_port), that the port is a Linux
    bridge port the FDB steps can steer (an Open vSwitch port is refused).
  - The migrate role's preflight in one task instead of six.
  - A domain that runs at neither host, or at the destination only, is no error; RV(location) says so.
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details: The module changes nothing; check mode runs it as it is.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  name:
    description: The domain (libvirt's name for the VM).
    type: str
    required: true
  destination_uri:
    description: The destination's libvirt URI as the source reaches it (the migration's URI).
    type: str
    required: true
  fdb_port:
    description:
      - The PF's bridge port, where the FDB steps pin the guest's MAC. Omit it when the migration steers no FDB entries.
    type: str
  verify_timeout:
    description: Seconds to wait for the guest to be steady or armed.
    type: float
    default: 30
  sysfs_root:
    description: Where sysfs is (for tests); the VFs' identities are read under it.
    type: path
    default: /sys
notes:
  - Needs the QEMU guest agent in the guest (read-only guest-exec of a sysfs walk) and, with O(fdb_port), iproute2.
seealso:
  - module: netfailover.standby.live_migrate
  - module: netfailover.standby.vf_info
  - module: netfailover.standby.guest_failover_info
"""

EXAMPLES = r"""
- name: Check that vm1 can move from hv1 to hv2
  netfailover.standby.migration_preflight:
    name: vm1
    destination_uri: qemu+tcp://hv2.example.com/system
    fdb_port: pf0
  register: preflight
  delegate_to: hv1
"""

RETURN = r"""
location:
  description: Where the domain runs - V(source) (here), V(destination) (migrated already) or V(neither).
  returned: always
  type: str
  sample: source
running_on_source:
  description: The domains that run here, when the domain runs at neither host (for the refusal); null otherwise.
  returned: always
  type: list
  elements: str
pairs:
  description: The STANDBY pairs of the running definition, as P(netfailover.standby.failover_pairs#filter) returns them.
  returned: always
  type: list
  elements: dict
vfs:
  description: The VFs of the domain, as M(netfailover.standby.vf_info) returns them for a domain (RV(netfailover.standby.vf_info#module:devices)).
  returned: always
  type: list
  elements: dict
guest:
  description: The guest check (state, message, pairs, reads); null when the domain is not here or has no pair.
  returned: always
  type: dict
fdb:
  description: The FDB entry check on O(fdb_port) for the first pair's MAC, as M(netfailover.standby.fdb_entry) reports it in check mode.
  returned: always
  type: dict
"""

from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import FdbEntry
from ansible_collections.netfailover.standby.plugins.module_utils.migration.preflight import preflight
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def argument_spec():
    return {
        "name": {"type": "str", "required": True},
        "destination_uri": {"type": "str", "required": True},
        "fdb_port": {"type": "str"},
        "verify_timeout": {"type": "float", "default": 30.0},
        "sysfs_root": {"type": "path", "default": "/sys"},
    }


def run(module):
    params = module.params
    ansible = module.module

    def fdb_entry_for(mac):
        return FdbEntry(ansible.run_command, mac, params["fdb_port"], "absent", bridge=ansible.get_bin_path("bridge", required=True),
                        ip=ansible.get_bin_path("ip", required=True))

    return preflight(module.connection, params, fdb_entry_for=fdb_entry_for if params["fdb_port"] else None,
                     sysfs_root=params["sysfs_root"])


def main():
    module = LibvirtModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
