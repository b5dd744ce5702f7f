# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A STANDBY pair in a domain definition: find it, build the desired definition, remove it, refuse what cannot work.

The standby is a virtio-net interface with ``<teaming type='persistent'/>`` and a ``ua-`` alias. The primary is
``<interface type='hostdev'>`` (a VF by PCI address) or ``<interface type='network'>`` (a libvirt hostdev VF pool)
with ``<teaming type='transient' persistent='ua-...'/>``; or, in labs without SR-IOV, an emulated PCI NIC
(vmxnet3/e1000e/igb) with the standby's MAC and no teaming element, because libvirt accepts teaming only on
hostdev interfaces (test-only: QEMU does not know that pair). One MAC on both; the primary alone on a
pcie-root-port of its own; q35; ACPI. Pure functions on ElementTree, no libvirt.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.standby import pci_placement
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

MIN_LIBVIRT = (6, 1, 0)  # <teaming>
MIN_QEMU = (4, 2, 0)  # virtio-net failover=on
ALIAS_RE = re.compile(r"^ua-[A-Za-z0-9_-]+$")
PRIMARY_TYPES = ("hostdev", "network", "emulated")
EMULATED_MODELS = ("vmxnet3", "e1000e", "igb")
STANDBY_SOURCE_TYPES = ("bridge", "network", "direct")
_INTERFACE_TYPE = {"hostdev": "hostdev", "network": "network", "emulated": "bridge"}


class PairRefused(LibvirtCollectionError):
    """The module will not make this change; the message says why and how to fix it."""

    def __init__(self, message, result=None):
        super().__init__(message + " Nothing was changed.", result=result)


@dataclass
class PairSpec:  # pylint: disable=too-many-instance-attributes
    standby_alias: str = "ua-standby0"
    standby_source_type: str = "bridge"
    standby_source: Optional[str] = None
    link_state: str = "down"
    primary_type: Optional[str] = None
    pci_address: Optional[str] = None
    network: Optional[str] = None
    model: str = "vmxnet3"
    source_bridge: Optional[str] = None
    primary_alias: str = "ua-primary0"
    root_port_index: Optional[int] = None
    slot: Optional[int] = None
    mac: Optional[str] = None

    @classmethod
    def from_params(cls, params):
        standby = params.get("standby") or {}
        primary = params.get("primary") or {}
        given = {
            "standby_alias": standby.get("alias"), "standby_source_type": standby.get("source_type"),
            "standby_source": standby.get("source"), "link_state": standby.get("link_state"),
            "primary_type": primary.get("type"), "pci_address": primary.get("pci_address"), "network": primary.get("network"),
            "model": primary.get("model"), "source_bridge": primary.get("source_bridge"), "primary_alias": primary.get("alias"),
            "root_port_index": primary.get("root_port_index"), "slot": primary.get("slot"),
            "mac": (params.get("mac") or standby.get("mac") or "").lower() or None,
        }
        if params.get("mac") and standby.get("mac") and params["mac"].lower() != standby["mac"].lower():
            raise PairRefused("mac ({0}) and standby.mac ({1}) differ; the pair has one MAC. Fix: give only one of them.".format(
                params["mac"], standby["mac"]))
        return cls(**{key: value for key, value in given.items() if value is not None})


def validate_spec(spec, state="present"):
    """Refuse options that cannot make a valid pair (before reading anything)."""
    for what, alias in (("standby.alias", spec.standby_alias), ("primary.alias", spec.primary_alias)):
        if not ALIAS_RE.match(alias):
            raise PairRefused("{0} {1!r} is not a libvirt user alias. Fix: use 'ua-' followed by letters, digits, '_' or '-' "
                              "(for example ua-standby0).".format(what, alias))
    if spec.standby_alias == spec.primary_alias:
        raise PairRefused("standby.alias and primary.alias are both {0!r}. Fix: give the two NICs different aliases.".format(spec.standby_alias))
    if state == "absent":
        return
    if spec.primary_type is None:
        raise PairRefused("primary.type is required with state=present. Fix: give primary.type (hostdev, network or emulated) "
                          "and its source.")
    if spec.mac and not dx.valid_mac(spec.mac):
        raise PairRefused("mac {0!r} is not a unicast MAC address. Fix: give one like 52:54:00:12:34:56, or leave mac unset to "
                          "generate one.".format(spec.mac))
    if spec.primary_type == "hostdev" and dx.parse_pci(spec.pci_address or "") is None:
        raise PairRefused("primary.pci_address {0!r} is not a PCI address. Fix: give the VF's address as shown by lspci -D, "
                          "for example 0000:42:02.5.".format(spec.pci_address))
    if spec.primary_type == "emulated" and spec.model not in EMULATED_MODELS:
        raise PairRefused("primary.model {0!r} cannot be an emulated primary: the guest's net_failover enslaves only a PCI NIC "
                          "that is not virtio. Fix: use one of {1}.".format(spec.model, ", ".join(EMULATED_MODELS)))


