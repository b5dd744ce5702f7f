# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generic domain XML helpers: parsing, layout, accessors, machine type, PCI addresses, MACs."""

import random

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s


def test_parse_keeps_the_qemu_namespace_prefix():
    text = s.domain(extra="<qemu:commandline><qemu:arg value='-global'/></qemu:commandline>")
    out = dx.to_string(dx.parse(text))
    assert "<qemu:commandline>" in out and "ns0:" not in out
    assert 'xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"' in out


def test_parse_error_is_a_collection_error():
    with pytest.raises(LibvirtCollectionError, match="Could not parse the definition"):
        dx.parse("<domain>", "definition")


def test_layout_is_stable():
    once = dx.normalised(s.paired())
    assert dx.normalised(once) == once
    assert "\n    <interface" in once


@pytest.mark.parametrize("machine, q35, i440fx", [
    ("q35", True, False),
    ("pc-q35-7.2", True, False),
    ("pc", False, True),
    ("pc-i440fx-7.2", False, True),
    ("pc-1.2", False, True),
    ("virt", False, False),
])
def test_machine_types(machine, q35, i440fx):
    root = dx.parse(s.domain(machine=machine))
    assert (dx.is_q35(root), dx.is_i440fx(root)) == (q35, i440fx)


@pytest.mark.parametrize("text, added", [
    (s.domain(acpi=True), False),
    (s.domain(acpi=False), True),
    (s.domain(acpi=False).replace("</os>", "</os><features><pae/></features>"), True),
])
def test_ensure_acpi(text, added):
    root = dx.parse(text)
    assert dx.ensure_acpi(root) is added
    assert dx.has_acpi(root)
    assert len(root.findall("features")) == 1
    assert [child.tag for child in root].index("features") == [child.tag for child in root].index("os") + 1


@pytest.mark.parametrize("interface, expected", [
    (s.standby(), {"alias": "ua-standby0", "mac": s.MAC, "model": "virtio", "link": "down", "source": {"bridge": "br0"},
                   "teaming": {"type": "persistent"}}),
    (s.standby(link=None, kind="network", source="default"), {"link": "up", "source": {"network": "default"}}),
    (s.standby(kind="direct", source="eth0"), {"source": {"dev": "eth0", "mode": "bridge"}}),
    (s.hostdev(), {"source": {"address": "0000:42:02.5"}, "teaming": {"type": "transient", "persistent": "ua-standby0"}, "model": None}),
    (s.emulated().replace(s.MAC, s.MAC.upper()), {"mac": s.MAC, "model": "vmxnet3", "teaming": None}),
])
def test_interface_accessors(interface, expected):
    element = dx.interfaces(dx.parse(s.domain(interface)))[0]
    got = {"alias": dx.alias_of(element), "mac": dx.mac_of(element), "model": dx.model_of(element),
           "link": dx.link_state_of(element), "source": dx.source_of(element), "teaming": dx.teaming_of(element)}
    assert {key: got[key] for key in expected} == expected


def test_live_source_attributes_are_left_out():
    element = dx.interfaces(dx.parse(s.domain(
        "<interface type='network'><source network='default' portid='abc' bridge='virbr0'/></interface>")))[0]
    assert dx.source_of(element) == {"network": "default"}


@pytest.mark.parametrize("text, expected", [
    ("0000:42:02.5", {"domain": 0, "bus": 0x42, "slot": 2, "function": 5}),
    ("42:02.5", {"domain": 0, "bus": 0x42, "slot": 2, "function": 5}),
    ("0001:0a:1f.7", {"domain": 1, "bus": 10, "slot": 31, "function": 7}),
    ("0000:42:02.8", None),
    ("42-02-5", None),
    ("", None),
])
def test_parse_pci(text, expected):
    parsed = dx.parse_pci(text)
    if expected is None:
        assert parsed is None
    else:
        assert {key: parsed[key] for key in expected} == expected
        assert dx.parse_pci(dx.format_pci(parsed)) == parsed


def test_pci_attributes_use_libvirts_formatting():
    assert dx.pci_attributes(bus=9, slot=2) == {"type": "pci", "domain": "0x0000", "bus": "0x09", "slot": "0x02", "function": "0x0"}


@pytest.mark.parametrize("slot, multifunction", [(1, True), (8, False), (0x1f, False)])
def test_multifunction_slots(slot, multifunction):
    root = dx.parse(s.domain(s.root_port(8, 8) + "<controller type='sata' index='0'>{0}</controller>".format(s.address(0, 0x1f, 2))))
    assert dx.is_multifunction_slot(root, 0, slot) is multifunction


@pytest.mark.parametrize("mac, valid", [
    ("52:54:00:6c:00:21", True), ("52:54:00:6C:00:21", True), ("53:54:00:6c:00:21", False),
    ("52:54:00:6c:00", False), ("52-54-00-6c-00-21", False), ("", False)])
def test_valid_mac(mac, valid):
    assert dx.valid_mac(mac) is valid


def test_generate_mac_avoids_taken_ones():
    first = dx.generate_mac(random.Random(7))
    assert first.startswith("52:54:00:") and dx.valid_mac(first)
    assert dx.generate_mac(random.Random(7), taken=[first.upper()]) != first


def test_generate_mac_gives_up_when_everything_is_taken():
    class Stuck:
        @staticmethod
        def randrange(_n):
            return 0
    with pytest.raises(LibvirtCollectionError, match="give one with the mac option"):
        dx.generate_mac(Stuck(), taken=["52:54:00:00:00:00"])


def test_all_aliases_and_describe():
    root = dx.parse(s.paired())
    aliases = dict(dx.all_aliases(root))
    assert set(aliases) == {"ua-primary0-port", "ua-standby0", "ua-primary0"}
    assert dx.describe_element(aliases["ua-primary0"]) == "interface (bridge, vmxnet3, ua-primary0)"
