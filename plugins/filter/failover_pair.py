# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter failover_pair: the STANDBY pair of a domain's XML, as the migrate role needs it."""

import xml.etree.ElementTree as ET

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.module_utils import domain_xml
from ansible_collections.netfailover.standby.plugins.module_utils.libvirt_connection import LibvirtCollectionError


def _by_alias(root, alias):
    return next((i for i in domain_xml.interfaces(root) if domain_xml.alias_of(i) == alias), None)


def _qemu_failover_pair_ids(root):
    """Aliases given a QEMU failover_pair_id through <qemu:override> (how an emulated VF joins QEMU's failover)."""
    namespace = "{" + domain_xml.QEMU_NAMESPACE + "}"
    paired = set()
    for device in root.iter(namespace + "device"):
        for prop in device.iter(namespace + "property"):
            if prop.get("name") == "failover_pair_id":
                paired.add(device.get("alias"))
    return paired


def _describe_primary(element):
    """A VF interface (hostdev, or network on a VF pool) or the lab's emulated one (a PCI NIC model)."""
    kind = element.get("type") if element.get("type") in ("hostdev", "network") and domain_xml.model_of(element) is None else "emulated"
    return {"alias": domain_xml.alias_of(element), "kind": kind, "source": domain_xml.source_of(element),
            "mac": domain_xml.mac_of(element), "xml": ET.tostring(element, encoding="unicode")}


def failover_device(xml_text):
    """Describe one VF device XML (the seed's vf_xml): alias, kind, source, mac."""
    try:
        return _describe_primary(domain_xml.parse(xml_text, what="VF device XML"))
    except LibvirtCollectionError as error:
        raise AnsibleFilterError(error.message) from error


def failover_pair(xml_text, standby_alias="ua-standby0", primary_alias="ua-primary0", strict=True):
    """Describe the pair: MAC, standby (tap, source, link), primary (kind, source, device XML) and the dance variant.

    Without ``strict`` a domain with no standby interface gives None instead of an error (for picking STANDBY VMs).
    """
    try:
        root = domain_xml.parse(xml_text)
    except LibvirtCollectionError as error:
        raise AnsibleFilterError(error.message) from error
    standby = _by_alias(root, standby_alias)
    if standby is None or domain_xml.model_of(standby) != "virtio":
        if not strict:
            return None
        raise AnsibleFilterError(
            "The domain has no virtio-net interface with alias {0}: it has no STANDBY pair to migrate. "
            "Configure one with netfailover.standby.standby_pair (or give migrate_standby_alias).".format(standby_alias))
    primary = _by_alias(root, primary_alias)
    teaming = primary is not None and (
        (domain_xml.teaming_of(primary) or {}).get("type") == "transient" or primary_alias in _qemu_failover_pair_ids(root))
    return {
        "mac": domain_xml.mac_of(standby),
        "standby": {"alias": standby_alias, "tap": domain_xml.target_dev_of(standby), "source": domain_xml.source_of(standby),
                    "type": standby.get("type"), "link_state": domain_xml.link_state_of(standby),
                    "teaming": domain_xml.teaming_of(standby)},
        "primary": None if primary is None else _describe_primary(primary),
        "variant": "teaming" if teaming else "manual",
    }


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"failover_pair": failover_pair, "failover_device": failover_device}
