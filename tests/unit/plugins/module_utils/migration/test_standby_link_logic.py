# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""set_standby_link: the FDB pin comes before the link goes up and goes after the link went down."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import FdbEntry
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.plugins.module_utils.migration.standby_link import set_standby_link
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import FakeDomain, domain_xml
from ansible_collections.netfailover.standby.tests.unit.plugins.module_utils.host.test_bridge_fdb import (
    BRIDGE,
    IP,
    LEARNED,
    MAC,
    OVS_PORT,
    PF_VLAN_FDB,
    Bridge,
    vlan_bridge,
)

PINNED = [{"mac": MAC, "flags": ["sticky"], "master": "br0", "state": "static"}]


class Ordered:
    """One log of the link updates and the FDB changes, in the order they happened."""

    def __init__(self, domain, bridge):
        self.events = []
        self.domain = domain
        self.bridge = bridge
        original = domain.updateDeviceFlags

        def update(xml, flags):
            self.events.append("link " + ("up" if "state='up'" in xml or 'state="up"' in xml else "down"))
            return original(xml, flags)
        domain.updateDeviceFlags = update

    def run_command(self, argv):
        if argv[1:3] in (["fdb", "replace"], ["fdb", "del"]):
            self.events.append("fdb " + argv[2])
        return self.bridge(argv)


def params(state, **overrides):
    base = {"state": state, "alias": "ua-standby0", "tap": None, "verify_states": [], "verify_timeout": 1.0}
    base.update(overrides)
    return base


def pin(log, state, port="pf0"):
    return FdbEntry(log.run_command, MAC, port, state, flavour="static", sticky=True, bridge=BRIDGE, ip=IP)


def test_up_pins_the_entry_before_the_link_goes_up():
    domain = FakeDomain(live=domain_xml(link="down"))
    log = Ordered(domain, Bridge(LEARNED))
    result = set_standby_link(domain, params("up"), False, fdb_pin=pin(log, "present"))
    assert log.events == ["fdb replace", "link up"]
    assert result["changed"] is True and result["link_state"] == "up"
    assert result["fdb"]["entries_after"][0]["flavour"] == "static"


def test_down_removes_the_pin_after_the_link_went_down():
    domain = FakeDomain(live=domain_xml(link="up"))
    log = Ordered(domain, Bridge(PINNED))
    result = set_standby_link(domain, params("down"), False, fdb_pin=pin(log, "absent"))
    assert log.events == ["link down", "fdb del"]
    assert result["fdb"]["entries_after"] == [] and result["link_state"] == "down"


def test_nothing_to_do_is_no_change():
    domain = FakeDomain(live=domain_xml(link="up"))
    log = Ordered(domain, Bridge(PINNED))
    result = set_standby_link(domain, params("up"), False, fdb_pin=pin(log, "present"))
    assert log.events == [] and result["changed"] is False


def test_only_the_fdb_pin_missing_is_a_change():
    domain = FakeDomain(live=domain_xml(link="up"))
    log = Ordered(domain, Bridge(LEARNED))
    result = set_standby_link(domain, params("up"), False, fdb_pin=pin(log, "present"))
    assert log.events == ["fdb replace"] and result["changed"] is True


def test_check_mode_plans_both_and_changes_nothing():
    domain = FakeDomain(live=domain_xml(link="down"))
    log = Ordered(domain, Bridge(LEARNED))
    result = set_standby_link(domain, params("up"), True, fdb_pin=pin(log, "present"))
    assert log.events == [] and result["changed"] is True
    assert result["fdb"]["commands"][0][1:3] == ["fdb", "replace"] and result["guest"] is None


def test_a_port_that_is_no_bridge_port_fails_before_the_link_changes():
    domain = FakeDomain(live=domain_xml(link="down"))
    log = Ordered(domain, Bridge(LEARNED, link="[]"))
    with pytest.raises(LibvirtCollectionError, match="pf0 is not a bridge port"):
        set_standby_link(domain, params("up"), False, fdb_pin=pin(log, "present"))
    assert log.events == []


def test_on_a_vlan_filtering_bridge_the_pin_is_in_the_vlan_of_the_guests_standby_tap():
    domain = FakeDomain(live=domain_xml(link="down"))  # the standby ua-standby0 on vnet0, untagged in VLAN 10
    log = Ordered(domain, vlan_bridge(PF_VLAN_FDB))
    up = set_standby_link(domain, params("up"), False, fdb_pin=pin(log, "present"))
    assert log.events == ["fdb replace", "link up"] and up["fdb"]["vlan"] == 10
    assert up["fdb"]["commands"] == [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "10"]]
    down = set_standby_link(domain, params("down"), False, fdb_pin=pin(log, "absent"))
    assert down["fdb"]["commands"] == [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master", "vlan", "10"]]
    assert down["fdb"]["entries_after"] == [] and log.events[-2:] == ["link down", "fdb del"]


@pytest.mark.parametrize("state, check_mode", [("up", False), ("up", True), ("down", False)])
def test_an_open_vswitch_port_is_refused_before_the_link_changes(state, check_mode):
    domain = FakeDomain(live=domain_xml(link="down" if state == "up" else "up"))
    log = Ordered(domain, Bridge(LEARNED, link=OVS_PORT))
    with pytest.raises(LibvirtCollectionError, match="Open vSwitch is not supported for the FDB steps"):
        set_standby_link(domain, params(state), check_mode, fdb_pin=pin(log, "present" if state == "up" else "absent"))
    assert log.events == [] and log.bridge.writes() == []
