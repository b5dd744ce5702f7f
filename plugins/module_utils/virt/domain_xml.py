# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generic reading and editing of libvirt domain XML (stdlib ElementTree only, no libvirt).

Pure functions: parse, serialise with a stable layout, find interfaces and aliases, read and write
PCI addresses, check the machine type and ACPI. The STANDBY pair logic lives in standby_pair.py.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

QEMU_NAMESPACE = "http://libvirt.org/schemas/domain/qemu/1.0"
ET.register_namespace("qemu", QEMU_NAMESPACE)

MAC_PREFIX = "52:54:00"  # QEMU/KVM's locally administered prefix, as libvirt generates
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_PCI_RE = re.compile(r"^(?:(?P<domain>[0-9a-fA-F]{1,4}):)?(?P<bus>[0-9a-fA-F]{1,2}):(?P<slot>[0-9a-fA-F]{1,2})\.(?P<function>[0-7])$")


# --- parsing and serialising ------------------------------------------------------------------------


def parse(text, what="domain XML"):
    """Parse XML text; keep the namespace prefixes it declares so that serialising gives them back."""
    try:
        for _event, (prefix, uri) in ET.iterparse(io.StringIO(text), events=("start-ns",)):
            if prefix and not re.match(r"ns\d+$", prefix):
                ET.register_namespace(prefix, uri)
        return ET.fromstring(text)
    except ET.ParseError as error:
        raise LibvirtCollectionError("Could not parse the {0}: {1}".format(what, error)) from error


def indent(element, level=0, space="  "):
    """Re-indent a tree in place (ElementTree.indent needs Python 3.9; the managed node may have 3.8)."""
    pad = "\n" + level * space
    children = list(element)
    if children:
        if not element.text or not element.text.strip():
            element.text = pad + space
        for child in children:
            indent(child, level + 1, space)
            if not child.tail or not child.tail.strip():
                child.tail = pad + space
        if not children[-1].tail or not children[-1].tail.strip():
            children[-1].tail = pad
    if level == 0:
        element.tail = None


def to_string(element):
    """Serialise with a stable layout, so that two trees differ in text only where they differ in content."""
    indent(element)
    return ET.tostring(element, encoding="unicode") + "\n"


def normalised(text):
    """libvirt's XML text (or any domain XML) in the layout of to_string, for readable diffs."""
    return to_string(parse(text))


# --- small accessors --------------------------------------------------------------------------------


def devices(root):
    found = root.find("devices")
    if found is None:
        found = ET.SubElement(root, "devices")
    return found


def interfaces(root):
    return root.findall("devices/interface")


def alias_of(element):
    alias = element.find("alias")
    return alias.get("name") if alias is not None else None


def interface_with_alias(root, alias):
    """The ``<interface>`` whose alias is ``alias``; None when there is none (a standby and its VF share a MAC: never by MAC)."""
    return next((element for element in interfaces(root) if alias_of(element) == alias), None)


def mac_of(element):
    mac = element.find("mac")
    if mac is None:
        return None
    return mac.get("address", "").lower() or None


def model_of(element):
    model = element.find("model")
    return model.get("type") if model is not None else None


# What a definition says about the source, by interface type; the live XML adds more (portid, a network's bridge).
SOURCE_KEYS = {"bridge": ("bridge",), "network": ("network",), "direct": ("dev", "mode"), "hostdev": ()}


def source_of(element):
    """The defining attributes of <source> (for a hostdev interface, its PCI address as 'dddd:bb:ss.f')."""
    source = element.find("source")
    if source is None:
        return {}
    keys = SOURCE_KEYS.get(element.get("type"), ("bridge", "network", "dev", "mode"))
    attributes = {key: value for key, value in source.attrib.items() if key in keys}
    address = source.find("address")
    if address is not None:
        attributes["address"] = format_pci(pci_address(address))
    return attributes


def teaming_of(element):
    teaming = element.find("teaming")
    return dict(teaming.attrib) if teaming is not None else None


def link_state_of(element):
    """'up' or 'down'; no <link> element means up."""
    link = element.find("link")
    return link.get("state", "up") if link is not None else "up"


def target_dev_of(element):
    target = element.find("target")
    return target.get("dev") if target is not None else None


def all_aliases(root):
    """(alias, element) for every element of <devices> (at any depth) that carries an alias."""
    found = []
    for element in devices(root).iter():
        alias = element.find("alias")
        if alias is not None and alias.get("name"):
            found.append((alias.get("name"), element))
    return found


def interface_macs(root):
    return [mac for mac in (mac_of(interface) for interface in interfaces(root)) if mac]


def set_child(element, tag, attributes=None, replace=True):
    """Make ``element`` have one child ``tag`` with exactly ``attributes``; returns the child."""
    child = element.find(tag)
    if child is None:
        child = ET.SubElement(element, tag)
    elif replace:
        for grandchild in list(child):
            child.remove(grandchild)
        child.attrib.clear()
    child.attrib.update(attributes or {})
    return child


