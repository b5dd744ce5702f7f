# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness report: pairs found in any definition, problems with their fixes, notes, live facts."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.standby import report as sr
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s

OVERRIDE = ("<qemu:override><qemu:device alias='ua-primary0'><qemu:frontend><qemu:property name='failover_pair_id' type='string' "
            "value='ua-standby0'/></qemu:frontend></qemu:device></qemu:override>")
PLAIN_HOSTDEV = ("<hostdev mode='subsystem' type='pci' managed='yes'><source>{0}</source><teaming type='transient' persistent='ua-standby0'/>"
                 "<alias name='ua-vf0'/>{1}</hostdev>").format(s.address(0x42, 2, 5), s.address(8))


def report(text, **options):
    return sr.report_domain("vm", dx.parse(text), **options)


def codes(result):
    return sorted(p["code"] for p in result["problems"])


@pytest.mark.parametrize("text, expected_codes", [
    (s.paired(), []),
    (s.paired(s.hostdev(bus=8)), []),
    (s.paired(s.vf_pool(bus=8)), []),
    (s.domain(s.root_port(8, 8) + s.standby() + PLAIN_HOSTDEV), []),
    (s.paired(s.hostdev(bus=8, mac=s.OTHER_MAC)), ["mac_mismatch"]),
    (s.paired(s.hostdev(bus=8, teaming=False)), ["missing_primary_teaming"]),
    (s.paired(s.hostdev(bus=8, persistent="ua-other")), ["teaming_mismatch"]),
    (s.domain(s.root_port(8, 8) + s.standby() + s.hostdev(mac=s.OTHER_MAC, persistent="ua-other", bus=8)), ["no_primary", "orphan_primary"]),
    (s.paired(teaming=False), ["missing_standby_teaming"]),
    (s.paired(alias="nic0"), ["standby_alias"]),
    (s.domain(s.standby()), ["no_primary"]),
    (s.domain(s.standby(teaming=False)), ["no_pair"]),
    (s.domain(), ["no_pair"]),
    (s.domain(s.standby() + s.emulated(bus=2)), ["primary_placement"]),
    (s.domain("<controller type='pci' index='9' model='pcie-to-pci-bridge'>{0}</controller>".format(s.address(3))
              + s.standby() + s.emulated(bus=9)), ["primary_placement"]),
    (s.domain(s.standby() + s.emulated()), ["primary_placement"]),
    (s.domain(s.root_port(8, 8) + s.standby() + s.emulated(bus=8), acpi=False), ["no_acpi"]),
    (s.domain(s.root_port(8, 8) + s.standby() + s.emulated(bus=8), machine="pc-i440fx-7.2"), ["machine_type"]),
    (s.domain(s.standby() + s.standby(alias="ua-x", bus=2)), ["virtio_primary", "virtio_primary"]),
    (s.domain(s.root_port(8, 8) + s.standby() + s.emulated(bus=8) + s.hostdev(alias="ua-vf1", bus=8)),
     ["primary_placement", "primary_placement", "several_primaries"]),
])
def test_problems(text, expected_codes):
    result = report(text)
    assert codes(result) == expected_codes
    assert result["ready"] is (expected_codes == [])
    assert all(p["fix"] and p["problem"] for p in result["problems"])


def test_the_labs_steady_pair():
    result = report(s.paired())
    pair = result["pairs"][0]
    assert pair["mac"] == s.MAC and pair["macs_match"]
    assert pair["standby"]["alias"] == "ua-standby0" and pair["standby"]["link_state"] == "down"
    assert pair["primary"]["kind"] == "emulated" and pair["primary"]["root_port"]["index"] == 8
    assert pair["primary"]["address"] == "0000:08:00.0"
    assert any("test-only" in note and "QEMU does not know the pair" in note for note in result["notes"])


def test_emulated_primary_paired_through_a_qemu_override():
    result = report(s.paired().replace("</domain>", OVERRIDE + "</domain>"))
    assert any("failover_pair_id=ua-standby0" in note for note in result["notes"])


def test_standby_link_up_is_fine_but_noted():
    result = report(s.paired(link="up"))
    assert result["ready"] and any("link is up in the definition" in note for note in result["notes"])


@pytest.mark.parametrize("version_info, code", [
    (((9, 0, 0), (7, 2, 0), "QEMU"), None),
    (((6, 0, 0), (7, 2, 0), "QEMU"), "versions"),
    (((9, 0, 0), (4, 1, 0), "QEMU"), "versions"),
])
def test_versions(version_info, code):
    assert codes(report(s.paired(), version_info=version_info)) == ([code] if code else [])


def test_mac_used_elsewhere():
    result = report(s.paired(), taken_elsewhere={s.MAC: {"vm9"}})
    assert codes(result) == ["mac_in_use"] and "vm9" in result["problems"][0]["problem"]


def live(text, tap_standby="vnet0", tap_primary="vnet1", link="down", without_primary=False):
    root = dx.parse(text)
    for interface in dx.interfaces(root):
        dx.set_child(interface, "target", {"dev": tap_standby if dx.model_of(interface) == "virtio" else tap_primary})
        if dx.model_of(interface) == "virtio" and link == "up":
            dx.remove_child(interface, "link")
        if without_primary and dx.model_of(interface) != "virtio":
            dx.devices(root).remove(interface)
    return root


@pytest.mark.parametrize("live_options, facts, note", [
    ({}, {"tap": "vnet0", "live_link_state": "down", "primary_tap": "vnet1", "attached": True}, None),
    ({"link": "up"}, {"live_link_state": "up"}, "the running standby's link is up, the definition says down"),
    ({"without_primary": True}, {"attached": False, "primary_tap": None}, "is not attached to the running domain"),
])
def test_live_facts(live_options, facts, note):
    result = report(s.paired(), live_root=live(s.paired(), **live_options))
    pair = result["pairs"][0]
    got = {"tap": pair["standby"]["tap"], "live_link_state": pair["standby"]["live_link_state"],
           "primary_tap": pair["primary"]["tap"], "attached": pair["primary"]["attached"]}
    assert {key: got[key] for key in facts} == facts
    assert result["active"] and result["ready"]
    assert (note is None and result["notes"] == [pair["notes"][0]]) or any(note in n for n in result["notes"])


def test_pair_added_after_the_start_is_noted():
    result = report(s.paired(), live_root=dx.parse(s.domain()))
    assert any("comes at the next start" in note for note in result["notes"])
