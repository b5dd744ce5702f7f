# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""standby_link through its main(): libvirt's test driver for reads and check mode, a fake domain for the update."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest import levels
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.modules import standby_link
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import TEST_NODE_URI, FakeDomain, domain_xml, libvirt

TOPOLOGIES = Path(__file__).parent.parent / "module_utils" / "fixtures" / "topologies"
ARMED = parse_sysfs_walk((TOPOLOGIES / "lab_armed__standby_link_up.txt").read_text())


@pytest.mark.parametrize("args, changed, before, after", [
    ({"state": "up"}, True, "down", "up"),
    ({"state": "down"}, False, "down", "down"),
    ({"state": "up", "alias": "ua-standby0"}, True, "down", "up"),
])
def test_check_mode_against_the_test_driver(run_module, args, changed, before, after):
    outcome = run_module(standby_link.main, dict(uri=TEST_NODE_URI, name="vm1", _ansible_check_mode=True,
                                                 _ansible_diff=True, **args))
    assert not outcome.failed, outcome.result
    result = outcome.result
    assert (result["changed"], result["link_state_before"], result["link_state"]) == (changed, before, after)
    assert result["alias"] == "ua-standby0" and result["mac"] == "52:54:00:6c:00:01"
    assert result["diff"] == {"before": {"link_state": before}, "after": {"link_state": after}}


@pytest.mark.parametrize("args, message", [
    ({"name": "vm-off", "state": "up"}, "Domain vm-off is not running: a link state can only be set on a running domain"),
    ({"name": "vm9", "state": "up"}, "Domain 'vm9' not found at test:///"),
    ({"name": "vm1", "state": "up", "alias": "ua-standby7"}, "Domain vm1 has no interface with alias 'ua-standby7'"),
    ({"name": "vm1", "state": "up", "tap": "vnet7"}, "Domain vm1 has no interface with tap 'vnet7'"),
    ({"name": "vm1", "state": "up", "tap": "vnet0", "alias": "ua-standby0"}, "parameters are mutually exclusive: alias|tap"),
    ({"name": "vm1", "state": "sideways"}, "value of state must be one of: up, down"),
])
def test_clear_errors(run_module, args, message):
    outcome = run_module(standby_link.main, dict(uri=TEST_NODE_URI, **args))
    assert outcome.failed
    assert message in outcome.result["msg"]


@pytest.mark.parametrize("args, start, changed", [
    ({"state": "up"}, "down", True),
    ({"state": "up"}, "up", False),
    ({"state": "down", "tap": "vnet0"}, "up", True),
])
def test_the_update_goes_to_the_live_definition(run_module, monkeypatch, args, start, changed):
    domain = FakeDomain(live=domain_xml(link=start))
    monkeypatch.setattr(standby_link, "get_domain", lambda connection, name: domain)
    outcome = run_module(standby_link.main, dict(uri="test:///default", name="vm1", **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is changed
    assert outcome.result["link_state"] == args["state"]
    updates = [c for c in domain.calls if c[0] == "updateDeviceFlags"]
    assert [c[2] for c in updates] == ([libvirt.VIR_DOMAIN_AFFECT_LIVE] if changed else [])
    assert "diff" not in outcome.result


def test_verify_states_checks_the_guest_after_the_change(run_module, monkeypatch):
    domain = FakeDomain(live=domain_xml(link="down"))
    monkeypatch.setattr(standby_link, "get_domain", lambda connection, name: domain)
    reads = []

    def reader(_domain):
        def read():
            reads.append([c[0] for c in domain.calls].count("updateDeviceFlags"))
            return ARMED
        return read
    monkeypatch.setattr(guest_failover, "agent_reader", reader)
    monkeypatch.setattr(levels, "enabled_commands", lambda _domain: {"guest-exec": True, "guest-exec-status": True})
    outcome = run_module(standby_link.main, dict(uri="test:///default", name="vm1", state="up", verify_states=["armed"]))
    assert not outcome.failed, outcome.result
    assert reads == [1]  # read once, after the update
    assert outcome.result["guest"]["state"] == "armed"
    outcome = run_module(standby_link.main, dict(uri="test:///default", name="vm1", state="down", verify_states=["steady"],
                                                 verify_timeout=0))
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"].startswith("After setting the standby link down, domain vm1 did not reach steady")
