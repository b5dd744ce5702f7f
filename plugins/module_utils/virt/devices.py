# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A domain's devices: find them by alias or tap in the live or persistent XML, change link states, attach and detach.

The standby and the primary of a STANDBY pair share one MAC address, so nothing here ever looks a
device up by MAC: interfaces are found by their user alias (``ua-...``) or by their tap (``<target dev>``).
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    libvirt_call,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domain_xml import alias_of, interfaces, parse as parse_xml
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domains import is_active, read_xml

# libvirt constants, as numbers so this file reads without libvirt-python installed.
AFFECT_LIVE = 1  # VIR_DOMAIN_AFFECT_LIVE
AFFECT_CONFIG = 2  # VIR_DOMAIN_AFFECT_CONFIG

LINK_STATES = ("up", "down")


# --- reading the domain XML ---------------------------------------------------------------------------


def to_text(element):
    return ET.tostring(element, encoding="unicode").strip()


def _attribute(element, path, attribute):
    child = element.find(path)
    return child.get(attribute) if child is not None else None


def describe_interface(element):
    """The facts of one ``<interface>`` element that identify it for a person."""
    return {
        "alias": alias_of(element),
        "tap": _attribute(element, "target", "dev"),
        "mac": _attribute(element, "mac", "address"),
        "type": element.get("type"),
        "model": _attribute(element, "model", "type"),
        "link_state": link_state(element),
    }


def find_interface(domain_element, alias=None, tap=None):
    """The interface with this alias (or, without an alias, this tap); None when there is none."""
    for interface in interfaces(domain_element):
        if alias is not None and alias_of(interface) == alias:
            return interface
        if alias is None and tap is not None and _attribute(interface, "target", "dev") == tap:
            return interface
    return None


def find_device(domain_element, alias):
    """Any device (interface, hostdev, ...) whose alias is ``alias``; None when there is none."""
    devices = domain_element.find("devices")
    if devices is None:
        return None
    for device in devices:
        if alias_of(device) == alias:
            return device
    return None


def interface_summary(domain_element):
    """'alias=... tap=... mac=... model=...' for every interface: for error messages."""
    parts = []
    for interface in interfaces(domain_element):
        facts = describe_interface(interface)
        parts.append("alias={alias} tap={tap} mac={mac} model={model}".format(**facts))
    return "; ".join(parts) or "none"


# --- link state ---------------------------------------------------------------------------------------


def link_state(interface):
    """'up' or 'down'; an interface without a ``<link>`` element is up (libvirt's default)."""
    link = interface.find("link")
    state = link.get("state") if link is not None else None
    return state or "up"


def with_link_state(interface, state):
    """The interface element as XML text with ``<link state=...>`` set: the update request for libvirt.

    The element is the live one, so it keeps the alias, the tap and the PCI address that let libvirt
    tell the standby from the primary (they share a MAC).
    """
    if state not in LINK_STATES:
        raise ValueError("link state must be one of {0}".format(LINK_STATES))
    element = copy.deepcopy(interface)
    link = element.find("link")
    if link is None:
        link = ET.SubElement(element, "link")
    link.attrib.clear()
    link.set("state", state)
    return to_text(element)


@libvirt_call("update device {what} of domain {name}")
def update_device(domain, xml, flags, name=None, what="?"):
    return domain.updateDeviceFlags(xml, flags)


# --- attach and detach ----------------------------------------------------------------------------------


def device_xml_with_alias(xml, alias):
    """Check the device XML to attach and make sure it carries ``alias``.

    A device XML without an alias gets ``<alias name=alias/>``; one with a different alias is refused.
    Returns (XML text, parsed element).
    """
    element = parse_xml(xml, "device XML (xml)")
    if element.tag == "domain":
        raise LibvirtCollectionError("The device XML (xml) is a whole domain definition; give only the device element, "
                                     "for example <interface type='hostdev'>...</interface>.")
    # The <alias> element itself, not alias_of(): pylint 3.0 (ansible-core 2.16's sanity) crashes inferring an `if` on that.
    current = element.find("alias")
    if current is None:
        ET.SubElement(element, "alias", {"name": alias})
    elif current.get("name") != alias:
        raise LibvirtCollectionError("The device XML (xml) has alias {0!r} but alias is {1!r}; make them the same.".format(
            current.get("name"), alias))
    return to_text(element), element


@libvirt_call("attach device {alias} to domain {name} ({where})")
def attach_device(domain, xml, flags, name=None, alias=None, where="live"):
    return domain.attachDeviceFlags(xml, flags)


@libvirt_call("detach device {alias} from domain {name} ({where})")
def detach_device_alias(domain, alias, flags, name=None, where="live"):
    return domain.detachDeviceAlias(alias, flags)


# --- the standby's live link state ------------------------------------------------------------------------


def live_interface(domain, alias=None, tap=None):
    """The live ``<interface>`` element found by alias or tap; fails with the domain's interfaces when absent."""
    name = domain.name()
    if not is_active(domain, name=name):
        raise LibvirtCollectionError(
            "Domain {0} is not running: a link state can only be set on a running domain. Start it, or run this "
            "on the hypervisor that runs it.".format(name))
    # secure: the element found here goes back to libvirt (updateDeviceFlags)
    live = parse_xml(read_xml(domain, "live", name=name, secure=True), "live XML of domain " + name)
    interface = find_interface(live, alias=alias, tap=tap)
    if interface is None:
        wanted = "alias {0!r}".format(alias) if alias is not None else "tap {0!r}".format(tap)
        raise LibvirtCollectionError(
            "Domain {0} has no interface with {1} in its live XML. Its interfaces: {2}. Check the alias (or tap) "
            "with `virsh dumpxml {0}`.".format(name, wanted, interface_summary(live)))
    return interface


def set_link_state(domain, state, alias=None, tap=None, check_mode=False):
    """Set the live link state of the interface found by alias or tap. Returns the module result."""
    name = domain.name()
    interface = live_interface(domain, alias=alias, tap=tap)
    facts = describe_interface(interface)
    before = facts["link_state"]
    result = {"changed": before != state, "alias": facts["alias"], "tap": facts["tap"], "mac": facts["mac"],
              "link_state_before": before, "link_state": state}
    if result["changed"] and not check_mode:
        what = facts["alias"] or facts["tap"]
        update_device(domain, with_link_state(interface, state), AFFECT_LIVE, name=name, what=what)
        after = link_state(live_interface(domain, alias=alias, tap=tap))
        result["link_state"] = after
        if after != state:
            raise LibvirtCollectionError(
                "libvirt accepted the link state change of {0} on domain {1} but the live XML still says {2!r}.".format(
                    what, name, after), result=result)
    return result
