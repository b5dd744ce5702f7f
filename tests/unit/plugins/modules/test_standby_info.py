# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The standby_info module against libvirt's test driver."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.plugins.module_utils.standby import info as standby_inspect
from ansible_collections.netfailover.standby.plugins.modules import standby_info
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

URI = "test:///default"


@pytest.fixture
def connection():
    conn = libvirt.open(URI)
    conn.defineXML(s.paired().replace("<name>vm</name>", "<name>vmp</name>"))
    conn.defineXML(s.paired(s.hostdev(bus=8, mac=s.OTHER_MAC), mac="52:54:00:6c:00:22").replace("<name>vm</name>", "<name>vmm</name>"))
    yield conn
    for domain in conn.listAllDomains(0):
        if domain.name() != "test":
            if domain.isActive():
                domain.destroy()
            domain.undefine()
    conn.close()


@pytest.fixture
def opened(monkeypatch):
    """Record how the module opened its connection (read-only unless it asks the guest)."""
    calls = []
    real = libvirt_connection.open_connection

    def record(uri, read_only):
        calls.append(read_only)
        return real(uri=uri, read_only=read_only)

    monkeypatch.setattr(libvirt_connection, "open_connection", record)
    return calls


@pytest.mark.parametrize("name, names", [
    (None, ["test", "vmm", "vmp"]),
    ("vmp", ["vmp"]),
])
def test_reports_one_or_every_domain(run_module, connection, opened, name, names):
    outcome = run_module(standby_info.main, {"uri": URI, "name": name, "_ansible_check_mode": True})
    assert not outcome.failed and outcome.result["changed"] is False
    assert [d["name"] for d in outcome.result["domains"]] == names
    assert opened == [True]


def test_mac_mismatch_is_a_problem_with_its_fix(run_module, connection):
    (report,) = run_module(standby_info.main, {"uri": URI, "name": "vmm"}).result["domains"]
    assert not report["ready"]
    (problem,) = report["problems"]
    assert problem["code"] == "mac_mismatch" and "libvirt does not check it" in problem["problem"]
    assert "standby_pair" in problem["fix"]
    assert report["pairs"][0]["macs_match"] is False


def test_guest_check_uses_a_read_write_connection_and_says_unknown_without_an_agent(run_module, connection, opened, monkeypatch):
    connection.lookupByName("vmp").create()

    def no_agent(_domain):
        def read():
            raise libvirt_connection.LibvirtCollectionError("Could not talk to the guest agent of domain vmp")
        return read

    monkeypatch.setattr(standby_inspect, "agent_reader", no_agent)
    (report,) = run_module(standby_info.main, {"uri": URI, "name": "vmp", "guest_check": True}).result["domains"]
    assert opened == [False]
    assert report["guest"]["checked"] is False and "did not answer" in report["guest"]["reason"]
    assert report["pairs"][0]["standby_negotiated"] == "unknown"
    assert report["pairs"][0]["standby"]["tap"] == "testnet0"


def test_unknown_domain(run_module, connection):
    outcome = run_module(standby_info.main, {"uri": URI, "name": "nope"})
    assert outcome.failed and "Domains defined there:" in outcome.result["msg"]


def test_a_domain_with_a_vnc_password_is_read_on_a_read_only_connection(run_module, connection, opened):
    """standby_info defines nothing back: it reads without VIR_DOMAIN_XML_SECURE, which libvirt refuses read-only."""
    mac = "52:54:00:6c:00:33"  # a MAC of its own: vmp has the samples' MAC
    connection.defineXML(s.paired(s.emulated(bus=8, mac=mac), mac=mac).replace("<name>vm</name>", "<name>vmpw</name>").replace(
        "</devices>", "<graphics type='vnc' port='-1' passwd='s3cret'/></devices>"))
    outcome = run_module(standby_info.main, {"uri": URI, "name": "vmpw"})
    assert not outcome.failed and opened == [True], outcome.result
    (report,) = outcome.result["domains"]
    assert report["ready"] and report["pairs"][0]["mac"] == mac and "s3cret" not in repr(outcome.result), report
