# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The libvirt calls of standby_pair and standby_info, one small decorated function each."""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import libvirt_call
from ansible_collections.netfailover.standby.plugins.module_utils.virt.secure_xml import XML_INACTIVE, xml_flags

# libvirt constants as numbers, so this file reads without libvirt-python
DEFINE_VALIDATE = 1  # VIR_DOMAIN_DEFINE_VALIDATE: check the XML against libvirt's schema
AFFECT_LIVE = 1  # VIR_DOMAIN_AFFECT_LIVE


@libvirt_call("read the {which} XML of domain {name}")
def read_xml(domain, which="persistent", name=None, secure=False):
    """The persistent definition (``which='persistent'``, what the next start uses) or the running domain's XML.

    ``secure`` includes the domain's passwords and cookies (secure_xml): required for XML that goes back to libvirt,
    refused by libvirt on a read-only connection; results show it only through secure_xml.mask_secrets.
    """
    return domain.XMLDesc(xml_flags(which, secure))


@libvirt_call("read the state of domain {name}")
def is_active(domain, name=None):
    return bool(domain.isActive())


@libvirt_call("read whether domain {name} is persistent")
def is_persistent(domain, name=None):
    return bool(domain.isPersistent())


@libvirt_call("define domain {name}")
def define(connection, xml, validate=True, name=None):
    """Replace the persistent definition; with ``validate`` libvirt checks the XML against its schema first."""
    return connection.defineXMLFlags(xml, DEFINE_VALIDATE if validate else 0)


@libvirt_call("change device {alias} of the running domain {name}")
def update_live_device(domain, xml, name=None, alias=None):
    """Change a device of the running domain only (libvirt matches the interface by MAC and PCI address)."""
    return domain.updateDeviceFlags(xml, AFFECT_LIVE)


@libvirt_call("read the hypervisor type")
def hypervisor_type(connection):
    """QEMU for qemu:// URIs (TEST for libvirt's test driver)."""
    return connection.getType()


@libvirt_call("list the domains")
def all_domains(connection):
    return connection.listAllDomains(0)


@libvirt_call("read the XML of domain {name}", missing_is_none=True)
def domain_texts(domain, name=None):
    """The persistent XML (of a persistent domain) and the live XML (of a running one), in that order, without
    secrets (for MACs and devices); None when the domain went away since it was listed."""
    texts = []
    if domain.isPersistent():
        texts.append(domain.XMLDesc(XML_INACTIVE))
    if domain.isActive():
        texts.append(domain.XMLDesc(0))
    return texts


def macs_by_domain(connection):
    """{mac: {domain names}} over every domain of the hypervisor, defined or running (live XML included: hot-plugs)."""
    found = {}
    for domain in all_domains(connection):
        name = domain.name()
        for text in domain_texts(domain, name=name) or []:
            for mac in dx.interface_macs(dx.parse(text, "XML of domain " + name)):
                found.setdefault(mac, set()).add(name)
    return found


def macs_elsewhere(macs, name):
    """The MAC map without domain ``name``."""
    return {mac: names - {name} for mac, names in macs.items() if names - {name}}
