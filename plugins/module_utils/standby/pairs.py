# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The STANDBY pairs of a domain definition, as a migration moves them: each standby joined with its primary.

The standby is a virtio-net interface with <teaming type='persistent'/> (or QEMU's failover=on through <qemu:override>),
its primary the interface or hostdev teamed with it (<teaming type='transient' persistent='ALIAS'/>, or QEMU's
failover_pair_id), else the non-virtio interface with its MAC. Used by the failover_pairs filters and migration_preflight.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pair import is_transient_teaming

_TRUE = ("on", "true", "yes", "1")


def by_alias(root, alias, hostdevs=False):
    elements = domain_xml.interfaces(root) + (root.findall("devices/hostdev") if hostdevs else [])
    return next((e for e in elements if domain_xml.alias_of(e) == alias), None)


def qemu_properties(root):
    """alias -> {property: value} that <qemu:override> gives a device's frontend (failover=on for a standby,
    failover_pair_id for a primary: how the lab's emulated VF joins QEMU's failover)."""
    namespace = "{" + domain_xml.QEMU_NAMESPACE + "}"
    found = {}
    for device in root.iter(namespace + "device"):
        for prop in device.iter(namespace + "property"):
            found.setdefault(device.get("alias"), {})[prop.get("name")] = prop.get("value")
    return found


def describe_primary(element):
    """A VF (an <interface type='hostdev'>, a plain PCI <hostdev>, or an interface on a libvirt hostdev network pool) or
    the lab's emulated one (a PCI NIC model)."""
    if element.tag == "hostdev":
        kind = "hostdev"
    elif element.get("type") in ("hostdev", "network") and domain_xml.model_of(element) is None:
        kind = element.get("type")
    else:
        kind = "emulated"
    return {"alias": domain_xml.alias_of(element), "kind": kind, "source": domain_xml.source_of(element),
            "mac": domain_xml.mac_of(element), "xml": ET.tostring(element, encoding="unicode")}


def is_standby(element, properties):
    if element.get("type") == "hostdev" or domain_xml.model_of(element) != "virtio":
        return False
    failover_on = (properties.get(domain_xml.alias_of(element)) or {}).get("failover", "").lower() in _TRUE
    return (domain_xml.teaming_of(element) or {}).get("type") == "persistent" or failover_on


def primary_of(root, standby, properties):
    """The standby's primary in the definition: teamed with its alias, paired by QEMU's failover_pair_id, else the
    non-virtio interface with its MAC. None when there is none (the VF is detached)."""
    alias, mac = domain_xml.alias_of(standby), domain_xml.mac_of(standby)
    candidates = [e for e in domain_xml.interfaces(root) + root.findall("devices/hostdev") if e is not standby]
    teamed = [e for e in candidates if alias and is_transient_teaming(e) and domain_xml.teaming_of(e).get("persistent") == alias]
    paired = [e for e in candidates if alias and (properties.get(domain_xml.alias_of(e)) or {}).get("failover_pair_id") == alias]
    same_mac = [e for e in candidates if e.tag == "interface" and mac and domain_xml.mac_of(e) == mac
                and domain_xml.model_of(e) != "virtio" and not (is_transient_teaming(e) and domain_xml.teaming_of(e).get("persistent") != alias)]
    return next(iter(teamed + paired + same_mac), None)


def describe_pair(standby, primary, properties):
    teaming = primary is not None and (
        is_transient_teaming(primary) or "failover_pair_id" in (properties.get(domain_xml.alias_of(primary)) or {}))
    return {
        "mac": domain_xml.mac_of(standby),
        "standby": {"alias": domain_xml.alias_of(standby), "tap": domain_xml.target_dev_of(standby),
                    "source": domain_xml.source_of(standby), "type": standby.get("type"),
                    "link_state": domain_xml.link_state_of(standby), "teaming": domain_xml.teaming_of(standby)},
        "primary": None if primary is None else describe_primary(primary),
        "variant": "teaming" if teaming else "manual",
    }


def pairs_of(root):
    properties = qemu_properties(root)
    return [describe_pair(standby, primary_of(root, standby, properties), properties)
            for standby in domain_xml.interfaces(root) if is_standby(standby, properties)]
