# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a STANDBY primary goes on the guest's PCI topology: its own pcie-root-port, alone in its own slot.

Why (lab-facts.md): a primary left to libvirt's placement can land on a pcie-to-pci bridge, where QEMU
refuses a failover primary ("must be on PCIExpress bus"); a root port that is one function of the
multifunction slot libvirt packs root ports into is hot-unplugged together with its siblings; a device
on bus 0 itself (an integrated endpoint) cannot be hot-unplugged at all. Pure functions on ElementTree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx

ROOT_PORT_MODEL = "pcie-root-port"
# q35 bus 0: slot 0 is the host bridge, slot 0x1f the ICH9 functions (LPC, SATA, SMBus); slot 1 is where
# libvirt puts video or packs its own root ports. The module picks from the slots in between.
FIRST_SLOT = 0x02
LAST_SLOT = 0x1e


def port_alias(primary_alias):
    """The user alias of the root port the module adds for a primary (lets state=absent remove only its own port)."""
    return primary_alias + "-port"


def port_problem(root, index, primary=None):
    """Why PCI controller ``index`` is not a root port of the primary's own (None when it is one)."""
    controller = dx.pci_controllers(root).get(index)
    if controller is None:
        return "there is no PCI controller with index {0}".format(index)
    model = controller.get("model")
    if model != ROOT_PORT_MODEL:
        hint = " (QEMU refuses a failover primary off PCI Express)" if model in ("pcie-to-pci-bridge", "pci-bridge") else ""
        if index == 0:
            hint = " (a device on the root bus itself is an integrated endpoint: it cannot be hot-unplugged)"
        return "PCI controller {0} is a {1}, not a {2}{3}".format(index, model, ROOT_PORT_MODEL, hint)
    address = dx.pci_address(controller)
    if address is None:
        return "root port {0} has no PCI address yet".format(index)
    if address["function"] != 0 or dx.is_multifunction_slot(root, address["bus"], address["slot"]):
        siblings = len(dx.slot_users(root, address["bus"], address["slot"])) - 1
        return ("root port {0} is function {1} of the multifunction slot {2:02x}:{3:02x} (shared with {4} other device(s)): "
                "hot-unplugging the primary would take its siblings along".format(
                    index, address["function"], address["bus"], address["slot"], siblings))
    others = [element for element in dx.devices_on_bus(root, index) if element is not primary]
    if others:
        return "root port {0} already holds {1}".format(index, ", ".join(dx.describe_element(e) for e in others))
    return None


def placement_problem(root, primary):
    """Why the primary's current place is wrong (None when it sits alone on a root port of its own)."""
    address = dx.pci_address(primary)
    if address is None:
        return "the primary has no PCI address: libvirt may place it on a pcie-to-pci bridge"
    return port_problem(root, address["bus"], primary)


def free_slot(root):
    used = {address["slot"] for _element, address in dx.pci_devices(root) if address["domain"] == 0 and address["bus"] == 0}
    for slot in range(FIRST_SLOT, LAST_SLOT + 1):
        if slot not in used:
            return slot
    return None


class PlacementRefused(Exception):
    """An explicit root_port_index/slot that would put the primary where it must not go."""


