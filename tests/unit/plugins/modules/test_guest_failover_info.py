# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guest_failover_info through its main() (source=local, the guest's sysfs replaced by a topology): pairs and macs."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.modules import guest_failover_info
from ansible_collections.netfailover.standby.tests.unit.plugins import guest_samples as g

TWO_PAIRS = g.topology(g.pair(0, g.MAC_A, "armed"), g.pair(1, g.MAC_B, "standby_only_up"),
                       [g.nic("eth9", g.OTHER_MAC, "0000:09:00.0", driver="igb")])


@pytest.fixture
def guest(monkeypatch):
    monkeypatch.setattr(guest_failover, "local_reader", lambda sysfs_root="/sys/class/net": lambda: TWO_PAIRS)


@pytest.mark.parametrize("args, failed, state, pairs, words", [
    ({}, False, "standby_only_up", [(g.MAC_A, "eth0", "armed"), (g.MAC_B, "eth3", "standby_only_up")], []),
    ({"macs": [g.MAC_A.upper()]}, False, "armed", [(g.MAC_A, "eth0", "armed")], []),
    ({"macs": [g.MAC_A], "expect": ["armed"], "timeout": 0}, False, "armed", [(g.MAC_A, "eth0", "armed")],
     ["the guest on vm2 is armed as expected"]),
    ({"expect": ["armed"], "timeout": 0}, True, "standby_only_up", [(g.MAC_A, "eth0", "armed"), (g.MAC_B, "eth3", "standby_only_up")],
     ["expected armed but on the guest on vm2 the pair eth3 ({0}) is standby_only_up".format(g.MAC_B),
      "as expected: eth0 ({0}) is armed".format(g.MAC_A)]),
    ({"macs": [g.OTHER_MAC]}, False, "not_negotiated", [(g.OTHER_MAC, None, "not_negotiated")], []),
])
def test_pairs(run_module, guest, args, failed, state, pairs, words):
    outcome = run_module(guest_failover_info.main, dict(source="local", **args))
    result = outcome.result
    assert outcome.failed is failed, result
    assert result["state"] == state and result["failover"]["state"] == state
    assert [(p["mac"], p["master"], p["state"]) for p in result["pairs"]] == pairs
    assert [nic["name"] for nic in result["failover"]["facts"]["unrelated"]] == ["eth9"]
    for word in words:
        assert word in (result["msg"] if failed else result["message"])


def test_a_malformed_mac_is_refused(run_module, guest):
    outcome = run_module(guest_failover_info.main, {"source": "local", "macs": ["eth0"]})
    assert outcome.failed and "macs: eth0 is not a unicast MAC address" in outcome.result["msg"]
