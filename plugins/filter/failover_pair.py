# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters failover_pairs and failover_pair: the STANDBY pairs of a domain's XML, as the migrate role needs them.

failover_pairs finds every pair from the definition itself, joined by MAC: the standby is a virtio-net interface with
<teaming type='persistent'/> (or QEMU's failover=on through <qemu:override>), its primary the interface or hostdev
teamed with it (<teaming type='transient' persistent='ALIAS'/>, or QEMU's failover_pair_id), else the non-virtio
interface with its MAC. failover_pair describes one pair by the aliases it is given.
"""

import xml.etree.ElementTree as ET

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pair import is_transient_teaming

_TRUE = ("on", "true", "yes", "1")


def _parse(xml_text, what="domain XML"):
    try:
        return domain_xml.parse(xml_text, what=what)
    except LibvirtCollectionError as error:
        raise AnsibleFilterError(error.message) from error


def _by_alias(root, alias, hostdevs=False):
    elements = domain_xml.interfaces(root) + (root.findall("devices/hostdev") if hostdevs else [])
    return next((e for e in elements if domain_xml.alias_of(e) == alias), None)


def _qemu_properties(root):
    """alias -> {property: value} that <qemu:override> gives a device's frontend (failover=on for a standby,
    failover_pair_id for a primary: how the lab's emulated VF joins QEMU's failover)."""
    namespace = "{" + domain_xml.QEMU_NAMESPACE + "}"
    found = {}
    for device in root.iter(namespace + "device"):
        for prop in device.iter(namespace + "property"):
            found.setdefault(device.get("alias"), {})[prop.get("name")] = prop.get("value")
    return found


def _describe_primary(element):
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


def _is_standby(element, properties):
    if element.get("type") == "hostdev" or domain_xml.model_of(element) != "virtio":
        return False
    failover_on = (properties.get(domain_xml.alias_of(element)) or {}).get("failover", "").lower() in _TRUE
    return (domain_xml.teaming_of(element) or {}).get("type") == "persistent" or failover_on


def _primary_of(root, standby, properties):
    """The standby's primary in the definition: teamed with its alias, paired by QEMU's failover_pair_id, else the
    non-virtio interface with its MAC. None when there is none (the VF is detached)."""
    alias, mac = domain_xml.alias_of(standby), domain_xml.mac_of(standby)
    candidates = [e for e in domain_xml.interfaces(root) + root.findall("devices/hostdev") if e is not standby]
    teamed = [e for e in candidates if alias and is_transient_teaming(e) and domain_xml.teaming_of(e).get("persistent") == alias]
    paired = [e for e in candidates if alias and (properties.get(domain_xml.alias_of(e)) or {}).get("failover_pair_id") == alias]
    same_mac = [e for e in candidates if e.tag == "interface" and mac and domain_xml.mac_of(e) == mac
                and domain_xml.model_of(e) != "virtio" and not (is_transient_teaming(e) and domain_xml.teaming_of(e).get("persistent") != alias)]
    return next(iter(teamed + paired + same_mac), None)


def _describe_pair(standby, primary, properties):
    teaming = primary is not None and (
        is_transient_teaming(primary) or "failover_pair_id" in (properties.get(domain_xml.alias_of(primary)) or {}))
    return {
        "mac": domain_xml.mac_of(standby),
        "standby": {"alias": domain_xml.alias_of(standby), "tap": domain_xml.target_dev_of(standby),
                    "source": domain_xml.source_of(standby), "type": standby.get("type"),
                    "link_state": domain_xml.link_state_of(standby), "teaming": domain_xml.teaming_of(standby)},
        "primary": None if primary is None else _describe_primary(primary),
        "variant": "teaming" if teaming else "manual",
    }


def _pairs(root):
    properties = _qemu_properties(root)
    return [_describe_pair(standby, _primary_of(root, standby, properties), properties)
            for standby in domain_xml.interfaces(root) if _is_standby(standby, properties)]


def failover_pairs(xml_text):
    """Every STANDBY pair of the domain, in the order of the standbys: MAC, standby, primary (None when detached), variant."""
    return _pairs(_parse(xml_text))


def failover_device(xml_text):
    """Describe one VF device XML (the seed's vf_xml): alias, kind, source, mac."""
    return _describe_primary(_parse(xml_text, what="VF device XML"))


def failover_pair(xml_text, standby_alias="ua-standby0", primary_alias="ua-primary0", strict=True):
    """Describe the pair of these aliases: MAC, standby (tap, source, link), primary (kind, source, device XML), variant.

    The aliases are taken as given, never guessed from the definition: the steps that follow act on those aliases, so a
    pair found under other ones would have them detach or relink nothing. ``primary`` is None when no interface has
    ``primary_alias`` (detached, or another alias: the error for a missing standby names the pairs the domain has; find
    them with failover_pairs). Without ``strict`` a domain with no standby interface gives None instead of an error (for
    picking STANDBY VMs).
    """
    root = _parse(xml_text)
    standby = _by_alias(root, standby_alias)
    if standby is None or domain_xml.model_of(standby) != "virtio":
        if not strict:
            return None
        found = ", ".join("{0} (MAC {1}, primary {2})".format(pair["standby"]["alias"], pair["mac"],
                                                              pair["primary"]["alias"] if pair["primary"] else "detached")
                          for pair in _pairs(root))
        raise AnsibleFilterError(
            "The domain has no virtio-net interface with alias {0}: it has no STANDBY pair to migrate by that alias{1}. "
            "Configure one with netfailover.standby.standby_pair (failover_pairs finds the pairs under any alias).".format(
                standby_alias, "; its STANDBY pairs: " + found if found else ""))
    primary = _by_alias(root, primary_alias, hostdevs=True)
    return _describe_pair(standby, primary, _qemu_properties(root))


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"failover_pair": failover_pair, "failover_pairs": failover_pairs, "failover_device": failover_device}
