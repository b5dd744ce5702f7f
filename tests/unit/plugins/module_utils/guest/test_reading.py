# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module run's way of reading the guest: the level chosen, and what each level reads."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import reading as gr
from ansible_collections.netfailover.standby.plugins.module_utils.guest.failover import ReleaseWatch
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import MAC, FakeDomain, domain_xml

CHANNEL = ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
OPEN = {"guest-exec": True, "guest-exec-status": True, "guest-network-get-interfaces": True}
NO_EXEC = dict(OPEN, **{"guest-exec": False})


def silent(_domain):
    raise LibvirtCollectionError("Guest agent is not connected")


def never(_domain):
    raise AssertionError("the agent must not be asked")


@pytest.mark.parametrize("params, commands, extra, level", [
    ({}, never, "", "full"),  # a module without the option: as before
    ({"verify_level": "interfaces"}, never, "", "interfaces"),  # explicit: as given (preflight checked it)
    ({"verify_level": "auto"}, lambda _d: OPEN, "", "full"),
    ({"verify_level": "auto"}, lambda _d: NO_EXEC, "", "interfaces"),
    ({"verify_level": "auto"}, silent, CHANNEL, "full"),  # an agent not up yet: full, whose reads wait for it
    ({"verify_level": "auto"}, silent, "", "none"),  # no agent channel: the guest is not read
])
def test_reading_for(params, commands, extra, level):
    domain = FakeDomain(live=domain_xml(extra=extra))
    assert gr.reading_for(domain, params, commands_reader=commands).level == level


def test_check_level_refuses_what_the_agent_does_not_allow():
    domain = FakeDomain(live=domain_xml(extra=CHANNEL))
    assert gr.check_level(domain, "auto", commands_reader=lambda _d: NO_EXEC)["level"] == "interfaces"
    with pytest.raises(LibvirtCollectionError, match="does not allow guest-exec, which the full level needs"):
        gr.check_level(domain, "full", commands_reader=lambda _d: NO_EXEC)
    with pytest.raises(LibvirtCollectionError, match="does not answer, so the guest cannot be verified at the auto level"):
        gr.check_level(domain, "auto", commands_reader=silent)
    assert gr.check_level(domain, "none", commands_reader=never) == {
        "level": "none", "why": "asked for: the guest is not read (the seed's blind dance)", "os": {}}


def test_the_none_level_reads_nothing_and_says_so():
    reading = gr.GuestReading(FakeDomain(), "none", "asked for", reader_factory=never,
                              interfaces_lister=never, pairs_reader=lambda: never(None))
    result = reading.observe(["armed"], 30.0)
    assert result["level"] == "none" and result["state"] is None and result["reads"] == 0
    assert "was not read (verify level none: asked for); expected armed, not verified" in result["message"]


def test_the_interfaces_level_takes_every_pair_of_the_definition():
    interfaces = [{"name": n, "hardware-address": MAC} for n in ("eth0", "eth1", "eth2")]
    reading = gr.GuestReading(FakeDomain(live=domain_xml(link="up")), "interfaces", "asked for", interfaces_lister=lambda _d: interfaces)
    result = reading.observe(["armed"], 1.0)
    assert result["level"] == "interfaces" and result["state"] == "armed"
    assert result["pairs"][0]["mac"] == MAC and result["pairs"][0]["netdevs"] == ["eth0", "eth1", "eth2"]


def test_the_full_level_says_so_also_when_it_fails():
    steady = parse_sysfs_walk((Path(__file__).parents[1] / "fixtures" / "topologies" / "lab_steady__tcg_guest_on_hv1.txt").read_text())
    reading = gr.GuestReading(FakeDomain(), "full", "asked for", reader_factory=lambda _d: lambda: steady)
    with pytest.raises(LibvirtCollectionError) as caught:
        reading.observe(["armed"], 0.0)
    assert caught.value.result["level"] == "full"


class MacListing:
    """{name: MAC} answers, one per call (the last repeats)."""

    def __init__(self, *answers):
        self.answers = list(answers)

    def __call__(self, _domain):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


WITH_VF = {"lo": "00:00:00:00:00:00", "eth0": MAC, "eth1": MAC, "eth2": MAC}
WITHOUT_VF = {"lo": "00:00:00:00:00:00", "eth0": MAC, "eth1": MAC}


def test_release_watch_at_the_interfaces_level_counts_the_pairs_netdevs():
    listing = MacListing(WITH_VF, WITH_VF, WITHOUT_VF, WITH_VF)
    watch = ReleaseWatch(FakeDomain(), reader_factory=never, macs=[MAC], level="interfaces", mac_lister=listing)
    assert watch.primary == "the third netdev with the MAC " + MAC
    assert watch.released() is False and watch.released() is True
    assert watch.returned() is True  # a netdev the guest did not have at the release: the VF back


@pytest.mark.parametrize("level, listing", [("none", MacListing(WITH_VF)), ("interfaces", MacListing(WITHOUT_VF))],
                         ids=["none: never reads", "interfaces: no VF now, nothing to watch"])
def test_release_watch_that_never_fires(level, listing):
    watch = ReleaseWatch(FakeDomain(), reader_factory=never, macs=[MAC], level=level, mac_lister=listing)
    assert watch.primary is None and watch.released() is False
