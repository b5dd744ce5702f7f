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

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.module_utils.standby.pairs import (
    by_alias,
    describe_pair,
    describe_primary,
    pairs_of,
    qemu_properties,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError


def _parse(xml_text, what="domain XML"):
    try:
        return domain_xml.parse(xml_text, what=what)
    except LibvirtCollectionError as error:
        raise AnsibleFilterError(error.message) from error


def failover_pairs(xml_text):
    """Every STANDBY pair of the domain, in the order of the standbys: MAC, standby, primary (None when detached), variant."""
    return pairs_of(_parse(xml_text))


def failover_device(xml_text):
    """Describe one VF device XML (the seed's vf_xml): alias, kind, source, mac."""
    return describe_primary(_parse(xml_text, what="VF device XML"))


def failover_pair(xml_text, standby_alias="ua-standby0", primary_alias="ua-primary0", strict=True):
    """Describe the pair of these aliases: MAC, standby (tap, source, link), primary (kind, source, device XML), variant.

    The aliases are taken as given, never guessed from the definition: the steps that follow act on those aliases, so a
    pair found under other ones would have them detach or relink nothing. ``primary`` is None when no interface has
    ``primary_alias`` (detached, or another alias: the error for a missing standby names the pairs the domain has; find
    them with failover_pairs). Without ``strict`` a domain with no standby interface gives None instead of an error (for
    picking STANDBY VMs).
    """
    root = _parse(xml_text)
    standby = by_alias(root, standby_alias)
    if standby is None or domain_xml.model_of(standby) != "virtio":
        if not strict:
            return None
        found = ", ".join("{0} (MAC {1}, primary {2})".format(pair["standby"]["alias"], pair["mac"],
                                                              pair["primary"]["alias"] if pair["primary"] else "detached")
                          for pair in pairs_of(root))
        raise AnsibleFilterError(
            "The domain has no virtio-net interface with alias {0}: it has no STANDBY pair to migrate by that alias{1}. "
            "Configure one with netfailover.standby.standby_pair (failover_pairs finds the pairs under any alias).".format(
                standby_alias, "; its STANDBY pairs: " + found if found else ""))
    primary = by_alias(root, primary_alias, hostdevs=True)
    return describe_pair(standby, primary, qemu_properties(root))


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"failover_pair": failover_pair, "failover_pairs": failover_pairs, "failover_device": failover_device}
