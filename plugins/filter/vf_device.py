# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter vf_device_at: a VF's device XML pointed at another VF of the host (the destination's free VF)."""

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError


def vf_device_at(xml_text, pci_address):
    """The device XML with its host PCI address (``<source><address>``) set to ``pci_address``; the guest-side address,
    MAC, alias and teaming stay. A device without a host PCI source (a hostdev network, the lab's emulated VF) is
    returned as it is: libvirt allocates from the network, the emulated VF has no host address."""
    try:
        element = domain_xml.parse(xml_text, what="VF device XML")
    except LibvirtCollectionError as error:
        raise AnsibleFilterError(error.message) from error
    source = element.find("source")
    is_pci_vf = (element.tag == "interface" and element.get("type") == "hostdev") or (
        element.tag == "hostdev" and element.get("type") == "pci")
    if not is_pci_vf or source is None:
        return xml_text
    address = domain_xml.parse_pci(pci_address or "")
    if address is None:
        raise AnsibleFilterError("vf_device_at needs a PCI address such as 0000:3b:02.1, not {0!r}.".format(pci_address))
    domain_xml.set_child(source, "address", domain_xml.pci_attributes(address["domain"], address["bus"], address["slot"],
                                                                      address["function"]))
    return domain_xml.to_string(element)


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"vf_device_at": vf_device_at}
