# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The standby_info module's flow: read one or every domain, report its pairs and readiness, optionally ask the guest.

libvirt does not say whether a guest negotiated STANDBY (VIRTIO_NET_F_STANDBY); only the guest knows. With
``guest_check`` the guest agent's sysfs walk answers it; otherwise, or when the agent does not answer, "unknown".
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import secure_xml as sx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains as lv
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import classify
from ansible_collections.netfailover.standby.plugins.module_utils.guest.failover import agent_reader
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import describe_failover_roles
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    get_domain,
    versions,
)
from ansible_collections.netfailover.standby.plugins.module_utils.standby.report import report_domain


def negotiated(topology, mac):
    """'yes' when the guest has a failover master (or a virtio NIC with the STANDBY bit) with ``mac``, 'no' without the bit,
    'unknown' when the guest shows no NIC with that MAC."""
    netdevs = topology["netdevs"]
    roles = describe_failover_roles(topology)
    if any(netdevs[pair["master"]]["address"] == mac for pair in roles["pairs"]):
        return "yes"
    for name in roles["virtio_nics"]:
        if netdevs[name]["address"] == mac:
            return "yes" if netdevs[name]["standby_feature"] else "no"
    return "unknown"


def _guest(domain, report, read=None):
    """Ask the guest (agent sysfs walk) and fill standby_negotiated per pair; 'unknown' with a reason when it cannot."""
    try:
        topology = (read or agent_reader(domain))()
    except LibvirtCollectionError as error:
        return {"checked": False, "state": None, "reason": "the guest agent did not answer: {0}".format(error.message)}
    classification = classify(topology)
    for pair in report["pairs"]:
        pair["standby_negotiated"] = negotiated(topology, pair["mac"])
        if pair["standby_negotiated"] == "no":
            report["problems"].append({
                "code": "not_negotiated", "problem": "the running guest did not negotiate STANDBY on MAC {0}".format(pair["mac"]),
                "fix": "restart the domain if the pair was added while it ran; otherwise the guest kernel lacks net_failover "
                       "(CONFIG_NET_FAILOVER, Linux 4.18 or later)"})
            report["ready"] = False
    return {"checked": True, "state": classification.state.value, "reason": None, "hostname": topology.get("hostname")}


def inspect(connection, name=None, guest_check=False, reader=None):
    """The standby_info result for domain ``name`` (or every domain): hypervisor versions and one report per domain.

    It reads without VIR_DOMAIN_XML_SECURE (the module's connection is read-only unless it asks the guest): it defines
    nothing back and needs no secrets; its result still goes through the one masking of secure_xml.
    """
    library, hypervisor = versions(connection)
    version_info = (library, hypervisor, lv.hypervisor_type(connection))
    domains = [get_domain(connection, name)] if name else sorted(lv.all_domains(connection), key=lambda d: d.name())
    macs = lv.macs_by_domain(connection)
    reports = []
    for domain in domains:
        domain_name = domain.name()
        root = dx.parse(lv.read_xml(domain, "persistent", name=domain_name), "definition of domain " + domain_name)
        active = lv.is_active(domain, name=domain_name)
        live_root = dx.parse(lv.read_xml(domain, "live", name=domain_name), "live XML of domain " + domain_name) if active else None
        report = report_domain(domain_name, root, live_root, version_info, lv.macs_elsewhere(macs, domain_name))
        for pair in report["pairs"]:
            pair["standby_negotiated"] = "unknown"
        if not active:
            report["guest"] = {"checked": False, "state": None, "reason": "the domain is not running"}
        elif not guest_check:
            report["guest"] = {"checked": False, "state": None, "reason": "guest_check is off"}
        else:
            report["guest"] = _guest(domain, report, reader(domain) if reader else None)
        reports.append(report)
    return sx.mask_secrets({"changed": False, "domains": reports,
                            "hypervisor": {"libvirt": ".".join(map(str, library)), "hypervisor": ".".join(map(str, hypervisor)),
                                           "type": version_info[2]}})
