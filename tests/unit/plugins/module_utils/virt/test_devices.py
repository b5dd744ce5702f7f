# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding interfaces by alias or tap (never by the shared MAC), the link-state update XML, device XML checks.

Reads go against libvirt's test driver (a node with the lab guest); the update itself, which the test driver
does not support, against a fake domain.
"""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import devices as dd
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import (
    PRIMARY_XML,
    TEST_NODE_URI,
    FakeDomain,
    domain_xml,
    libvirt,
    libvirt_error,
)


@pytest.fixture
def test_driver():
    connection = lc.open_connection(uri=TEST_NODE_URI)
    yield connection
    connection.close()


# --- finding interfaces ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias, tap, expected_model", [
    ("ua-standby0", None, "virtio"),
    ("ua-primary0", None, "vmxnet3"),
    (None, "vnet0", "virtio"),
    (None, "vnet1", "vmxnet3"),
    ("ua-nothing", None, None),
    (None, "vnet9", None),
    ("ua-standby0", "vnet1", "virtio"),  # the alias wins when both are given
])
def test_find_interface_by_alias_or_tap(alias, tap, expected_model):
    root = ET.fromstring(domain_xml())
    found = dd.find_interface(root, alias=alias, tap=tap)
    assert (dd.describe_interface(found)["model"] if found is not None else None) == expected_model


def test_the_shared_mac_does_not_confuse_the_lookup():
    facts = [dd.describe_interface(i) for i in dx.interfaces(ET.fromstring(domain_xml()))]
    assert {f["mac"] for f in facts} == {"52:54:00:6c:00:01"}
    assert [f["alias"] for f in facts] == ["ua-standby0", "ua-primary0"]


def test_find_device_finds_any_device_kind():
    extra = "<hostdev mode='subsystem' type='pci'><alias name='ua-hostdev1'/></hostdev>"
    root = ET.fromstring(domain_xml(extra=extra))
    assert dd.find_device(root, "ua-hostdev1").tag == "hostdev"
    assert dd.find_device(root, "ua-primary0").tag == "interface"
    assert dd.find_device(root, "ua-none") is None
    assert dd.find_device(ET.fromstring("<domain/>"), "ua-none") is None


def test_live_xml_of_the_test_driver(test_driver):
    domain = lc.get_domain(test_driver, "vm1")
    live = ET.fromstring(domains.read_xml(domain, which="live", name="vm1"))
    standby = dd.find_interface(live, alias="ua-standby0")
    facts = dd.describe_interface(standby)
    assert facts["link_state"] == "down" and facts["model"] == "virtio" and facts["tap"]
    assert dd.find_interface(live, tap=facts["tap"]) is standby
    assert dd.find_device(ET.fromstring(domains.read_xml(domain, which="persistent", name="vm1")), "ua-primary0") is not None


def test_live_interface_fails_on_a_stopped_domain(test_driver):
    with pytest.raises(lc.LibvirtCollectionError, match=r"Domain vm-off is not running: a link state can only be set"):
        dd.live_interface(lc.get_domain(test_driver, "vm-off"), alias="ua-standby0")


def test_live_interface_names_the_interfaces_when_none_matches(test_driver):
    with pytest.raises(lc.LibvirtCollectionError) as error:
        dd.live_interface(lc.get_domain(test_driver, "vm1"), alias="ua-standby9")
    assert "no interface with alias 'ua-standby9'" in error.value.message
    assert "alias=ua-standby0 tap=" in error.value.message and "model=vmxnet3" in error.value.message


# --- link state ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("link_xml, expected", [
    ("<link state='down'/>", "down"),
    ("<link state='up'/>", "up"),
    ("", "up"),  # libvirt's default
])
def test_link_state(link_xml, expected):
    interface = ET.fromstring("<interface type='bridge'><mac address='52:54:00:6c:00:01'/>{0}</interface>".format(link_xml))
    assert dd.link_state(interface) == expected


@pytest.mark.parametrize("start, state", [("down", "up"), ("up", "down"), ("down", "down")])
def test_with_link_state_keeps_alias_tap_and_address(start, state):
    interface = dd.find_interface(ET.fromstring(domain_xml(link=start)), alias="ua-standby0")
    update = ET.fromstring(dd.with_link_state(interface, state))
    assert update.find("link").attrib == {"state": state}
    assert update.find("alias").get("name") == "ua-standby0"
    assert update.find("target").get("dev") == "vnet0"
    assert update.find("address").get("bus") == "0x01"
    assert update.find("teaming") is not None
    assert len(update.findall("link")) == 1
    assert dd.link_state(interface) == start  # the live element itself is left alone


def test_with_link_state_adds_a_missing_link_element():
    interface = ET.fromstring("<interface type='bridge'><alias name='ua-standby0'/></interface>")
    assert ET.fromstring(dd.with_link_state(interface, "down")).find("link").get("state") == "down"


def test_with_link_state_refuses_other_states():
    with pytest.raises(ValueError):
        dd.with_link_state(ET.fromstring("<interface/>"), "sideways")


@pytest.mark.parametrize("kwargs, before, after, changed, updates", [
    ({"alias": "ua-standby0"}, "down", "up", True, 1),
    ({"alias": "ua-standby0"}, "up", "up", False, 0),
    ({"tap": "vnet0"}, "down", "up", True, 1),
    ({"alias": "ua-standby0", "check_mode": True}, "down", "up", True, 0),
])
def test_set_link_state(kwargs, before, after, changed, updates):
    domain = FakeDomain(live=domain_xml(link=before))
    result = dd.set_link_state(domain, "up", **kwargs)
    assert result == {"changed": changed, "alias": "ua-standby0", "tap": "vnet0", "mac": "52:54:00:6c:00:01",
                      "link_state_before": before, "link_state": after}
    update_calls = [c for c in domain.calls if c[0] == "updateDeviceFlags"]
    assert len(update_calls) == updates
    if updates:
        request = ET.fromstring(update_calls[0][1])
        assert request.find("alias").get("name") == "ua-standby0" and request.find("link").get("state") == "up"
        assert update_calls[0][2] == libvirt.VIR_DOMAIN_AFFECT_LIVE
        assert dd.find_interface(ET.fromstring(domain.live), alias="ua-primary0") is not None  # the primary is untouched
    # the element that goes back to libvirt comes from the live XML read with its secrets
    assert {c[1] for c in domain.calls if c[0] == "XMLDesc"} == {libvirt.VIR_DOMAIN_XML_SECURE}


@pytest.mark.parametrize("which, secure, flags", [
    ("live", False, 0),
    ("live", True, libvirt.VIR_DOMAIN_XML_SECURE),
    ("persistent", False, libvirt.VIR_DOMAIN_XML_INACTIVE),
    ("persistent", True, libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE),
])
def test_domain_xml_flags(which, secure, flags):
    domain = FakeDomain()
    assert domains.read_xml(domain, which=which, secure=secure, name="vm1") == (domain.persistent if which == "persistent" else domain.live)
    assert domain.calls == [("XMLDesc", flags)]


def test_set_link_state_translates_libvirt_errors():
    domain = FakeDomain()
    domain.errors["updateDeviceFlags"] = libvirt_error("Operation not supported: cannot modify network device")
    with pytest.raises(lc.LibvirtCollectionError, match=r"Could not update device ua-standby0 of domain vm1: Operation not"):
        dd.set_link_state(domain, "up", alias="ua-standby0")


def test_set_link_state_fails_when_the_live_xml_does_not_follow():
    domain = FakeDomain()
    domain.updateDeviceFlags = lambda xml, flags: 0  # libvirt says yes but changes nothing
    with pytest.raises(lc.LibvirtCollectionError, match=r"still says 'down'") as error:
        dd.set_link_state(domain, "up", alias="ua-standby0")
    assert error.value.result["link_state"] == "down"


# --- device XML to attach -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("xml, alias, message", [
    (PRIMARY_XML, "ua-primary0", None),
    (PRIMARY_XML.replace("<alias name='ua-primary0'/>", ""), "ua-primary0", None),  # the alias is added
    (PRIMARY_XML, "ua-primary1", r"has alias 'ua-primary0' but alias is 'ua-primary1'"),
    ("<interface type='bridge'>", "ua-primary0", r"Could not parse the device XML \(xml\)"),
    (domain_xml(), "ua-primary0", r"is a whole domain definition"),
])
def test_device_xml_with_alias(xml, alias, message):
    if message:
        with pytest.raises(lc.LibvirtCollectionError, match=message):
            dd.device_xml_with_alias(xml, alias)
        return
    text, element = dd.device_xml_with_alias(xml, alias)
    assert element.find("alias").get("name") == alias
    assert ET.fromstring(text).find("alias").get("name") == alias