def remove_child(element, tag):
    """Remove every child ``tag``; True if one was removed."""
    found = element.findall(tag)
    for child in found:
        element.remove(child)
    return bool(found)


def insert_device(root, element, after_tag=None):
    """Append a device to <devices>, after the last ``after_tag`` if there is one (libvirt's own order)."""
    parent = devices(root)
    children = list(parent)
    position = len(children)
    if after_tag:
        same = [i for i, child in enumerate(children) if child.tag == after_tag]
        if same:
            position = same[-1] + 1
    parent.insert(position, element)
    return element


# --- machine type and features ------------------------------------------------------------------------


def machine_type(root):
    os_type = root.find("os/type")
    return os_type.get("machine", "") if os_type is not None else ""


def is_q35(root):
    return "q35" in machine_type(root)


def is_i440fx(root):
    """'pc', 'pc-i440fx-*' and the old 'pc-X.Y' names are all i440fx."""
    machine = machine_type(root)
    return machine == "pc" or (machine.startswith("pc-") and "q35" not in machine)


def has_acpi(root):
    return root.find("features/acpi") is not None


def ensure_acpi(root):
    """Add <features><acpi/></features>; True if it was missing."""
    if has_acpi(root):
        return False
    features = root.find("features")
    if features is None:
        features = ET.Element("features")
        children = list(root)
        os_element = root.find("os")
        root.insert(children.index(os_element) + 1 if os_element is not None else len(children), features)
    ET.SubElement(features, "acpi")
    return True


# --- PCI addresses ------------------------------------------------------------------------------------


def _number(text):
    try:
        return int(text, 0)
    except ValueError:
        return int(text, 10)


def pci_address(element):
    """An <address type='pci'> element (or an element holding one) as a dict of ints; None if not PCI."""
    address = element if element.tag == "address" else element.find("address")
    if address is None or address.get("type", "pci") != "pci":
        return None
    values = {key: _number(address.get(key, "0")) for key in ("domain", "bus", "slot", "function")}
    values["multifunction"] = address.get("multifunction") == "on"
    return values


def format_pci(address):
    """'dddd:bb:ss.f' for an address dict (None stays None)."""
    if address is None:
        return None
    return "{domain:04x}:{bus:02x}:{slot:02x}.{function:x}".format(**address)


def parse_pci(text):
    """Parse 'dddd:bb:ss.f' or 'bb:ss.f' into an address dict; None if it is not one."""
    match = _PCI_RE.match(text.strip())
    if not match:
        return None
    return {"domain": int(match.group("domain") or "0", 16), "bus": int(match.group("bus"), 16),
            "slot": int(match.group("slot"), 16), "function": int(match.group("function")), "multifunction": False}


def pci_attributes(domain=0, bus=0, slot=0, function=0):
    """The attributes of <address type='pci'> in libvirt's own formatting."""
    return {"type": "pci", "domain": "0x{0:04x}".format(domain), "bus": "0x{0:02x}".format(bus),
            "slot": "0x{0:02x}".format(slot), "function": "0x{0:x}".format(function)}


def pci_devices(root):
    """(element, address dict) for every device of <devices> with a PCI address (its own, not a hostdev source)."""
    found = []
    for element in devices(root):
        address = element.find("address")
        if address is not None and address.get("type") == "pci":
            found.append((element, pci_address(address)))
    return found


def devices_on_bus(root, bus):
    return [element for element, address in pci_devices(root) if address["domain"] == 0 and address["bus"] == bus]


def slot_users(root, bus, slot):
    """Devices in one slot of one bus (any function)."""
    return [(element, address) for element, address in pci_devices(root)
            if address["domain"] == 0 and address["bus"] == bus and address["slot"] == slot]


def is_multifunction_slot(root, bus, slot):
    users = slot_users(root, bus, slot)
    return len(users) > 1 or any(address["multifunction"] for _element, address in users)


def pci_controllers(root):
    """index -> <controller type='pci'> element."""
    return {int(c.get("index", "0")): c for c in root.findall("devices/controller") if c.get("type") == "pci"}


# --- MAC addresses ------------------------------------------------------------------------------------


def valid_mac(mac):
    return bool(mac) and bool(_MAC_RE.match(mac.lower())) and not int(mac[:2], 16) & 1


def generate_mac(rng, taken=()):
    """A random 52:54:00:xx:xx:xx MAC that is not in ``taken``."""
    taken = {mac.lower() for mac in taken}
    for _attempt in range(1000):
        mac = "{0}:{1:02x}:{2:02x}:{3:02x}".format(MAC_PREFIX, rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if mac not in taken:
            return mac
    raise LibvirtCollectionError("Could not generate a free MAC address: give one with the mac option")


def describe_element(element):
    """A short human name of a device element, for messages: interface (bridge, vmxnet3, ua-primary0)."""
    if element.tag == "controller":
        return "{0} controller {1}".format(element.get("model") or element.get("type"), element.get("index"))
    details = [element.get("type") or "", model_of(element) or "", alias_of(element) or ""]
    return "{0} ({1})".format(element.tag, ", ".join(d for d in details if d)) if any(details) else element.tag
