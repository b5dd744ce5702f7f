#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: standby_pair
short_description: Give a libvirt domain a virtio-net STANDBY pair (net_failover) in its persistent definition
version_added: 0.1.0
description:
  - Makes the persistent definition of a libvirt/QEMU domain carry a STANDBY pair for the guest's C(net_failover) driver,
    or removes it.
  - The B(standby) is a virtio-net interface with C(<teaming type='persistent'/>), a user alias (C(ua-...)) and the chosen
    steady link state. QEMU then offers C(VIRTIO_NET_F_STANDBY) to the guest.
  - The B(primary) is either C(<interface type='hostdev'>) for an SR-IOV VF given by PCI address (O(primary.type=hostdev)),
    or C(<interface type='network'>) on a libvirt hostdev network that hands out VFs (O(primary.type=network)), each with
    C(<teaming type='transient' persistent='ua-...'/>) so that QEMU unplugs it by itself at migration.
  - O(primary.type=emulated) is B(for tests only) (labs without SR-IOV hardware). The primary is then an emulated PCI
    Express NIC (vmxnet3, e1000e or igb) on a bridge, with the standby's MAC and B(no) teaming element, because libvirt
    accepts C(<teaming type='transient'>) on hostdev interfaces only. The guest pairs the two by MAC, but QEMU does not know
    the pair, so a migration has to unplug that primary by its alias first.
  - Both NICs get one MAC. It is O(mac) when given; otherwise the pair's current MAC is kept; otherwise a random
    C(52:54:00:xx:xx:xx) MAC that no domain of the hypervisor uses is generated once and kept from then on, since the
    module reads it back from the definition.
  - The primary goes alone on a C(pcie-root-port) of its own, in a slot of its own. Without this it could land on a
    pcie-to-pci bridge, where QEMU refuses a failover primary, or in a multifunction slot, whose other functions would go
    away with it at hot-unplug. The module adds such a root port (with the alias C(<primary.alias>-port)) in a free slot of
    bus 0 and pins the primary to it. It also switches ACPI on, because without it a hot-unplug of the primary drops every
    root port of the guest.
  - The module refuses these cases, with a message that says how to fix them, and changes nothing.
    A standby interface that is not virtio-net.
    An i440fx (or any non-q35) machine.
    libvirt older than 6.1.0 or QEMU older than 4.2.0.
    A MAC that another domain of the hypervisor already uses.
    An alias that another device of the domain already uses.
    A primary that would share a (multifunction) slot, or a root port that already holds something else.
  - It compares what libvirt stores (the parts that make the pair, re-read after defining), not the text of the request,
    so a second run with the same options changes nothing.
  - It reads the domain with libvirt's C(VIR_DOMAIN_XML_SECURE) flag, so the secrets libvirt shows only with it (the
    C(passwd) of a VNC or SPICE C(<graphics>), the C(<cookie>) values of an http(s)/ftp(s) network disk) stay in the
    definition it defines back. libvirt refuses that flag on a read-only connection, so the module opens a read-write
    one (and the user behind O(uri) needs libvirt's C(domain:read_secure) permission, which root and the
    C(org.libvirt.unix.manage) polkit action have). Its result, diff and messages show those secrets masked as
    C(********); a definition whose secrets would change is refused and nothing is defined.
  - It changes only the persistent definition, which the domain's B(next start) uses. On a running domain the result
    says RV(restart_required) when the running devices differ from that definition. With O(apply_live) the
    module sets the running standby's link state at once, the one change libvirt makes live.
  - O(state=absent) removes the pair's primary (found by O(primary.alias), by a teaming reference to the standby, or by
    the standby's MAC on a non-virtio NIC). It also removes the root port the module added for it and the standby's
    C(<teaming>) and C(<link>) elements. The domain is then a plain VM whose virtio-net NIC keeps its MAC and alias and
    has its link up; a standby with its link down and no primary would leave the guest offline.
author:
  - netfailover.standby contributors (@netfailover)
extends_documentation_fragment:
  - netfailover.standby.connection
  - netfailover.standby.attributes
attributes:
  check_mode:
    support: full
    details:
      - Computes and returns the change without defining anything.
      - libvirt's own schema validation (C(VIR_DOMAIN_DEFINE_VALIDATE)) runs only on a real run.
      - A MAC that has to be generated is only a prediction in check mode.
  diff_mode:
    support: full
    details: Returns the persistent definition before and after, in one XML layout, with passwords and cookies masked.
  idempotent:
    support: full
