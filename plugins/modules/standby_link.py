#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: standby_link
short_description: Set the live link state of a guest's standby (virtio-net) NIC
version_added: 0.1.0
description:
  - Sets the link state of the standby NIC of a STANDBY pair in the B(live) definition of a running domain, as
    C(virsh domif-setlink) does, V(up) before the primary (the VF) is unplugged, V(down) once the VF carries traffic again.
  - The NIC is found by its user alias (O(alias)) or by its tap (O(tap)) in the live XML, never by its MAC address,
    which the standby shares with the primary. The update request is built from that live interface element, so it
    keeps the alias, tap and PCI address that let libvirt tell the two NICs apart.
  - Only the live state changes; the persistent definition (where the standby usually has C(<link state='down'/>)) is
    left alone.
  - With O(verify_states), the module then checks the guest's failover state (after V(up) the guest should be
    V(armed), after V(down) V(steady)).
  - With O(fdb_mac) and O(fdb_port), the host bridge's forwarding (FDB) entry for the guest's MAC is pinned to
    O(fdb_port), usually the VF's PF, while the standby link is up. With V(up) the module adds a static, sticky entry
    B(before) it raises the link; with V(down) it removes that entry B(after) the link went down. While the VF is
    enslaved the guest drops frames that reach it through the standby, and the standby's link-up announcements would
    otherwise teach the bridge exactly that path.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
  - netfailover.standby.guest_verify.step
  - netfailover.standby.guest_verify.fdb_step
  - netfailover.standby.guest_verify
attributes:
  check_mode:
    support: full
    details: Reads the live link state and reports whether it would change.
  diff_mode:
    support: full
    details: Shows the link state before and after, and with O(fdb_mac) the FDB entries on O(fdb_port).
  idempotent:
    support: full
    details: Nothing is changed when the link is already in O(state).
options:
  name:
    description:
      - The libvirt domain. It must be running.
    type: str
    required: true
  alias:
    description:
      - The user alias of the standby NIC (C(<alias name='ua-...'/>) in the domain XML).
      - Mutually exclusive with O(tap); the default applies when O(tap) is not given.
    type: str
    default: ua-standby0
  tap:
    description:
      - The tap of the standby NIC on the hypervisor (C(<target dev='vnetN'/>) in the live XML), instead of O(alias).
      - Mutually exclusive with O(alias).
      - Tap names change from one start of the domain to the next and from host to host; prefer O(alias).
    type: str
  state:
    description:
      - The link state to set.
    type: str
    choices: [up, down]
    required: true
  fdb_mac:
    description:
      - The guest's MAC (the standby's, which the VF shares) to pin in the host bridge's FDB while the link is up; see
        O(fdb_port). Requires O(fdb_port) or O(fdb_pf). Needs iproute2's C(bridge) and C(ip) on the hypervisor.
    type: str
  fdb_port:
    description:
      - The bridge port the entry for O(fdb_mac) is pinned to while the standby link is up, usually the VF's PF port on
        the standby's bridge. A port that is not on a bridge fails before anything changes. Requires O(fdb_mac).
      - On a bridge that filters VLANs (C(vlan_filtering 1)) the entry is in the VLAN of the guest's standby tap (its
        PVID; the tap is the virtio interface with O(fdb_mac) in the live XML). A port of an Open vSwitch datapath is
        refused before anything changes, as Open vSwitch is not supported for the FDB steps (see
        M(netfailover.standby.fdb_entry)).
    type: str
seealso:
  - module: netfailover.standby.guest_failover_info
  - module: netfailover.standby.fdb_entry
  - module: netfailover.standby.primary_device
"""

EXAMPLES = r"""
- name: Bring the standby link up before the VF goes away
  netfailover.standby.standby_link:
    name: vm1
    state: up

- name: Set the standby link down again once the VF is enslaved on the destination
  netfailover.standby.standby_link:
    uri: qemu:///system
    name: vm1
    alias: ua-standby0
    state: down

- name: Pin the guest's MAC to the PF, raise the standby link and check that the guest is armed
  netfailover.standby.standby_link:
    name: vm1
    state: up
    fdb_mac: "52:54:00:6c:00:01"
    fdb_port: pf0
    verify_states: [armed]

- name: Address the standby by its tap instead
  netfailover.standby.standby_link:
    name: vm1
    tap: vnet0
    state: up
"""

RETURN = r"""
alias:
  description: The alias of the NIC whose link was set (null if it has none).
  returned: success
  type: str
  sample: ua-standby0
tap:
  description: The NIC's tap on the hypervisor.
  returned: success
  type: str
  sample: vnet0
mac:
  description: The NIC's MAC address (shared with the primary).
  returned: success
  type: str
  sample: "52:54:00:6c:00:01"
link_state_before:
  description: The live link state before the module ran.
  returned: success
  type: str
  sample: down
link_state:
  description: The live link state afterwards, as read back from the live XML (in check mode, the state it would have).
  returned: success
  type: str
  sample: up
fdb:
  description:
    - The FDB pin with O(fdb_mac), as M(netfailover.standby.fdb_entry) returns it (mac, port, bridge, vlan, state, commands,
      entries_before, entries_after, changed); null without O(fdb_mac).
  returned: success
  type: dict
  sample: {"mac": "52:54:00:6c:00:01", "port": "pf0", "bridge": "br0", "state": "present", "changed": true}
guest:
  description:
    - The guest's failover state after the change, read through the guest agent when O(verify_states) was given; null
      otherwise, and in check mode.
  returned: always
  type: dict
  contains:
    state:
      description: The failover state, see M(netfailover.standby.guest_failover_info).
      type: str
    message:
      description: The state machine's verdict on the state.
      type: str
    failover:
      description: The classification, as M(netfailover.standby.guest_failover_info) returns it.
      type: dict
    reads:
      description: How many topology reads the check took.
      type: int
    elapsed_seconds:
      description: How long the check took.
      type: float
  sample: {"state": "armed", "message": "...", "reads": 1, "elapsed_seconds": 0.21}
"""

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.migration.fdb_steering import FDB_ARGUMENT_SPEC, step_fdb_entry
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import get_domain
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.migration.standby_link import set_standby_link


def argument_spec():
    return dict({
        "name": {"type": "str", "required": True},
        "alias": {"type": "str", "default": "ua-standby0"},
        "tap": {"type": "str"},
        "state": {"type": "str", "choices": ["up", "down"], "required": True},
    }, **FDB_ARGUMENT_SPEC, **guest_failover.VERIFY_ARGUMENT_SPEC, **dance.STEP_ARGUMENT_SPEC)


def run(module):
    params = module.params
    domain = get_domain(module.connection, params["name"])
    # pinned while the link is up: added before it goes up, removed after it went down
    pin = step_fdb_entry(module.module, domain, params, "standby_link", "present" if params["state"] == "up" else "absent")
    result = set_standby_link(domain, params, module.check_mode, fdb_pin=pin)
    if module.diff_mode:
        before, after = {"link_state": result["link_state_before"]}, {"link_state": result["link_state"]}
        if result["fdb"]:
            before["fdb"], after["fdb"] = result["fdb"]["entries_before"], result["fdb"]["entries_after"]
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    module = LibvirtModule(argument_spec=argument_spec(), mutually_exclusive=[("alias", "tap"), ("fdb_port", "fdb_pf")],
                           required_by={"fdb_port": "fdb_mac", "fdb_pf": "fdb_mac"}, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