# --- checks of the hypervisor and the machine -----------------------------------------------------------


def version_problem(libvirt_version, hypervisor_version, hypervisor_type):
    """Why this hypervisor cannot run a STANDBY pair (None when it can)."""
    if tuple(libvirt_version) < MIN_LIBVIRT:
        return ("libvirt {0} is older than 6.1.0, the first release with <teaming>. Fix: upgrade libvirt on the "
                "hypervisor.".format(".".join(map(str, libvirt_version))))
    if hypervisor_type == "QEMU" and tuple(hypervisor_version) < MIN_QEMU:
        return ("QEMU {0} is older than 4.2.0, the first release with virtio-net failover. Fix: upgrade QEMU on the "
                "hypervisor.".format(".".join(map(str, hypervisor_version))))
    if hypervisor_type not in ("QEMU", "TEST"):
        return ("the hypervisor driver is {0}: STANDBY pairs exist in libvirt's QEMU/KVM driver only. Fix: point uri at a "
                "qemu:// hypervisor.".format(hypervisor_type))
    return None


def machine_problem(root):
    """Why this machine type cannot hot-unplug a failover primary (None for q35)."""
    if dx.is_q35(root):
        return None
    machine = dx.machine_type(root) or "(none)"
    if dx.is_i440fx(root):
        return ("the domain uses the i440fx machine type {0!r}, which has no PCI Express and no native hot-plug for a failover "
                "primary. Fix: recreate the domain as q35 (virt-install --machine q35; or `virsh edit`: set machine='q35' and "
                "delete the <address type='pci'> elements and the PCI controllers so that libvirt re-addresses the devices; "
                "the guest then sees new PCI addresses)".format(machine))
    return "the machine type {0!r} is not q35. Fix: recreate the domain with machine type q35".format(machine)


# --- finding the pair ------------------------------------------------------------------------------------


def is_transient_teaming(element):
    return (dx.teaming_of(element) or {}).get("type") == "transient"


def find_standby(root, spec):
    """The interface to pair: the one with the standby alias, else the one with the given MAC (virtio preferred)."""
    found = dx.interface_with_alias(root, spec.standby_alias)
    if found is not None or not spec.mac:
        return found
    candidates = [i for i in dx.interfaces(root) if dx.mac_of(i) == spec.mac and dx.alias_of(i) != spec.primary_alias
                  and not is_transient_teaming(i)]
    candidates.sort(key=lambda i: dx.model_of(i) != "virtio")
    return candidates[0] if candidates else None


def find_primaries(root, standby, standby_alias, primary_alias, mac):
    """Interfaces that are, or claim to be, the pair's primary: by alias, by teaming reference, by MAC (non-virtio)."""
    found = []
    by_alias = dx.interface_with_alias(root, primary_alias)
    if by_alias is not None and by_alias is not standby:
        found.append(by_alias)
    for interface in dx.interfaces(root):
        if interface is standby or interface in found:
            continue
        teaming = dx.teaming_of(interface) or {}
        if teaming.get("type") == "transient" and teaming.get("persistent") == standby_alias:
            found.append(interface)
        elif mac and dx.mac_of(interface) == mac and dx.model_of(interface) != "virtio":
            found.append(interface)
    return found


# --- summaries: what the module compares ----------------------------------------------------------------


def interface_summary(element, with_address=True):
    if element is None:
        return None
    rom = element.find("rom")
    summary = {"type": element.get("type"), "managed": element.get("managed"), "mac": dx.mac_of(element),
               "source": dx.source_of(element), "model": dx.model_of(element), "teaming": dx.teaming_of(element),
               "link_state": dx.link_state_of(element), "alias": dx.alias_of(element),
               "rom": rom.get("enabled") if rom is not None else None}
    if with_address:
        summary["address"] = dx.format_pci(dx.pci_address(element))
    return summary


def controller_summary(controller):
    return {"index": int(controller.get("index")), "model": controller.get("model"), "alias": dx.alias_of(controller),
            "address": dx.format_pci(dx.pci_address(controller))}


