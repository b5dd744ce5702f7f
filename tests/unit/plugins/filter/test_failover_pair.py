# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""failover_pairs, failover_pair, failover_device: the STANDBY pairs of a domain XML, joined by MAC, aliases from the definition."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.filter.failover_pair import (
    FilterModule,
    failover_device,
    failover_pair,
    failover_pairs,
)
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s

MAC_B = "52:54:00:6c:00:22"
OTHER_MAC = "52:54:00:6c:00:99"
PLAIN_HOSTDEV = ("<hostdev mode='subsystem' type='pci' managed='yes'><source>{0}</source>"
                 "<teaming type='transient' persistent='{1}'/><alias name='ua-vf2'/></hostdev>")
EXTRA_NIC = s.emulated(mac=OTHER_MAC, alias="ua-mgmt0", model="e1000e", bridge="mgmt")
PLAIN_VIRTIO = s.standby(mac="52:54:00:6c:00:77", alias="ua-net9", teaming=False, bus=None, link=None)


def override(alias, name, value, kind="string"):
    return ("<qemu:override><qemu:device alias='{0}'><qemu:frontend><qemu:property name='{1}' type='{2}' value='{3}'/>"
            "</qemu:frontend></qemu:device></qemu:override>".format(alias, name, kind, value))


TWO_PAIRS = s.domain(
    s.standby(bus=1) + s.hostdev(alias="ua-vf0", bus=8)                                   # teamed by alias
    + s.standby(mac=MAC_B, alias="ua-net1", bus=2) + s.emulated(mac=MAC_B, alias="ua-emu1", bus=9)  # the lab's kind, by MAC
    + EXTRA_NIC + PLAIN_VIRTIO)


def summary(pairs):
    return [(p["mac"], p["standby"]["alias"], p["primary"] and p["primary"]["alias"], p["primary"] and p["primary"]["kind"], p["variant"])
            for p in pairs]


@pytest.mark.parametrize("xml, expected", [
    (TWO_PAIRS, [(s.MAC, "ua-standby0", "ua-vf0", "hostdev", "teaming"), (MAC_B, "ua-net1", "ua-emu1", "emulated", "manual")]),
    # the lab's guest, and its teaming variant (QEMU's failover_pair_id on the emulated VF)
    (s.paired(), [(s.MAC, "ua-standby0", "ua-primary0", "emulated", "manual")]),
    (s.domain(s.standby() + s.emulated(bus=8), extra=override("ua-primary0", "failover_pair_id", "ua-standby0")),
     [(s.MAC, "ua-standby0", "ua-primary0", "emulated", "teaming")]),
    # a standby that only QEMU's failover=on makes one
    (s.domain(s.standby(teaming=False) + s.emulated(), extra=override("ua-standby0", "failover", "true", "bool")),
     [(s.MAC, "ua-standby0", "ua-primary0", "emulated", "manual")]),
    (s.domain(s.standby(mac=MAC_B, alias="ua-sb3") + s.vf_pool(mac=MAC_B, alias="ua-pool3").replace("ua-standby0", "ua-sb3")),
     [(MAC_B, "ua-sb3", "ua-pool3", "network", "teaming")]),
    # a plain <hostdev> has no MAC: found by its teaming only
    (s.domain(s.standby(alias="ua-sb2") + PLAIN_HOSTDEV.format(s.address(0x42, 2, 6), "ua-sb2")),
     [(s.MAC, "ua-sb2", "ua-vf2", "hostdev", "teaming")]),
    # the VF is detached: the pair stays, without primary
    (s.domain(s.standby() + EXTRA_NIC), [(s.MAC, "ua-standby0", None, None, "manual")]),
    # a VF with the MAC but teamed with another standby is not this one's
    (s.domain(s.standby() + s.hostdev(persistent="ua-other")), [(s.MAC, "ua-standby0", None, None, "manual")]),
    # no STANDBY pair: a plain virtio NIC, even with a NIC of the same MAC beside it
    (s.domain(s.standby(teaming=False) + s.emulated() + EXTRA_NIC), []),
    (s.domain(), []),
], ids=["two_pairs_and_extra_nics", "lab", "lab_teaming", "qemu_failover_on", "vf_pool", "plain_hostdev", "detached",
        "teamed_elsewhere", "no_teaming", "no_interfaces"])
def test_failover_pairs(xml, expected):
    assert summary(failover_pairs(xml)) == expected


def test_failover_pairs_describes_each_pair_as_failover_pair_does():
    pairs = failover_pairs(TWO_PAIRS)
    assert pairs[0] == failover_pair(TWO_PAIRS, "ua-standby0", "ua-vf0")
    assert pairs[1] == failover_pair(TWO_PAIRS, "ua-net1", "ua-emu1")
    assert pairs[1]["standby"] == {"alias": "ua-net1", "tap": None, "source": {"bridge": "br0"}, "type": "bridge",
                                   "link_state": "down", "teaming": {"type": "persistent"}}
    assert pairs[0]["primary"]["source"] == {"address": "0000:42:02.5"} and "<teaming type=\"transient\"" in pairs[0]["primary"]["xml"]


@pytest.mark.parametrize("xml, aliases, primary, variant", [
    (s.paired(), (), "ua-primary0", "manual"),
    (s.paired(s.hostdev(bus=8)), (), "ua-primary0", "teaming"),
    # the given aliases are taken as given: a primary under another alias is not guessed (the steps act on the alias)
    (TWO_PAIRS, ("ua-standby0",), None, "manual"),
    (TWO_PAIRS, ("ua-standby0", "ua-vf0"), "ua-vf0", "teaming"),
    (s.domain(s.standby(alias="ua-sb2") + PLAIN_HOSTDEV.format(s.address(0x42, 2, 6), "ua-sb2")), ("ua-sb2", "ua-vf2"), "ua-vf2",
     "teaming"),
])
def test_failover_pair_by_the_aliases_given(xml, aliases, primary, variant):
    pair = failover_pair(xml, *aliases)
    assert ((pair["primary"] or {}).get("alias"), pair["variant"]) == (primary, variant)


def test_failover_pair_names_the_pairs_the_domain_has():
    expected = (r"no virtio-net interface with alias ua-nope.*its STANDBY pairs: ua-standby0 \(MAC 52:54:00:6c:00:21, primary ua-vf0\), "
                r"ua-net1 \(MAC 52:54:00:6c:00:22, primary ua-emu1\)")
    with pytest.raises(AnsibleFilterError, match=expected):
        failover_pair(TWO_PAIRS, "ua-nope")
    with pytest.raises(AnsibleFilterError) as error:
        failover_pair(s.domain(EXTRA_NIC))
    assert "no virtio-net interface with alias ua-standby0: it has no STANDBY pair to migrate by that alias. Configure" in error.value.message
    assert failover_pair(TWO_PAIRS, "ua-nope", strict=False) is None


@pytest.mark.parametrize("xml, kind", [
    (s.hostdev(), "hostdev"),
    (PLAIN_HOSTDEV.format(s.address(0x42, 2, 6), "ua-standby0"), "hostdev"),
    (s.vf_pool(), "network"),
    (s.emulated(), "emulated"),
])
def test_failover_device_kind(xml, kind):
    assert failover_device(xml)["kind"] == kind


@pytest.mark.parametrize("call", [failover_pairs, failover_pair, failover_device])
def test_bad_xml_is_a_filter_error(call):
    with pytest.raises(AnsibleFilterError, match="Could not parse"):
        call("<domain>")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"failover_pair", "failover_pairs", "failover_device"}
