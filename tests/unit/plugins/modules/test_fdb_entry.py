# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fdb_entry through its main(): AnsibleModule.run_command answers from recorded iproute2 outputs (test_bridge_fdb.Bridge)."""

import pytest

from ansible.module_utils import basic

from ansible_collections.netfailover.standby.plugins.modules import fdb_entry
from ansible_collections.netfailover.standby.tests.unit.plugins.module_utils.host.test_bridge_fdb import (
    BRIDGE,
    LEARNED,
    MAC,
    OVS_PORT,
    PF_VLAN_FDB,
    Bridge,
    vlan_bridge,
)

REPLACE_VLAN10 = [BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "vlan", "10"]


@pytest.fixture
def host(monkeypatch):
    """The commands the module runs, answered like the lab's hv1 (the guest's MAC learned on pf0); ``host.use(...)``
    answers from another bridge."""

    class Host:
        bridge = Bridge(LEARNED)

        def use(self, bridge):
            self.bridge = bridge

        def writes(self):
            return self.bridge.writes()

    state = Host()
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda _module, argv, **_kwargs: state.bridge(argv))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda _module, name, required=False: "/usr/sbin/" + name)
    return state


@pytest.mark.parametrize("args, changed, commands", [
    ({"state": "absent"}, True, [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]),
    ({"state": "absent", "_ansible_check_mode": True}, True, []),
    ({"state": "present", "flavour": "dynamic"}, False, []),
    ({"state": "present"}, True, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
])
def test_fdb_entry(run_module, host, args, changed, commands):
    outcome = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", _ansible_diff=True, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is changed and outcome.result["vlan"] is None
    assert host.writes() == commands
    assert "uri" not in outcome.result  # no libvirt options on this module
    assert set(outcome.result["diff"]) == {"before", "after"}


def test_absent_twice_is_ok_the_second_time(run_module, host):
    run_module(fdb_entry.main, dict(mac=MAC, port="pf0", state="absent"))
    second = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", state="absent"))
    assert not second.failed and second.result["changed"] is False and second.result["entries_before"] == []


@pytest.mark.parametrize("args", [{"vlan": 10}, {"vlan_from": "vnet0"}])
def test_a_vlan_filtering_bridge_gets_the_entry_in_the_vlan_and_a_second_run_changes_nothing(run_module, host, args):
    host.use(vlan_bridge(PF_VLAN_FDB))
    first = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", _ansible_diff=True, **args))
    assert not first.failed, first.result
    assert first.result["changed"] is True and first.result["vlan"] == 10 and first.result["commands"] == [REPLACE_VLAN10]
    assert first.result["diff"]["after"]["entries"] == [{"mac": MAC, "flavour": "static", "vlan": 10, "bridge": "br0", "flags": []}]
    second = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", **args))
    assert second.result["changed"] is False and second.result["commands"] == []
    assert host.writes() == [REPLACE_VLAN10]


@pytest.mark.parametrize("bridge, args, message", [
    (lambda: vlan_bridge(PF_VLAN_FDB), {}, "Bridge br0 filters VLANs (vlan_filtering 1)"),
    (lambda: Bridge(LEARNED, link=OVS_PORT), {}, "Open vSwitch is not supported for the FDB steps"),
    (lambda: Bridge(LEARNED, link=OVS_PORT), {"state": "absent", "_ansible_check_mode": True},
     "Open vSwitch is not supported for the FDB steps"),
    (lambda: Bridge(LEARNED), {"vlan": 10}, "Bridge br0 does not filter VLANs"),
])
def test_refusals_change_nothing(run_module, host, bridge, args, message):
    host.use(bridge())
    outcome = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", **args))
    assert outcome.failed and message in outcome.result["msg"]
    assert host.writes() == []


@pytest.mark.parametrize("args, message", [
    ({"mac": "52:54:00", "port": "pf0"}, "mac must be a MAC address"),
    ({"mac": MAC, "port": "pf0", "uri": "qemu:///system"}, "Unsupported parameters"),
    ({"mac": MAC, "port": "pf0", "flavour": "sticky"}, "value of flavour must be one of: static, permanent, dynamic"),
    ({"mac": MAC, "port": "pf0", "vlan": 10, "vlan_from": "vnet0"}, "parameters are mutually exclusive: vlan|vlan_from"),
    ({"mac": MAC, "port": "pf0", "vlan": 4095}, "vlan must be a VLAN ID from 1 to 4094, not 4095"),
])
def test_clear_errors(run_module, host, args, message):
    outcome = run_module(fdb_entry.main, args)
    assert outcome.failed and message in outcome.result["msg"]
    assert host.writes() == []
