# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The primary's place: alone on a pcie-root-port of its own, in a slot of its own."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.standby import pci_placement as pp
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s

BRIDGE = "<controller type='pci' index='9' model='pcie-to-pci-bridge'>{0}</controller>".format(s.address(3))


def primary_of(root):
    return next(i for i in dx.interfaces(root) if dx.alias_of(i) == "ua-primary0")


@pytest.mark.parametrize("devices, bus, problem", [
    (s.root_port(8, 8) + s.emulated(bus=8), 8, None),
    (s.emulated(bus=2), 2, "multifunction slot 00:01"),
    (s.root_port(8, 8) + s.emulated(bus=8) + s.standby(bus=8), 8, "already holds interface (bridge, virtio, ua-standby0)"),
    (BRIDGE + s.emulated(bus=9), 9, "pcie-to-pci-bridge, not a pcie-root-port (QEMU refuses a failover primary off PCI Express)"),
    (s.emulated(bus=0), 0, "integrated endpoint"),
    (s.emulated(bus=12), 12, "no PCI controller with index 12"),
    (s.root_port(8, 8) + s.root_port(10, 8, function=1) + s.emulated(bus=8), 8, "multifunction slot 00:08"),
])
def test_port_problem(devices, bus, problem):
    root = dx.parse(s.domain(devices))
    found = pp.port_problem(root, bus, primary_of(root))
    assert (found is None) if problem is None else (problem in found)


def test_placement_problem_without_address():
    root = dx.parse(s.domain(s.emulated()))
    assert "no PCI address" in pp.placement_problem(root, primary_of(root))


@pytest.mark.parametrize("devices, options, expected", [
    # keeps a right current port
    (s.root_port(8, 8) + s.emulated(bus=8), {}, (8, None)),
    # moves off a packed multifunction port into a new port, first free slot
    (s.emulated(bus=2), {}, (4, 2)),
    # reuses the module's own port (by alias) when the primary is new
    (s.root_port(8, 8, alias="ua-primary0-port") + s.emulated(), {}, (8, None)),
    # explicit existing port that is right
    (s.root_port(8, 8) + s.emulated(), {"root_port_index": 8}, (8, None)),
    # explicit new index and slot
    (s.emulated(), {"root_port_index": 12, "slot": 0x0a}, (12, 0x0a)),
    # explicit slot differs from the current port's: a new port there
    (s.root_port(8, 8) + s.emulated(bus=8), {"slot": 0x0b}, (9, 0x0b)),
])
def test_choose(devices, options, expected):
    root = dx.parse(s.domain(devices))
    assert pp.choose(root, primary_of(root), "ua-primary0", **options) == expected


@pytest.mark.parametrize("devices, options, message", [
    (s.emulated(), {"root_port_index": 2}, "multifunction slot 00:01"),
    (s.emulated(), {"slot": 1}, "Slot 0x01 of bus 0 already holds"),
    (s.root_port(8, 8) + s.standby(bus=8) + s.emulated(), {"root_port_index": 8}, "already holds"),
    (BRIDGE + s.emulated(), {"root_port_index": 9}, "pcie-to-pci-bridge"),
    (s.root_port(8, 8) + s.emulated(), {"root_port_index": 8, "slot": 9}, "sits in slot 0x08, not in the requested slot 0x09"),
    (s.emulated(), {"slot": 0x1f}, "cannot hold a root port"),
    (s.emulated(), {"root_port_index": 0}, "PCI controller 0 is a pcie-root"),
])
def test_choose_refuses_bad_explicit_places(devices, options, message):
    root = dx.parse(s.domain(devices))
    with pytest.raises(pp.PlacementRefused, match=message):
        pp.choose(root, primary_of(root), "ua-primary0", **options)


def test_no_free_slot():
    ports = "".join(s.root_port(10 + slot, slot) for slot in range(pp.FIRST_SLOT, pp.LAST_SLOT + 1))
    root = dx.parse(s.domain(ports + s.emulated()))
    with pytest.raises(pp.PlacementRefused, match="no free slot"):
        pp.choose(root, primary_of(root), "ua-primary0")


def test_place_adds_a_port_and_pins_the_primary():
    root = dx.parse(s.domain(s.emulated(bus=2)))
    assert pp.place(root, primary_of(root), "ua-primary0") == 4
    port = dx.pci_controllers(root)[4]
    assert dx.alias_of(port) == "ua-primary0-port" and dx.format_pci(dx.pci_address(port)) == "0000:00:02.0"
    assert dx.format_pci(dx.pci_address(primary_of(root))) == "0000:04:00.0"
    assert pp.placement_problem(root, primary_of(root)) is None


def test_place_moves_the_module_port_and_drops_the_old_empty_one():
    root = dx.parse(s.domain(s.root_port(8, 8, alias="ua-primary0-port") + s.emulated(bus=8)))
    assert pp.place(root, primary_of(root), "ua-primary0", slot=0x0b) == 9
    assert sorted(dx.pci_controllers(root)) == [0, 1, 2, 3, 9]


def test_new_port_avoids_a_taken_chassis():
    root = dx.parse(s.domain("<controller type='pci' index='8' model='pcie-root-port'><target chassis='9'/>{0}</controller>".format(
        s.address(0, 8)) + s.emulated()))
    port = pp.new_root_port(root, 9, 0x0a, "ua-primary0-port")
    assert port.find("target").get("chassis") == "10"


def test_remove_own_port_only_when_empty():
    root = dx.parse(s.domain(s.root_port(8, 8, alias="ua-primary0-port") + s.emulated(bus=8)))
    assert pp.remove_own_port(root, "ua-primary0") == []
    dx.devices(root).remove(primary_of(root))
    assert pp.remove_own_port(root, "ua-primary0") == [8]