def choose(root, primary, alias, root_port_index=None, slot=None):
    """Pick the primary's root port: (index, slot_to_create or None). Raises PlacementRefused for a bad explicit choice.

    Order: the port named by ``root_port_index``; the primary's current port if it is right; the port the
    module added before (found by its alias); else a new port, index one above the highest, in ``slot``
    or the first free slot of bus 0.
    """
    controllers = dx.pci_controllers(root)
    fix = ("leave root_port_index and slot unset (the module then adds a root port of its own in a free slot), "
           "or name a pcie-root-port that is alone in its slot and holds nothing else")
    if root_port_index is not None and root_port_index in controllers:
        problem = port_problem(root, root_port_index, primary)
        if problem:
            raise PlacementRefused("The primary cannot go on PCI controller {0}: {1}. Fix: {2}.".format(root_port_index, problem, fix))
        port_slot = dx.pci_address(controllers[root_port_index])["slot"]
        if slot is not None and port_slot != slot:
            raise PlacementRefused("Root port {0} sits in slot 0x{1:02x}, not in the requested slot 0x{2:02x}. Fix: give only one of "
                                   "root_port_index and slot.".format(root_port_index, port_slot, slot))
        return root_port_index, None
    if root_port_index is None:
        candidates = []
        current = dx.pci_address(primary) if primary is not None else None
        if current is not None:
            candidates.append(current["bus"])
        candidates.extend(index for index, c in sorted(controllers.items()) if dx.alias_of(c) == port_alias(alias))
        for index in candidates:
            if index in controllers and port_problem(root, index, primary) is None:
                if slot is None or dx.pci_address(controllers[index])["slot"] == slot:
                    return index, None
    new_index = root_port_index if root_port_index is not None else max(list(controllers) + [0]) + 1
    if new_index <= 0:
        raise PlacementRefused("root_port_index must be 1 or more (0 is the root bus).")
    if slot is None:
        slot = free_slot(root)
        if slot is None:
            raise PlacementRefused("Bus 0 has no free slot for a root port of the primary's own. Fix: free a slot, or give "
                                   "root_port_index of a pcie-root-port that is alone in its slot.")
    elif not FIRST_SLOT - 1 <= slot <= LAST_SLOT:
        raise PlacementRefused("Slot 0x{0:02x} cannot hold a root port (use 0x01 to 0x1e). Fix: {1}.".format(slot, fix))
    else:
        users = dx.slot_users(root, 0, slot)
        if users:
            raise PlacementRefused("Slot 0x{0:02x} of bus 0 already holds {1}: the primary's root port would share a "
                                   "(multifunction) slot. Fix: {2}.".format(slot, ", ".join(dx.describe_element(e) for e, _a in users), fix))
    return new_index, slot


def new_root_port(root, index, slot, alias):
    """A <controller type='pci' model='pcie-root-port'> for bus ``index``, alone in ``slot`` of bus 0."""
    controller = ET.Element("controller", {"type": "pci", "index": str(index), "model": ROOT_PORT_MODEL})
    chassis = {int(c.find("target").get("chassis", "-1")) for c in dx.pci_controllers(root).values() if c.find("target") is not None}
    if index in chassis:  # libvirt uses the index as chassis number unless told otherwise
        ET.SubElement(controller, "target", {"chassis": str(max(chassis) + 1)})
    ET.SubElement(controller, "alias", {"name": alias})
    ET.SubElement(controller, "address", dx.pci_attributes(bus=0, slot=slot))
    return controller


def place(root, primary, alias, root_port_index=None, slot=None):
    """Pin ``primary`` (already in ``root``) to a root port of its own, adding the port if needed. Returns the port's index."""
    index, create_in_slot = choose(root, primary, alias, root_port_index, slot)
    own_alias = port_alias(alias)
    if create_in_slot is not None:
        for old in [c for c in dx.pci_controllers(root).values() if dx.alias_of(c) == own_alias]:
            if not [e for e in dx.devices_on_bus(root, int(old.get("index"))) if e is not primary]:
                dx.devices(root).remove(old)  # the module's earlier port, now left empty
            else:
                dx.remove_child(old, "alias")  # keep the port for what it holds; the alias moves to the new one
        dx.insert_device(root, new_root_port(root, index, create_in_slot, own_alias), after_tag="controller")
    dx.set_child(primary, "address", dx.pci_attributes(bus=index))
    return index


def remove_own_port(root, alias):
    """state=absent: remove the root port the module added for the primary ``alias`` if nothing else sits on it."""
    removed = []
    for controller in [c for c in dx.pci_controllers(root).values() if dx.alias_of(c) == port_alias(alias)]:
        if not dx.devices_on_bus(root, int(controller.get("index"))):
            dx.devices(root).remove(controller)
            removed.append(int(controller.get("index")))
    return removed
