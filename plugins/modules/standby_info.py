#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: standby_info
short_description: Report the virtio-net STANDBY pairs of libvirt domains and whether the domains can fail over
version_added: 0.1.0
description:
  - Reads one domain (O(name)) or every domain of a hypervisor and reports the STANDBY pairs found in each persistent
    definition. A pair is a virtio-net standby with C(<teaming type='persistent'/>) and its primary. The primary is a
    hostdev or hostdev-network VF with C(<teaming type='transient'>), or, in labs, an emulated NIC with the standby's MAC.
  - For each pair it returns the MACs, aliases, link states, the primary's PCI placement and, for a running domain, the
    tap names and link states from the live XML.
  - It also returns a readiness report, a list of problems that each come with their fix. The problems include MACs
    that differ between standby and primary, which libvirt itself does not check; a missing teaming element; a teaming
    reference to the wrong alias; an i440fx machine; ACPI off; a primary on a multifunction slot, a pcie-to-pci bridge or
    the root bus; old libvirt or QEMU; a MAC used by another domain. Notes say what is fine but worth knowing, such as a
    standby whose link is up in the definition, an emulated (test-only) primary, or a running domain that lags its
    definition.
  - libvirt does not expose whether the guest negotiated STANDBY (C(VIRTIO_NET_F_STANDBY)). With O(guest_check=true) the
    module asks the guest through its QEMU guest agent and reads the guest's netdevs. Otherwise, or when the agent does
    not answer, the answer is V(unknown).
  - It reads the domains without libvirt's C(VIR_DOMAIN_XML_SECURE) flag, so it works on a read-only connection and
    never sees a VNC/SPICE password; its result carries no domain XML, and any secret that reached it would be masked
    as C(********) as in M(netfailover.standby.standby_pair).
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
  name:
    description:
      - The domain to report on. When unset, every domain of the hypervisor (running or only defined) is reported.
    type: str
  guest_check:
    description:
      - Ask each running guest, through its QEMU guest agent (C(guest-exec) of a read-only sysfs walk), whether it
        negotiated STANDBY, and classify its failover state.
      - The domain needs an C(org.qemu.guest_agent.0) channel and a running C(qemu-ga). Without an answer the result says
        V(unknown) and why.
    type: bool
    default: false
seealso:
  - module: netfailover.standby.standby_pair
  - module: netfailover.standby.guest_failover_info
"""

EXAMPLES = r"""
- name: Report every domain of the hypervisor
  netfailover.standby.standby_info:
  register: standby

- name: Fail when vm1 cannot fail over, with the fixes
  netfailover.standby.standby_info:
    name: vm1
    guest_check: true
  register: vm1_standby
  failed_when: not vm1_standby.domains[0].ready

- name: List the problems of every domain
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.problems | map(attribute='problem') | list }}"
  loop: "{{ standby.domains }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
hypervisor:
  description: The libvirt and hypervisor versions and the driver type.
  returned: always
  type: dict
  sample: {"libvirt": "9.0.0", "hypervisor": "7.2.0", "type": "QEMU"}
domains:
  description: One report per domain, sorted by name when all domains are read.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The domain.
      type: str
      sample: vm1
    machine:
      description: The machine type.
      type: str
      sample: pc-q35-7.2
    acpi:
      description: Whether ACPI is on.
      type: bool
      sample: true
    active:
      description: Whether the domain runs.
      type: bool
      sample: true
    ready:
      description: Whether the domain has at least one pair and no problem.
      type: bool
      sample: true
    problems:
      description: What stops the domain from failing over, each with its fix.
      type: list
      elements: dict
      contains:
        code:
          description: A short name of the problem, for example V(mac_mismatch), V(missing_standby_teaming),
            V(missing_primary_teaming), V(teaming_mismatch), V(machine_type), V(no_acpi), V(primary_placement),
            V(versions), V(mac_in_use), V(no_primary), V(no_pair), V(not_negotiated).
          type: str
        problem:
          description: The problem in words.
          type: str
        fix:
          description: How to fix it.
          type: str
      sample: [{"code": "mac_mismatch", "problem": "the primary ua-primary0 has MAC ...", "fix": "give both the same MAC; ..."}]
    notes:
      description: Facts that are fine but worth knowing.
      type: list
      elements: str
      sample: ["the primary ua-primary0 is an emulated vmxnet3 NIC (test-only, for labs without SR-IOV): ..."]
    guest:
      description: What the guest said. C(checked) tells whether it answered, C(state) gives its failover state (see
        M(netfailover.standby.guest_failover_info)), and C(reason) says why it was not asked or did not answer.
      type: dict
      sample: {"checked": true, "state": "steady", "reason": null, "hostname": "vm1"}
    pairs:
      description: The pairs found in the persistent definition.
      type: list
      elements: dict
      contains:
        mac:
          description: The standby's MAC.
          type: str
        macs_match:
          description: Whether the primary has the same MAC (null without a primary, or for a plain C(<hostdev>), which
            has no MAC in the XML).
          type: bool
        standby_negotiated:
          description: V(yes) or V(no) as the running guest answered; V(unknown) without O(guest_check), while the domain
            is not running, or without an answer.
          type: str
        standby:
          description: alias, mac, type, source, teaming, link_state, and from the live XML tap and live_link_state.
          type: dict
        primary:
          description: The primary. It has kind (hostdev, network, plain_hostdev, emulated or virtio), alias, mac, type,
            source, model, teaming, its PCI address and root_port, and from the live XML tap and attached. Null when the
            standby has no primary.
          type: dict
        problems:
          description: The problems of this pair (also listed in the domain's problems).
          type: list
          elements: dict
        notes:
          description: The notes of this pair.
          type: list
          elements: str
      sample: [{"mac": "52:54:00:6c:00:01", "macs_match": true, "standby_negotiated": "yes",
                "standby": {"alias": "ua-standby0", "tap": "vnet0", "link_state": "down", "live_link_state": "down"},
                "primary": {"kind": "emulated", "alias": "ua-primary0", "address": "0000:08:00.0", "attached": true}}]
"""

from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.standby.info import inspect


def argument_spec():
    return {
        "name": {"type": "str"},
        "guest_check": {"type": "bool", "default": False},
    }


def run(module):
    return inspect(module.connection, name=module.params["name"], guest_check=module.params["guest_check"])


def main():
    module = LibvirtModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.read_only = not module.params["guest_check"]  # guest-exec needs a read-write connection
    module.run(run)


if __name__ == "__main__":
    main()