options:
  name:
    description:
      - The libvirt domain whose persistent definition gets (or loses) the pair.
    type: str
    required: true
  state:
    description:
      - V(present) makes the definition carry the pair; V(absent) gives back a plain VM with only the virtio-net NIC.
    type: str
    choices: [present, absent]
    default: present
  mac:
    description:
      - The MAC of both NICs. When unset the pair's current MAC is kept, or a free one is generated once.
      - It also picks an existing interface to turn into the standby (one with this MAC) when no interface carries
        O(standby.alias).
    type: str
  apply_live:
    description:
      - When the domain runs, also set the running standby's link state to O(standby.link_state) at once.
      - Off by default. Setting the link down on a running guest whose primary is not enslaved cuts its network (the
        C(standby_only_down) state). Check with M(netfailover.standby.guest_failover_info) first.
    type: bool
    default: false
  standby:
    description:
      - The virtio-net STANDBY NIC.
    type: dict
    default: {}
    suboptions:
      source_type:
        description:
          - The kind of O(standby.source). V(direct) makes a macvtap interface in C(bridge) mode.
          - It must reach the same L2 segment as the primary, on every hypervisor the domain may run on.
        type: str
        choices: [bridge, network, direct]
        default: bridge
      source:
        description:
          - The host bridge, libvirt network or host device of the standby.
          - Required when the module has to add the standby; when unset the existing standby keeps its source.
        type: str
      alias:
        description:
          - The standby's user alias; the primary's teaming element refers to it, and the collection finds the standby by
            it.
        type: str
        default: ua-standby0
      link_state:
        description:
          - The standby's link state in the definition. V(down) is the seed's steady state, in which traffic runs on the
            primary and the standby waits.
          - V(up) is fine as well, because net_failover prefers the primary.
        type: str
        choices: [down, up]
        default: down
      mac:
        description:
          - Same as O(mac) (give only one of them).
        type: str
  primary:
    description:
      - The primary (the VF). Required with O(state=present); with O(state=absent) only O(primary.alias) is used.
    type: dict
    suboptions:
      type:
        description:
          - V(hostdev) is a VF by PCI address.
          - V(network) is a VF from a libvirt hostdev network (C(<forward mode='hostdev'>)). A network of the same name on
            every hypervisor lets the domain migrate.
          - V(emulated) is an emulated NIC, for tests only; see the description.
        type: str
        choices: [hostdev, network, emulated]
      pci_address:
        description:
          - The VF's host PCI address for V(hostdev), such as C(0000:42:02.5) (as C(lspci -D) prints it).
        type: str
      network:
        description:
          - The libvirt hostdev network (VF pool) for V(network).
        type: str
      model:
        description:
          - The emulated NIC model for V(emulated). It must be a PCI Express NIC that is not virtio.
        type: str
        choices: [vmxnet3, e1000e, igb]
        default: vmxnet3
      source_bridge:
        description:
          - The host bridge of the emulated primary for V(emulated). In the lab this is the emulated NIC switch C(esw0).
        type: str
      alias:
        description:
          - The primary's user alias. Migrations detach and attach the primary by it.
        type: str
        default: ua-primary0
      root_port_index:
        description:
          - The index of the C(pcie-root-port) that holds the primary. An existing port must be alone in its slot and
            hold nothing else; a missing one is added.
          - When unset, the primary stays on its port if that port is right. Otherwise the module adds a port with the
            next free index.
        type: int
      slot:
        description:
          - The slot of bus 0 for the root port the module adds. It must be free. YAML reads C(0x09) as 9.
          - When unset, the module uses the first free slot from C(0x02).
        type: int
