# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""observe(): read, classify, wait for an expected state on a fake clock; topologies captured from the lab."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest.failover import ReleaseWatch, observe, verify_after_change
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins import guest_samples as g

FIXTURES = Path(__file__).parents[1] / "fixtures" / "topologies"
STEADY = parse_sysfs_walk((FIXTURES / "lab_steady__tcg_guest_on_hv1.txt").read_text())
ARMED = parse_sysfs_walk((FIXTURES / "lab_armed__standby_link_up.txt").read_text())
AGENT_DOWN = LibvirtCollectionError("Could not talk to the guest agent of domain vm1: not connected", error_code=86)


class FakeClock:
    """Time passes only when the code sleeps (or a read takes `read_cost`)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def reader(clock, sequence, read_cost=0.1):
    items = iter(sequence)

    def read():
        clock.now += read_cost
        item = next(items)
        if isinstance(item, Exception):
            raise item
        return item

    return read


@pytest.mark.parametrize("sequence, expect, reads, state", [
    ([STEADY], None, 1, "steady"),                       # no expectation: one read
    ([STEADY], ["steady"], 1, "steady"),
    ([ARMED, ARMED, STEADY], ["steady"], 3, "steady"),   # waits for the transition
    ([AGENT_DOWN, AGENT_DOWN, ARMED], ["armed"], 1, "armed"),  # the agent comes up while waiting
])
def test_observe_reaches_the_expected_state(sequence, expect, reads, state):
    clock = FakeClock()
    result = observe(reader(clock, sequence), expect=expect, timeout=10, interval=0.5, clock=clock, sleep=clock.sleep, domain="vm1")
    assert result["state"] == state
    assert result["reads"] == reads
    assert result["failover"]["state"] == state
    assert ("message" in result) == bool(expect)


def test_observe_fails_with_the_diagnostic_and_the_last_observation():
    clock = FakeClock()
    with pytest.raises(LibvirtCollectionError) as error:
        observe(reader(clock, [STEADY] * 50), expect=["armed"], timeout=2, interval=0.5, clock=clock, sleep=clock.sleep,
                domain="vm1", tap="vnet3")
    assert error.value.message.startswith("expected armed but the guest on vm1 is steady")
    assert "virsh domif-setlink vm1 vnet3 up" in error.value.message
    assert "(waited 2." in error.value.message
    assert error.value.result["state"] == "steady"
    assert error.value.result["reads"] >= 4


def test_observe_gives_up_on_an_agent_that_never_answers():
    clock = FakeClock()
    with pytest.raises(LibvirtCollectionError) as error:
        observe(reader(clock, [AGENT_DOWN] * 50), expect=["steady"], timeout=3, interval=0.5, clock=clock, sleep=clock.sleep)
    assert "guest agent" in error.value.message and "waited 3." in error.value.message
    assert error.value.error_code == 86


def test_observe_without_timeout_does_not_retry_a_failed_read():
    clock = FakeClock()
    with pytest.raises(LibvirtCollectionError):
        observe(reader(clock, [AGENT_DOWN, STEADY]), expect=["steady"], timeout=0, clock=clock, sleep=clock.sleep)


class NamedDomain:
    def name(self):
        return "vm1"


def test_observe_calls_back_after_every_classification():
    clock = FakeClock()
    seen = []
    observe(reader(clock, [ARMED, ARMED, STEADY]), expect=["steady"], timeout=5, clock=clock, sleep=clock.sleep,
            on_classified=lambda classification: seen.append(classification.state.value))
    assert seen == ["armed", "armed", "steady"]


@pytest.mark.parametrize("params, check_mode", [
    ({"verify_states": [], "verify_timeout": 1.0}, False),       # no states asked for
    ({"verify_states": ["steady"], "verify_timeout": 1.0}, True),  # check mode changed nothing
])
def test_verify_after_change_reads_nothing_when_not_asked(params, check_mode):
    def never(_domain):
        raise AssertionError("the guest must not be read")
    result = verify_after_change(NamedDomain(), params, check_mode, {"changed": True}, reader_factory=never)
    assert result == {"changed": True, "guest": None}


def test_verify_after_change_returns_the_state():
    result = verify_after_change(NamedDomain(), {"verify_states": ["armed"], "verify_timeout": 1.0}, False,
                                 {"changed": True}, reader_factory=lambda _domain: lambda: ARMED)
    assert result["guest"]["state"] == "armed" and result["guest"]["reads"] == 1
    assert set(result["guest"]) == {"level", "state", "message", "failover", "pairs", "reads", "elapsed_seconds", "transitions"}
    assert result["guest"]["level"] == "full"
    assert [(pair["mac"], pair["state"]) for pair in result["guest"]["pairs"]] == [("52:54:00:6c:00:01", "armed")]


def test_verify_after_change_failure_says_what_was_done_and_keeps_the_result():
    with pytest.raises(LibvirtCollectionError, match=r"^After setting the link up, domain vm1 did not reach steady: ") as caught:
        verify_after_change(NamedDomain(), {"verify_states": ["steady"], "verify_timeout": 0.0}, False,
                            {"changed": True, "link_state": "up"}, what="setting the link up",
                            reader_factory=lambda _domain: lambda: ARMED)
    assert caught.value.result["changed"] is True and caught.value.result["link_state"] == "up"
    assert caught.value.result["guest"]["state"] == "armed"


STANDBY_ONLY = parse_sysfs_walk((FIXTURES / "lab_standby_only_up__primary_detached.txt").read_text())


def test_release_watch_names_the_primary_then_checks_its_netdev():
    answers = iter([{"lo", "eth0", "eth1", "eth2"}, AGENT_DOWN, {"lo", "eth0", "eth1"}])

    def lister(_domain):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer
    ticks = iter([0.0, 0.1, 1.0, 1.9, 2.0, 2.05])  # the second check (the failing one) takes 0.9 s
    watch = ReleaseWatch(NamedDomain(), reader_factory=lambda _domain: lambda: ARMED, lister=lister, clock=lambda: next(ticks))
    assert watch.primary == "eth2"
    assert [watch.released(), watch.released(), watch.released()] == [False, False, True]
    assert (watch.checks, watch.failed_checks) == (3, 1) and "not connected" in watch.last_error
    assert watch.summary() == {"primary": "eth2", "checks": 3, "failed_checks": 1, "slowest_check_seconds": 0.9,
                               "last_error": watch.last_error}


def test_release_watch_sees_the_vf_come_back_as_a_new_netdev():
    answers = iter([{"lo", "eth0", "eth1", "eth2"}, {"lo", "eth0", "eth1"}, {"lo", "eth0", "eth1"}, {"lo", "eth0", "eth1", "eth3"}])
    watch = ReleaseWatch(NamedDomain(), reader_factory=lambda _domain: lambda: ARMED, lister=lambda _domain: next(answers))
    assert watch.returned() is False  # not released yet: nothing to come back
    assert [watch.released(), watch.released()] == [False, True]
    assert [watch.returned(), watch.returned()] == [False, True]  # the VF may come back under another name


def agent_down():
    raise AGENT_DOWN


@pytest.mark.parametrize("read", [lambda: STANDBY_ONLY, agent_down])
def test_release_watch_without_an_enslaved_primary_never_fires(read):
    watch = ReleaseWatch(NamedDomain(), reader_factory=lambda _domain: read,
                         lister=lambda _domain: pytest.fail("nothing to watch: the guest must not be asked"))
    assert watch.primary is None and watch.released() is False


def test_netdev_names_asks_the_agent_once(monkeypatch):
    calls = []

    def agent_command(domain, command, arguments=None, timeout=5, domain_name=None):
        calls.append(command)
        return [{"name": "lo"}, {"name": "eth0", "hardware-address": "52:54:00:6c:00:01"}]
    monkeypatch.setattr(guest_agent, "agent_command", agent_command)
    assert guest_agent.netdev_names(NamedDomain()) == {"lo", "eth0"} and calls == ["guest-network-get-interfaces"]


# ---- several failover pairs ---------------------------------------------------------------------------

EXTRA_NIC = [g.nic("eth9", g.OTHER_MAC, "0000:09:00.0", driver="igb")]
BOTH_ARMED = g.topology(g.pair(0, g.MAC_A, "armed"), g.pair(1, g.MAC_B, "armed"), EXTRA_NIC)
FIRST_OUT = g.topology(g.pair(0, g.MAC_A, "standby_only_up"), g.pair(1, g.MAC_B, "armed"), EXTRA_NIC)
BOTH_OUT = g.topology(g.pair(0, g.MAC_A, "standby_only_up"), g.pair(1, g.MAC_B, "standby_only_up"), EXTRA_NIC)


@pytest.mark.parametrize("sequence, expect, macs, reads, state, pair_states", [
    ([BOTH_ARMED], None, None, 1, "armed", {g.MAC_A: "armed", g.MAC_B: "armed"}),
    ([BOTH_ARMED, FIRST_OUT, BOTH_OUT], ["standby_only_up"], None, 3, "standby_only_up",
     {g.MAC_A: "standby_only_up", g.MAC_B: "standby_only_up"}),
    ([BOTH_ARMED, FIRST_OUT], ["standby_only_up"], [g.MAC_A], 2, "standby_only_up", {g.MAC_A: "standby_only_up"}),
    ([FIRST_OUT], None, None, 1, "standby_only_up", {g.MAC_A: "standby_only_up", g.MAC_B: "armed"}),  # the least healthy
])
def test_observe_waits_for_every_pair(sequence, expect, macs, reads, state, pair_states):
    clock = FakeClock()
    result = observe(reader(clock, sequence), expect=expect, timeout=10, interval=0.5, clock=clock, sleep=clock.sleep, domain="vm2",
                     macs=macs)
    assert (result["state"], result["reads"], result["failover"]["state"]) == (state, reads, state)
    assert {pair["mac"]: pair["state"] for pair in result["pairs"]} == pair_states


def test_observe_names_the_pair_that_is_not_as_expected():
    clock = FakeClock()
    with pytest.raises(LibvirtCollectionError) as error:
        observe(reader(clock, [FIRST_OUT] * 20), expect=["standby_only_up"], timeout=2, interval=0.5, clock=clock, sleep=clock.sleep,
                domain="vm2")
    assert error.value.message.startswith(
        "expected standby_only_up but on the guest on vm2 the pair eth3 ({0}) is armed: ".format(g.MAC_B))
    assert "as expected: eth0 ({0}) is standby_only_up".format(g.MAC_A) in error.value.message
    assert error.value.result["state"] == "armed" and len(error.value.result["pairs"]) == 2


def test_observe_refuses_a_malformed_mac_before_reading():
    with pytest.raises(LibvirtCollectionError, match="macs: 52:54:00:zz is not a unicast MAC address"):
        observe(lambda: pytest.fail("nothing may be read"), macs=["52:54:00:zz"])


def test_observe_without_failover_master_has_no_pairs():
    result = observe(lambda: parse_sysfs_walk((FIXTURES / "not_negotiated__no_standby.txt").read_text()))
    assert (result["state"], result["pairs"], result["failover"]["mac"]) == ("not_negotiated", [], None)


def test_verify_after_change_checks_the_pairs_asked_for():
    params = {"verify_states": ["standby_only_up"], "verify_timeout": 0.0}
    result = verify_after_change(NamedDomain(), params, False, {}, reader_factory=lambda _domain: lambda: FIRST_OUT, macs=[g.MAC_A])
    assert result["guest"]["state"] == "standby_only_up" and [pair["mac"] for pair in result["guest"]["pairs"]] == [g.MAC_A]
    with pytest.raises(LibvirtCollectionError, match=r"the pair eth3 \({0}\) is armed".format(g.MAC_B)):
        verify_after_change(NamedDomain(), params, False, {}, reader_factory=lambda _domain: lambda: FIRST_OUT)


def listing(*answers):
    found = iter(answers)
    return lambda _domain: next(found)


def test_release_watch_waits_for_every_primary():
    names = {"lo", "eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth9"}
    watch = ReleaseWatch(NamedDomain(), reader_factory=lambda _domain: lambda: BOTH_ARMED,
                         lister=listing(names, names - {"eth2"}, names - {"eth2", "eth5"}))
    assert (watch.primaries, watch.primary) == (["eth2", "eth5"], "eth2, eth5")
    assert [watch.released(), watch.released(), watch.released()] == [False, False, True]
    assert watch.checks == 3 and watch.summary()["primary"] == "eth2, eth5"


def test_release_watch_of_one_pair():
    names = {"lo", "eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth9"}
    watch = ReleaseWatch(NamedDomain(), reader_factory=lambda _domain: lambda: BOTH_ARMED, lister=listing(names, names - {"eth5"}),
                         macs=[g.MAC_B])
    assert watch.primaries == ["eth5"]
    assert [watch.released(), watch.released()] == [False, True]


def test_release_watch_skips_a_pair_without_an_enslaved_primary():
    watch = ReleaseWatch(NamedDomain(), reader_factory=lambda _domain: lambda: FIRST_OUT,
                         lister=listing({"lo", "eth0", "eth1", "eth3", "eth4", "eth9"}))
    assert watch.primaries == ["eth5"] and watch.released() is True  # eth9, of no pair, is not watched