def pair_summary(root, standby_alias, primary_alias):
    """The parts of a definition that make the pair, as plain data (libvirt's text layout does not matter)."""
    standby = dx.interface_with_alias(root, standby_alias)
    primaries = find_primaries(root, standby, standby_alias, primary_alias, dx.mac_of(standby) if standby is not None else None)
    primary = dx.interface_with_alias(root, primary_alias)
    port = None
    address = dx.pci_address(primary) if primary is not None else None
    if address is not None and address["bus"] in dx.pci_controllers(root):
        port = controller_summary(dx.pci_controllers(root)[address["bus"]])
        port["problem"] = pci_placement.port_problem(root, address["bus"], primary)
    return {
        "acpi": dx.has_acpi(root),
        "standby": interface_summary(standby, with_address=False),
        "primary": interface_summary(primary),
        "root_port": port,
        "other_primaries": [interface_summary(p) for p in primaries if p is not primary],
        "own_root_ports": [controller_summary(c) for c in dx.pci_controllers(root).values()
                           if dx.alias_of(c) == pci_placement.port_alias(primary_alias)],
    }


def without_link_state(summary):
    """A summary minus what libvirt can change on a running domain (the standby's link state)."""
    summary = copy.deepcopy(summary)
    if summary.get("standby"):
        summary["standby"].pop("link_state", None)
    return summary


# --- state=present ---------------------------------------------------------------------------------------


def _check_existing(root, spec, standby, primaries, domain_name):
    if standby is not None and (dx.model_of(standby) != "virtio" or standby.get("type") == "hostdev"):
        raise PairRefused(
            "The interface to pair in domain {0} ({1}, MAC {2}) is not virtio-net: only a virtio-net NIC can be a STANDBY NIC. "
            "Fix: change its model to virtio (the guest then sees a new NIC), or pair another NIC (another standby.alias or "
            "mac).".format(domain_name, dx.describe_element(standby), dx.mac_of(standby)))
    for primary in primaries:
        if dx.model_of(primary) == "virtio":
            raise PairRefused(
                "In domain {0}, {1} would be the primary, but it is virtio-net: the guest's net_failover does not enslave a "
                "virtio NIC as primary. Fix: give the pair a primary.alias that no virtio NIC uses.".format(
                    domain_name, dx.describe_element(primary)))
    if len(primaries) > 1:
        raise PairRefused(
            "In domain {0}, several interfaces claim to be the primary of {1}: {2}. Fix: remove the extra ones (for example "
            "with state=absent, then present again).".format(domain_name, spec.standby_alias,
                                                             ", ".join(dx.describe_element(p) for p in primaries)))
    primary = primaries[0] if primaries else None
    port_alias = pci_placement.port_alias(spec.primary_alias)
    expected = {spec.standby_alias: standby, spec.primary_alias: primary}
    for alias, element in dx.all_aliases(root):
        if alias == port_alias:
            fine = element.tag == "controller"
        elif alias in expected:
            fine = element is expected[alias]
        else:
            continue
        if not fine:
            raise PairRefused(
                "Alias {0} is already used by {1} in domain {2}: aliases must be unique in a domain. Fix: choose another "
                "standby.alias / primary.alias, or rename that device's alias.".format(alias, dx.describe_element(element), domain_name))


def choose_mac(root, spec, standby, primary, taken_elsewhere, rng, domain_name):
    """(mac, how): the given MAC, else the pair's current one (kept), else a new random one (generated once)."""
    mac, how = spec.mac, "given"
    if not mac:
        mac, how = (dx.mac_of(standby) if standby is not None else None), "kept"
    if not mac and primary is not None:
        mac = dx.mac_of(primary)
    if not mac:
        mac, how = dx.generate_mac(rng, set(taken_elsewhere) | set(dx.interface_macs(root))), "generated"
    if mac in taken_elsewhere:
        raise PairRefused("MAC {0} is already used by domain(s) {1} on this hypervisor: the pair needs a MAC of its own. Fix: give "
                          "another mac, or leave mac unset to generate a free one.".format(mac, ", ".join(sorted(taken_elsewhere[mac]))))
    for interface in dx.interfaces(root):
        if interface is not standby and interface is not primary and dx.mac_of(interface) == mac:
            raise PairRefused("MAC {0} is already used by {1} in domain {2}. Fix: give another mac, or remove that "
                              "interface.".format(mac, dx.describe_element(interface), domain_name))
    return mac, how


