# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""standby_info's flow against libvirt's test driver, with the guest's answer read from recorded sysfs walks."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.standby import info as si
from ansible_collections.netfailover.standby.plugins.module_utils.guest.agent import GuestAgentError
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

TOPOLOGIES = Path(__file__).parents[1] / "fixtures" / "topologies"
GUEST_MAC = "52:54:00:00:12:53"  # the MAC of the recorded guests


def topology(name):
    return parse_sysfs_walk((TOPOLOGIES / (name + ".txt")).read_text())


@pytest.mark.parametrize("fixture, mac, answer", [
    ("steady__eth_names", GUEST_MAC, "yes"),
    ("standby_only_down__eth_names", GUEST_MAC, "yes"),
    ("not_negotiated__no_standby", GUEST_MAC, "no"),
    ("steady__eth_names", s.MAC, "unknown"),
])
def test_negotiated(fixture, mac, answer):
    assert si.negotiated(topology(fixture), mac) == answer


@pytest.fixture
def connection():
    """test:///default keeps its domains while one connection stays open."""
    conn = libvirt.open("test:///default")
    conn.defineXML(s.paired(s.hostdev(bus=8, mac=GUEST_MAC), mac=GUEST_MAC).replace("<name>vm</name>", "<name>vmp</name>"))
    conn.lookupByName("vmp").create()
    conn.defineXML(s.domain(s.standby(), machine="pc-i440fx-7.2", acpi=False).replace("<name>vm</name>", "<name>vmq</name>"))
    yield conn
    for domain in conn.listAllDomains(0):  # the driver outlives the test while any libvirt object is alive
        if domain.name() != "test":
            if domain.isActive():
                domain.destroy()
            domain.undefine()
    conn.close()


def reader_of(fixture):
    return lambda _domain: (lambda: topology(fixture))


def failing_reader(_domain):
    def read():
        raise GuestAgentError("guest agent is not connected")
    return read


@pytest.mark.parametrize("guest_check, reader, negotiated, guest", [
    (False, None, "unknown", {"checked": False, "state": None, "reason": "guest_check is off"}),
    (True, reader_of("steady__eth_names"), "yes", {"checked": True, "state": "steady"}),
    (True, reader_of("not_negotiated__no_standby"), "no", {"checked": True, "state": "not_negotiated"}),
    (True, failing_reader, "unknown", {"checked": False, "state": None}),
])
def test_inspect_one_running_domain(connection, guest_check, reader, negotiated, guest):
    result = si.inspect(connection, "vmp", guest_check=guest_check, reader=reader)
    assert result["changed"] is False and result["hypervisor"]["type"] == "TEST"
    (report,) = result["domains"]
    assert report["name"] == "vmp" and report["active"]
    assert report["pairs"][0]["standby_negotiated"] == negotiated
    assert {key: report["guest"][key] for key in guest} == guest
    assert report["ready"] is (negotiated != "no")
    if negotiated == "no":
        assert report["problems"][-1]["code"] == "not_negotiated"
    if reader is failing_reader:
        assert "guest agent is not connected" in report["guest"]["reason"]


def test_inspect_every_domain(connection):
    result = si.inspect(connection)
    by_name = {report["name"]: report for report in result["domains"]}
    assert sorted(by_name) == ["test", "vmp", "vmq"]
    assert by_name["vmq"]["guest"]["reason"] == "the domain is not running"
    assert {p["code"] for p in by_name["vmq"]["problems"]} == {"machine_type", "no_acpi", "no_primary"}
    assert {p["code"] for p in by_name["test"]["problems"]} == {"machine_type", "no_acpi", "no_pair"}
    assert by_name["vmp"]["ready"] and by_name["vmp"]["pairs"][0]["primary"]["kind"] == "hostdev"
    # vmq's standby and test's NIC do not share vmp's MAC; vmq's and vmp's do not collide either
    assert not [p for report in result["domains"] for p in report["problems"] if p["code"] == "mac_in_use"]


def test_inspect_reports_a_mac_used_by_two_domains(connection):
    connection.defineXML(s.domain(s.standby(mac=GUEST_MAC)).replace("<name>vm</name>", "<name>vmr</name>"))
    result = si.inspect(connection, "vmp")
    assert [p["code"] for p in result["domains"][0]["problems"]] == ["mac_in_use"]