notes:
  - The domain must use the q35 machine type. The module does not convert i440fx domains, because doing so re-addresses
    every device.
  - The guest needs a kernel with C(net_failover) (Linux 4.18 or later). Check it on the running guest with
    M(netfailover.standby.standby_info) and O(netfailover.standby.standby_info#module:guest_check=true).
seealso:
  - module: netfailover.standby.standby_info
  - module: netfailover.standby.guest_failover_info
  - name: Teaming a virtio/hostdev NIC pair (libvirt domain XML)
    description: The XML this module writes.
    link: https://libvirt.org/formatdomain.html#teaming-a-virtio-hostdev-nic-pair
"""

EXAMPLES = r"""
- name: Pair vm1's virtio NIC on br0 with the VF 0000:42:02.5
  netfailover.standby.standby_pair:
    name: vm1
    standby:
      source: br0
    primary:
      type: hostdev
      pci_address: "0000:42:02.5"

- name: Pair vm2 with a VF from the libvirt hostdev network vf-pool (same network name on every hypervisor)
  netfailover.standby.standby_pair:
    name: vm2
    mac: "52:54:00:6c:01:02"
    standby:
      source_type: network
      source: default
    primary:
      type: network
      network: vf-pool

- name: Lab only - an emulated vmxnet3 "VF" on the lab's NIC switch esw0
  netfailover.standby.standby_pair:
    name: vmc1
    standby:
      source: br0
    primary:
      type: emulated
      model: vmxnet3
      source_bridge: esw0
  register: pair

- name: Restart the domain when the running devices differ from the definition
  ansible.builtin.debug:
    msg: "{{ pair.messages }}"
  when: pair.restart_required

- name: Give back a plain VM with only its virtio NIC
  netfailover.standby.standby_pair:
    name: vm1
    state: absent
"""

RETURN = r"""
mac:
  description: The MAC of the pair.
  returned: state=present
  type: str
  sample: "52:54:00:6c:00:21"
mac_source:
  description: Where the MAC came from. V(given) means O(mac); V(kept) means the existing definition; V(generated) means
    it was made now.
  returned: state=present
  type: str
  sample: kept
root_port_index:
  description: The index of the pcie-root-port that holds the primary (its PCI bus number).
  returned: state=present
  type: int
  sample: 9
acpi_added:
  description: Whether ACPI had to be switched on.
  returned: state=present
  type: bool
  sample: false
removed_primaries:
  description: The aliases of the primaries that O(state=absent) removed.
  returned: state=absent
  type: list
  elements: str
  sample: [ua-primary0]
removed_root_ports:
  description: The indexes of the root ports that O(state=absent) removed (only ports the module added).
  returned: state=absent
  type: list
  elements: int
  sample: [9]
before:
  description: The parts of the persistent definition that make the pair, before the change. These are the parts the
    module compares.
  returned: always
  type: dict
  contains:
    acpi:
      description: Whether ACPI is on.
      type: bool
    standby:
      description: The standby interface (type, MAC, source, model, teaming, link state, alias), or null.
      type: dict
    primary:
      description: The primary interface (the same keys plus managed, rom and its PCI address), or null.
      type: dict
    root_port:
      description: The controller that holds the primary (index, model, alias, address) and what is wrong with it (null
        when nothing is).
      type: dict
    other_primaries:
      description: Further interfaces that claim to be the standby's primary.
      type: list
      elements: dict
    own_root_ports:
      description: Root ports that carry the module's alias for this primary.
      type: list
      elements: dict
  sample: {"acpi": true, "standby": null, "primary": null, "root_port": null, "other_primaries": [], "own_root_ports": []}
after:
  description: The same parts after the change, re-read from libvirt (in check mode, as they would be).
  returned: always
  type: dict
  sample: {"acpi": true, "standby": {"alias": "ua-standby0", "mac": "52:54:00:6c:00:21", "teaming": {"type": "persistent"}}}
active:
  description: Whether the domain runs.
  returned: always
  type: bool
  sample: true
restart_required:
  description: Whether the running domain's devices differ from the definition, ignoring the standby's link state. The
    definition then applies only at the domain's next start.
  returned: always
  type: bool
  sample: false
live_changed:
  description: Whether the running standby's link state was changed (O(apply_live)).
  returned: when the domain runs
  type: bool
  sample: false
messages:
  description: What happened and what is left to do, in words.
  returned: always
  type: list
  elements: str
  sample: ["The definition of vm1 changed."]
versions:
  description: The libvirt and hypervisor (QEMU) versions that were checked.
  returned: state=present
  type: dict
  sample: {"libvirt": "9.0.0", "hypervisor": "7.2.0"}
diff:
  description: The persistent definition before and after (diff mode), with C(passwd) values and C(<cookie>) values masked
    as C(********).
  returned: diff mode
  type: dict
  sample: {"before": "<domain ...>", "after": "<domain ...>"}
"""

from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule
from ansible_collections.netfailover.standby.plugins.module_utils.standby.configure import configure
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pair import EMULATED_MODELS, PairSpec


def argument_spec():
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "mac": {"type": "str"},
        "apply_live": {"type": "bool", "default": False},
        "standby": {"type": "dict", "default": {}, "apply_defaults": True, "options": {
            "source_type": {"type": "str", "choices": ["bridge", "network", "direct"], "default": "bridge"},
            "source": {"type": "str"},
            "alias": {"type": "str", "default": "ua-standby0"},
            "link_state": {"type": "str", "choices": ["down", "up"], "default": "down"},
            "mac": {"type": "str"},
        }},
        "primary": {"type": "dict", "apply_defaults": True, "options": {
            "type": {"type": "str", "choices": ["hostdev", "network", "emulated"]},
            "pci_address": {"type": "str"},
            "network": {"type": "str"},
            "model": {"type": "str", "choices": list(EMULATED_MODELS), "default": "vmxnet3"},
            "source_bridge": {"type": "str"},
            "alias": {"type": "str", "default": "ua-primary0"},
            "root_port_index": {"type": "int"},
            "slot": {"type": "int"},
        }, "required_if": [("type", "hostdev", ["pci_address"]), ("type", "network", ["network"]),
                           ("type", "emulated", ["source_bridge"])]},
    }


def run(module):
    params = module.params
    return configure(module.connection, params["name"], PairSpec.from_params(params), state=params["state"],
                     check_mode=module.check_mode, diff_mode=module.diff_mode, apply_live=params["apply_live"],
                     warn=module.module.warn)


def main():
    module = LibvirtModule(argument_spec=argument_spec(), required_if=[("state", "present", ["primary"])], supports_check_mode=True)
    module.run(run)


if __name__ == "__main__":
    main()