def _apply_standby(root, standby, spec, mac, domain_name):
    if standby is None:
        if not spec.standby_source:
            raise PairRefused("Domain {0} has no interface with alias {1}{2} to pair. Fix: give standby.source (and "
                              "standby.source_type) so that the module adds the virtio-net NIC.".format(
                                  domain_name, spec.standby_alias, " or MAC " + spec.mac if spec.mac else ""))
        standby = ET.Element("interface")
        dx.insert_device(root, standby, after_tag="interface")
    dx.set_child(standby, "mac", {"address": mac})
    if spec.standby_source:
        standby.set("type", spec.standby_source_type)
        source = {"bridge": {"bridge": spec.standby_source}, "network": {"network": spec.standby_source},
                  "direct": {"dev": spec.standby_source, "mode": "bridge"}}[spec.standby_source_type]
        dx.set_child(standby, "source", source)
    dx.set_child(standby, "model", {"type": "virtio"})
    dx.set_child(standby, "teaming", {"type": "persistent"})
    if spec.link_state == "down":
        dx.set_child(standby, "link", {"state": "down"})
    else:
        dx.remove_child(standby, "link")  # no <link> is up, libvirt's default
    dx.set_child(standby, "alias", {"name": spec.standby_alias})
    return standby


def _apply_primary(root, primary, spec, mac):
    wanted_type = _INTERFACE_TYPE[spec.primary_type]
    if primary is None or primary.get("type") != wanted_type:
        fresh = ET.Element("interface", {"type": wanted_type})
        if primary is None:
            dx.insert_device(root, fresh, after_tag="interface")
        else:
            parent = dx.devices(root)
            parent.insert(list(parent).index(primary), fresh)
            parent.remove(primary)
        primary = fresh
    dx.set_child(primary, "mac", {"address": mac})
    if spec.primary_type == "hostdev":
        primary.set("managed", "yes")
        source = dx.set_child(primary, "source")
        address = dx.parse_pci(spec.pci_address)
        ET.SubElement(source, "address", dx.pci_attributes(address["domain"], address["bus"], address["slot"], address["function"]))
    elif spec.primary_type == "network":
        dx.set_child(primary, "source", {"network": spec.network})
    else:
        dx.set_child(primary, "source", {"bridge": spec.source_bridge})
        dx.set_child(primary, "model", {"type": spec.model})
        dx.set_child(primary, "rom", {"enabled": "no"})  # without it the destination QEMU fails to load the NIC's ROM state
    if spec.primary_type == "emulated":
        dx.remove_child(primary, "teaming")  # libvirt refuses <teaming type='transient'> off hostdev interfaces
    else:
        dx.remove_child(primary, "model")
        dx.set_child(primary, "teaming", {"type": "transient", "persistent": spec.standby_alias})
    dx.set_child(primary, "alias", {"name": spec.primary_alias})
    return primary


def build_present(root, spec, taken_elsewhere, rng, domain_name="DOMAIN"):
    """The desired definition for state=present, from the current one. Returns (desired root, facts). Raises PairRefused."""
    problem = machine_problem(root)
    if problem:
        raise PairRefused("Domain {0} cannot carry a STANDBY pair: {1}.".format(domain_name, problem))
    desired = copy.deepcopy(root)
    standby = find_standby(desired, spec)
    primaries = find_primaries(desired, standby, spec.standby_alias, spec.primary_alias,
                               spec.mac or (dx.mac_of(standby) if standby is not None else None))
    _check_existing(desired, spec, standby, primaries, domain_name)
    primary = primaries[0] if primaries else None
    mac, how = choose_mac(desired, spec, standby, primary, taken_elsewhere, rng, domain_name)
    standby = _apply_standby(desired, standby, spec, mac, domain_name)
    primary = _apply_primary(desired, primary, spec, mac)
    try:
        index = pci_placement.place(desired, primary, spec.primary_alias, spec.root_port_index, spec.slot)
    except pci_placement.PlacementRefused as error:
        raise PairRefused("In domain {0}: {1}".format(domain_name, error)) from error
    acpi_added = dx.ensure_acpi(desired)
    return desired, {"mac": mac, "mac_source": how, "root_port_index": index, "acpi_added": acpi_added}


# --- state=absent ----------------------------------------------------------------------------------------


def build_absent(root, spec):
    """The definition without the pair: no primary, no port the module added, a plain virtio NIC with its link up."""
    desired = copy.deepcopy(root)
    standby = dx.interface_with_alias(desired, spec.standby_alias)
    mac = dx.mac_of(standby) if standby is not None else spec.mac
    removed = []
    for primary in find_primaries(desired, standby, spec.standby_alias, spec.primary_alias, mac):
        if primary is standby or dx.model_of(primary) == "virtio":
            continue
        dx.devices(desired).remove(primary)
        removed.append(dx.alias_of(primary) or dx.describe_element(primary))
    ports = pci_placement.remove_own_port(desired, spec.primary_alias)
    if standby is not None:
        dx.remove_child(standby, "teaming")
        dx.remove_child(standby, "link")  # without its primary a standby with its link down leaves the guest offline
    return desired, {"removed_primaries": removed, "removed_root_ports": ports}
