# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domain XML samples for the STANDBY pair tests, in the shape libvirt's QEMU driver stores them."""

MAC = "52:54:00:6c:00:21"
OTHER_MAC = "52:54:00:6c:00:99"

# What libvirt gives a q35 domain: the root bus, and root ports packed into the multifunction slot 1.
PACKED_ROOT_PORTS = "".join(
    "<controller type='pci' index='{0}' model='pcie-root-port'><model name='pcie-root-port'/><target chassis='{0}' port='0x{1:x}'/>"
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x{2:x}'{3}/></controller>".format(
        index, 0x7 + index, index - 1, " multifunction='on'" if index == 1 else "")
    for index in (1, 2, 3))
ROOT_BUS = "<controller type='pci' index='0' model='pcie-root'/>"


def address(bus, slot=0, function=0, multifunction=False):
    return "<address type='pci' domain='0x0000' bus='0x{0:02x}' slot='0x{1:02x}' function='0x{2:x}'{3}/>".format(
        bus, slot, function, " multifunction='on'" if multifunction else "")


def standby(mac=MAC, alias="ua-standby0", model="virtio", teaming=True, link="down", source="br0", bus=1, kind="bridge"):
    source_xml = {"bridge": "<source bridge='{0}'/>", "network": "<source network='{0}'/>",
                  "direct": "<source dev='{0}' mode='bridge'/>"}[kind].format(source)
    return ("<interface type='{kind}'><mac address='{mac}'/>{source}<model type='{model}'/>{teaming}{link}{alias}{address}</interface>"
            .format(kind=kind, mac=mac, source=source_xml, model=model,
                    teaming="<teaming type='persistent'/>" if teaming else "",
                    link="<link state='{0}'/>".format(link) if link else "",
                    alias="<alias name='{0}'/>".format(alias) if alias else "",
                    address=address(bus) if bus is not None else ""))


def emulated(mac=MAC, alias="ua-primary0", model="vmxnet3", bus=None, bridge="esw0"):
    return ("<interface type='bridge'><mac address='{0}'/><source bridge='{1}'/><model type='{2}'/><alias name='{3}'/>"
            "<rom enabled='no'/>{4}</interface>".format(mac, bridge, model, alias, address(bus) if bus is not None else ""))


def hostdev(mac=MAC, alias="ua-primary0", persistent="ua-standby0", bus=None, teaming=True):
    return ("<interface type='hostdev' managed='yes'><mac address='{0}'/><source>{1}</source>{2}<alias name='{3}'/>{4}</interface>"
            .format(mac, address(0x42, 2, 5), "<teaming type='transient' persistent='{0}'/>".format(persistent) if teaming else "",
                    alias, address(bus) if bus is not None else ""))


def vf_pool(mac=MAC, alias="ua-primary0", network="vfpool", bus=None):
    return ("<interface type='network'><mac address='{0}'/><source network='{1}'/><teaming type='transient' persistent='ua-standby0'/>"
            "<alias name='{2}'/>{3}</interface>".format(mac, network, alias, address(bus) if bus is not None else ""))


def root_port(index, slot, function=0, multifunction=False, alias=None, model="pcie-root-port"):
    return "<controller type='pci' index='{0}' model='{1}'>{2}{3}</controller>".format(
        index, model, "<alias name='{0}'/>".format(alias) if alias else "", address(0, slot, function, multifunction))


def domain(devices="", machine="q35", acpi=True, name="vm", domain_type="test", controllers=ROOT_BUS + PACKED_ROOT_PORTS, extra=""):
    return ("<domain type='{0}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>{1}</name><memory unit='KiB'>262144</memory>"
            "<os><type arch='x86_64' machine='{2}'>hvm</type></os>{3}<devices>{4}{5}</devices>{6}</domain>".format(
                domain_type, name, machine, "<features><acpi/></features>" if acpi else "", controllers, devices, extra))


def paired(primary=None, **standby_options):
    """A domain in the steady state of the lab: standby on bus 1, primary alone on root port 8 in slot 8."""
    return domain(root_port(8, 8, alias="ua-primary0-port") + standby(**standby_options) + (primary or emulated(bus=8)))
