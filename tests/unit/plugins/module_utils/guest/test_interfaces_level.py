# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The interfaces level: what guest-network-get-interfaces tells of a pair, and the reports it refuses."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import interfaces as gi

MAC = "52:54:00:6c:00:01"
OTHER = "52:54:00:6c:00:02"


def netdev(name, mac, *addresses):
    return {"name": name, "hardware-address": mac.upper(),
            "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": a, "prefix": 24} for a in addresses]
            + [{"ip-address-type": "ipv6", "ip-address": "fe80::1", "prefix": 64}]}


LO = {"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{"ip-address": "127.0.0.1"}]}
MASTER, STANDBY, VF = netdev("eth0", MAC, "192.0.2.10"), netdev("eth1", MAC), netdev("eth2", MAC)


@pytest.mark.parametrize("listing, link_up, possible", [
    ([LO, MASTER, STANDBY, VF], True, ["armed", "primary_no_carrier", "primary_not_enslaved", "master_admin_down"]),
    ([LO, MASTER, STANDBY, VF], False, ["steady", "both_down", "primary_not_enslaved", "master_admin_down"]),
    ([LO, MASTER, STANDBY], True, ["standby_only_up", "master_admin_down"]),
    ([LO, MASTER, STANDBY], False, ["standby_only_down", "master_admin_down"]),
    ([LO, MASTER, STANDBY], None, ["standby_only_up", "master_admin_down", "standby_only_down"]),
    ([LO, netdev("eth0", MAC, "192.0.2.10")], True, ["not_negotiated"]),
])
def test_the_states_a_count_leaves_possible(listing, link_up, possible):
    view = gi.view_pairs(listing, [MAC], standby_link_up={MAC: link_up} if link_up is not None else None)[MAC]
    assert [s.value for s in view.possible] == possible and view.problem is None
    assert view.addressed == ["eth0"]


def test_a_step_is_verified_when_its_states_are_possible_and_the_message_says_what_the_level_cannot_tell():
    views = gi.view_pairs([LO, MASTER, STANDBY, VF], [MAC], standby_link_up={MAC: True}, vf_attached={MAC: True})
    check = gi.verify_interfaces(views, ["armed"], domain="vm1")
    assert check.ok
    assert "3 netdev(s) with the MAC {0} (eth0, eth1, eth2), possibly armed".format(MAC) in check.message
    assert "cannot tell armed, primary_no_carrier, primary_not_enslaved, master_admin_down apart" in check.message


def test_a_count_that_rules_the_step_out_fails_it():
    views = gi.view_pairs([LO, MASTER, STANDBY, VF], [MAC], standby_link_up={MAC: True})
    check = gi.verify_interfaces(views, ["standby_only_up"], domain="vm1")
    assert not check.ok and "not standby_only_up" in check.message


@pytest.mark.parametrize("listing, attached, message", [
    ([LO, MASTER, STANDBY, VF], False, "the host has no VF with that MAC attached: an impossible report"),
    ([LO, MASTER, STANDBY, VF, netdev("eth0.100", MAC)], True, "reports 4 netdevs with the MAC"),
    ([LO, netdev("eth0", OTHER)], True, "reports no netdev with the MAC"),
])
def test_impossible_or_ambiguous_reports_fail_the_check(listing, attached, message):
    views = gi.view_pairs(listing, [MAC], standby_link_up={MAC: True}, vf_attached={MAC: attached})
    assert views[MAC].possible == () and message in views[MAC].problem
    check = gi.verify_interfaces(views, ["armed", "standby_only_up"])
    assert not check.ok and message in check.message


def test_pairs_are_the_hosts_macs_and_another_guests_mac_counts_for_nothing():
    # a guest claiming a netdev with another guest's MAC: only the definition's MACs are viewed
    views = gi.view_pairs([LO, MASTER, STANDBY, netdev("evil0", OTHER)], [MAC.upper()], standby_link_up={MAC: True})
    assert list(views) == [MAC] and views[MAC].netdevs == ["eth0", "eth1"]


def test_addresses_on_a_slave_are_found():
    views = gi.view_pairs([LO, MASTER, netdev("eth1", MAC, "192.0.2.99"), VF], [MAC])
    assert gi.slave_addresses(views) == {MAC: ["eth0", "eth1"]}
    assert gi.slave_addresses(gi.view_pairs([LO, MASTER, STANDBY, VF], [MAC])) == {}


def pair(mac=MAC, link="up", primary=True, variant="manual"):
    return {"mac": mac, "variant": variant, "standby": {"link_state": link}, "primary": {"alias": "ua-vf"} if primary else None}


def test_host_facts_from_the_live_definition():
    link_up, attached = gi.host_facts([pair(), pair(OTHER, link="down", primary=False), pair("52:54:00:6c:00:03", variant="teaming")])
    assert link_up == {MAC: True, OTHER: False, "52:54:00:6c:00:03": True}
    assert attached == {MAC: True, OTHER: False}  # a teaming VF's presence in the guest is not the host's word


class Listings:
    """guest-network-get-interfaces answers, one per call (the last repeats); an exception is raised."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def __call__(self):
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def observe(listings, pairs, expect, timeout=5.0):
    ticks = iter(range(10000))
    return gi.observe_interfaces(listings, lambda: pairs, [MAC], expect, timeout=timeout, interval=1.0,
                                 clock=lambda: float(next(ticks)), sleep=lambda _s: None, domain="vm1")


def test_observe_waits_for_the_vf_to_appear_through_an_agent_that_is_not_up_yet():
    from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
    listings = Listings(LibvirtCollectionError("Guest agent is not connected"), [LO, MASTER, STANDBY], [LO, MASTER, STANDBY, VF])
    result = observe(listings, [pair()], ["armed"])
    assert result["level"] == "interfaces" and result["state"] == "armed" and result["reads"] == 2
    assert result["pairs"][0]["netdevs"] == ["eth0", "eth1", "eth2"]
    assert "cannot tell armed, primary_no_carrier" in result["pairs"][0]["cannot_tell"]


def test_observe_fails_with_the_check_message_and_the_last_view():
    from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
    with pytest.raises(LibvirtCollectionError, match="the host has no VF with that MAC attached") as caught:
        observe(Listings([LO, MASTER, STANDBY, VF]), [pair(primary=False)], ["standby_only_up"], timeout=3.0)
    assert caught.value.result["state"] is None and caught.value.result["pairs"][0]["possible_states"] == []
