#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: primary_device
short_description: Attach or detach the primary (VF) of a guest's STANDBY pair and wait for the guest
version_added: 0.1.0
description:
  - Detaches (O(state=absent)) or attaches (O(state=present)) the primary device of a STANDBY pair, usually a VF,
    identified by its user alias O(alias). It is the seed's C(virsh detach-device) / C(virsh attach-device), made safe.
  - The live definition (O(live)) and the persistent definition (O(persistent)) are handled B(separately), each with
    its own libvirt call (C(VIR_DOMAIN_AFFECT_LIVE), then C(VIR_DOMAIN_AFFECT_CONFIG)), because one call with both fails with
    C(non unique alias detected) when only one definition holds the device.
  - A live detach uses C(virDomainDetachDeviceAlias), which returns as soon as the request is sent. The module then
    waits up to O(timeout) seconds for libvirt's C(DEVICE_REMOVED) event (and fails on C(DEVICE_REMOVAL_FAILED)),
    re-reading the live XML as a fallback. Only then is the VF really gone from the guest.
  - A live attach, with O(wait_for_guest), then waits up to O(timeout) seconds until the guest has enslaved the new
    primary (its failover state is one of O(expect_states)), read through the QEMU guest agent like
    M(netfailover.standby.guest_failover_info). Without an answering guest agent the module warns and does not wait.
  - A device is present when a device with alias O(alias) is in the definition. An existing device is not compared with
    O(xml) and not changed.
  - With O(fdb_mac) and O(fdb_port), the module also points the host bridge's forwarding (FDB) entry for the guest's
    MAC at O(fdb_port) (a static, sticky entry) at the moment the guest switches paths. After a live detach that is
    the first check of the guest that finds the VF's netdev gone (through the guest agent, while the module waits for
    C(DEVICE_REMOVED); one read of its topology names the VF's netdev, then one C(guest-network-get-interfaces) every
    20 ms), or the C(DEVICE_REMOVED) event if that comes first (the VF is gone, point the entry at the
    standby's tap). The guest lets go of the VF up to a second before QEMU reports its removal. After a live attach it is
    the first read that shows the new primary enslaved (the guest now drops frames that arrive on the standby, so
    point the entry at the VF's PF). Inbound frames follow the bridge's entry, so every moment it lags the guest
    is a network outage; a separate task after this one would add its whole run time to it.
  - A guest releases a VF by PCI hot-unplug; with native PCIe hot-plug (pciehp) the guest waits about 5 s (the attention
    button delay) before it does. A detach right after an attach may be refused while the guest is still busy.
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
    details: Reads both definitions and reports what would be attached or detached; does not wait.
  diff_mode:
    support: full
    details: Shows the device XML in each managed definition before and after (null where it is absent), and with
      O(fdb_mac) the FDB entries on O(fdb_port).
  idempotent:
    support: full
    details: A device that is already present (or absent) in a definition is left alone.
options:
  name:
    description:
      - The libvirt domain.
    type: str
    required: true
  alias:
    description:
      - The user alias of the primary device, for example C(ua-primary0). libvirt user aliases start with C(ua-).
    type: str
    required: true
  state:
    description:
      - V(present) attaches the device where it is missing; V(absent) detaches it where it is.
    type: str
    choices: [present, absent]
    default: present
  xml:
    description:
      - The device XML to attach, for example the VF's C(<interface type='hostdev'>) element with its MAC (the
        standby's) and its guest PCI address.
      - Without an C(<alias>) element the module adds C(<alias name=O(alias)/>); a different alias is an error.
      - Required with O(state=present) unless the device is already present in every managed definition.
    type: str
  live:
    description:
      - Manage the device in the live definition of the running domain.
    type: bool
    default: true
  persistent:
    description:
      - Manage the device in the persistent definition (what the domain has at its next start).
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait after a live detach for the device's removal, and after a live attach for the guest to enslave it.
    type: float
    default: 30
  wait_for_guest:
    description:
      - After a live attach, wait until the guest has enslaved the new primary (through the guest agent).
      - Without an answering guest agent the module warns and does not wait.
    type: bool
    default: true
  wait_for_arrival:
    description:
      - Seconds to wait for the domain to migrate to this host and run here before anything else; V(0) (the default)
        does not wait and fails at once on a domain that is not here.
      - For a step that must act the moment the domain arrives. The migrate role's teaming dance starts this module as an
        async task on the destination before the migration (O(step=primary_replug)), so that it points the FDB entry
        at the PF the moment the guest registers the VF that QEMU plugs back, not a whole Ansible task later.
      - The incoming domain must show up (paused, from the migration's start) within 120 s. A domain that shows up and
        goes away again (a failed or cancelled migration) ends the wait at once. Either way nothing is changed.
    type: float
    default: 0
  expect_states:
    description:
      - The guest failover states that count as "enslaved" after a live attach.
      - Defaults to V(armed) and V(steady) (the primary is enslaved and carries traffic; the standby link is up or down).
    type: list
    elements: str
    choices: [not_negotiated, standby_only_up, standby_only_down, steady, armed, primary_no_carrier, both_down,
              primary_not_enslaved, master_admin_down]
  fdb_mac:
    description:
      - The guest's MAC (the standby's, which the VF shares) whose bridge FDB entry the module re-points; see O(fdb_port).
      - Requires O(fdb_port) or O(fdb_pf). Needs iproute2's C(bridge) and C(ip) on the hypervisor.
    type: str
  fdb_port:
    description:
      - The bridge port the entry for O(fdb_mac) must point at once the guest switched paths. With O(state=absent) the
        standby's tap (the VF is gone); with O(state=present) the VF's PF port on the bridge (the VF carries traffic).
      - A port that is not on a bridge fails before anything changes.
      - On a bridge that filters VLANs (C(vlan_filtering 1)) the entry is in the VLAN of the guest's standby tap (its
        PVID; the tap is the virtio interface with O(fdb_mac) in the live XML). A port of an Open vSwitch datapath is
        refused before anything changes, as Open vSwitch is not supported for the FDB steps (see
        M(netfailover.standby.fdb_entry)).
      - Requires O(fdb_mac).
    type: str
seealso:
  - module: netfailover.standby.standby_link
  - module: netfailover.standby.fdb_entry
  - module: netfailover.standby.guest_failover_info
  - name: virDomainDetachDeviceAlias
    description: The libvirt call behind a detach, and its DEVICE_REMOVED event.
    link: https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainDetachDeviceAlias
"""

EXAMPLES = r"""
- name: Unplug the VF before the migration (the standby link must be up first)
  netfailover.standby.primary_device:
    name: vm1
    alias: ua-primary0
    state: absent
    timeout: 30
  register: unplug

- name: Plug a VF on the destination and wait until the guest enslaved it
  netfailover.standby.primary_device:
    name: vm1
    alias: ua-primary0
    state: present
    xml: "{{ lookup('ansible.builtin.file', 'vf.xml') }}"

- name: Unplug the VF and point the bridge's entry for the guest at the standby's tap the moment the VF is gone
  netfailover.standby.primary_device:
    name: vm1
    alias: ua-primary0
    state: absent
    fdb_mac: "52:54:00:6c:00:01"
    fdb_port: "{{ standby_up.tap }}"  # registered from netfailover.standby.standby_link
    verify_states: [standby_only_up]
- name: Also remove the VF from the persistent definition
  netfailover.standby.primary_device:
    name: vm1
    alias: ua-primary0
    state: absent
    live: false
    persistent: true
"""

RETURN = r"""
alias:
  description: The device alias.
  returned: always
  type: str
  sample: ua-primary0
state:
  description: The requested state.
  returned: always
  type: str
  sample: absent
before:
  description: The device XML in each managed definition (C(live), C(persistent)) before the module ran; null where absent.
  returned: always
  type: dict
  sample: {"live": "<interface type='hostdev'>...</interface>"}
after:
  description: The device XML in each managed definition afterwards (in check mode, what it would be); null where absent.
  returned: success
  type: dict
  sample: {"live": null}
present:
  description: Whether the device is in each managed definition afterwards.
  returned: success
  type: dict
  sample: {"live": false}
timings:
  description: How long the steps took, in seconds.
  returned: always
  type: dict
  contains:
    request_seconds:
      description: The live attach or detach call itself.
      type: float
      returned: after a live attach or detach
    removed_seconds:
      description: From the live detach request until the device was removed.
      type: float
      returned: after a live detach
    enslaved_seconds:
      description: From the live attach request until the guest had enslaved the device.
      type: float
      returned: after a live attach with O(wait_for_guest)
    arrival_wait_seconds:
      description: How long the module waited for the domain to migrate here and run (O(wait_for_arrival)).
      type: float
      returned: with O(wait_for_arrival)
    waited_seconds:
      description: How long the module waited before it gave up.
      type: float
      returned: on a timeout
    released_seconds:
      description: From the live detach request until the guest no longer had the device enslaved (with O(fdb_mac),
        when the guest agent answers; the module reads the guest while it waits for the removal).
      type: float
      returned: after a live detach with O(fdb_mac)
    fdb_switch_seconds:
      description: How long re-pointing the FDB entry took (with O(fdb_mac), when it changed).
      type: float
      returned: when the FDB entry was re-pointed
    total_seconds:
      description: The whole module run.
      type: float
      returned: always
  sample: {"request_seconds": 0.01, "removed_seconds": 5.3, "total_seconds": 5.4}
guest_state:
  description: The guest's failover state seen by the last wait for the guest (null when the module did not wait).
  returned: always
  type: str
  sample: armed
removal_detected_by:
  description: How the removal was seen (the C(DEVICE_REMOVED) event or a re-read of the live XML); null without a live detach.
  returned: always
  type: str
  sample: DEVICE_REMOVED event
fdb:
  description:
    - The FDB switch with O(fdb_mac), as M(netfailover.standby.fdb_entry) returns it (mac, port, bridge, vlan, commands,
      entries_before, entries_after, changed); null without O(fdb_mac) or when the module failed before the switch.
  returned: always
  type: dict
  sample: {"mac": "52:54:00:6c:00:01", "port": "vnet3", "bridge": "br0", "changed": true,
           "commands": [["bridge", "fdb", "replace", "52:54:00:6c:00:01", "dev", "vnet3", "master", "static", "sticky"]]}
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
actions:
  description: What the module did, in order.
  returned: always
  type: list
  elements: str
  sample: ["requested the removal of ua-primary0 (live)", "ua-primary0 removed (DEVICE_REMOVED event)"]
"""

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.migration.fdb_steering import FDB_ARGUMENT_SPEC, step_fdb_entry
from ansible_collections.netfailover.standby.plugins.module_utils.virt.events import start_event_loop
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import get_domain
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration.incoming import wait_for_arrival
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.migration.primary_device import PrimaryDevice


def argument_spec():
    return dict({
        "name": {"type": "str", "required": True},
        "alias": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "xml": {"type": "str"},
        "live": {"type": "bool", "default": True},
        "persistent": {"type": "bool", "default": False},
        "timeout": {"type": "float", "default": 30.0},
        "wait_for_guest": {"type": "bool", "default": True},
        "expect_states": {"type": "list", "elements": "str", "choices": guest_failover.STATE_NAMES},
        "wait_for_arrival": {"type": "float", "default": 0},
    }, **FDB_ARGUMENT_SPEC, **guest_failover.VERIFY_ARGUMENT_SPEC, **dance.STEP_ARGUMENT_SPEC)


def run(module):
    start_event_loop()  # before the connection opens: libvirt binds a connection to the event loop at open
    arrived_seconds = None
    if module.params["wait_for_arrival"] > 0:
        domain, arrived_seconds, _came_in = wait_for_arrival(module.connection, module.params["name"], module.params["wait_for_arrival"])
    else:
        domain = get_domain(module.connection, module.params["name"])
    switch = step_fdb_entry(module.module, domain, module.params, "primary_device")
    device = PrimaryDevice(module.connection, domain, module.params, check_mode=module.check_mode, fdb=switch,
                           arrived_seconds=arrived_seconds)
    try:
        result = device.run()
    finally:
        for warning in device.warnings:
            module.module.warn(warning)
    if module.diff_mode:
        before, after = dict(result["before"]), dict(result["after"])
        if result.get("fdb"):
            before["fdb"], after["fdb"] = result["fdb"]["entries_before"], result["fdb"]["entries_after"]
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    module = LibvirtModule(argument_spec=argument_spec(), mutually_exclusive=[("fdb_port", "fdb_pf")],
                           required_by={"fdb_port": "fdb_mac", "fdb_pf": "fdb_mac"}, supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
