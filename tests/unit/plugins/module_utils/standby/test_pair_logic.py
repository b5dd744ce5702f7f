# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pair logic: desired definitions for every primary kind, MAC choice, refusals, state=absent, summaries."""

import random

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.standby import pair as sp
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s

EMULATED = {"type": "emulated", "source_bridge": "esw0"}
HOSTDEV = {"type": "hostdev", "pci_address": "0000:42:02.5"}
POOL = {"type": "network", "network": "vfpool"}


def spec(primary=None, standby=None, **params):
    params.update({"standby": dict({"source": "br0"}, **(standby or {})), "primary": primary or EMULATED})
    return sp.PairSpec.from_params(params)


def present(text, pair_spec, taken=None):
    return sp.build_present(dx.parse(text), pair_spec, taken or {}, random.Random(3), "vm")


def summary(root):
    return sp.pair_summary(root, "ua-standby0", "ua-primary0")


@pytest.mark.parametrize("primary, expected", [
    (EMULATED, {"type": "bridge", "source": {"bridge": "esw0"}, "model": "vmxnet3", "teaming": None, "rom": "no"}),
    (dict(EMULATED, model="e1000e"), {"model": "e1000e"}),
    (HOSTDEV, {"type": "hostdev", "managed": "yes", "source": {"address": "0000:42:02.5"}, "model": None,
               "teaming": {"type": "transient", "persistent": "ua-standby0"}}),
    (POOL, {"type": "network", "source": {"network": "vfpool"}, "teaming": {"type": "transient", "persistent": "ua-standby0"}}),
])
def test_present_on_a_plain_domain_builds_the_whole_pair(primary, expected):
    desired, facts = present(s.domain(acpi=False), spec(primary))
    got = summary(desired)
    assert {key: got["primary"][key] for key in expected} == expected
    assert got["primary"]["mac"] == got["standby"]["mac"] == facts["mac"] and facts["mac_source"] == "generated"
    assert got["standby"] == {"type": "bridge", "managed": None, "mac": facts["mac"], "source": {"bridge": "br0"}, "model": "virtio",
                              "teaming": {"type": "persistent"}, "link_state": "down", "alias": "ua-standby0", "rom": None}
    assert got["root_port"] == {"index": 4, "model": "pcie-root-port", "alias": "ua-primary0-port", "address": "0000:00:02.0",
                                "problem": None}
    assert got["primary"]["address"] == "0000:04:00.0" and got["acpi"] and facts["acpi_added"]


@pytest.mark.parametrize("kind, source, expected", [
    ("bridge", "br0", {"bridge": "br0"}),
    ("network", "default", {"network": "default"}),
    ("direct", "eth0", {"dev": "eth0", "mode": "bridge"}),
])
def test_standby_source_types(kind, source, expected):
    desired, _facts = present(s.domain(), spec(standby={"source_type": kind, "source": source}))
    assert summary(desired)["standby"]["source"] == expected and summary(desired)["standby"]["type"] == kind


@pytest.mark.parametrize("text, options, mac, how", [
    (s.domain(), {"mac": "52:54:00:AB:CD:EF"}, "52:54:00:ab:cd:ef", "given"),
    (s.domain(s.standby()), {}, s.MAC, "kept"),
    (s.domain(s.standby(alias=None)), {"mac": s.MAC}, s.MAC, "given"),
    (s.domain(s.standby() + s.emulated(mac=s.OTHER_MAC)), {}, s.MAC, "kept"),  # a mismatch is fixed to the standby's MAC
    (s.domain(s.standby(), name="x"), {"standby": {"mac": s.OTHER_MAC}}, s.OTHER_MAC, "given"),
])
def test_mac_choice(text, options, mac, how):
    _desired, facts = present(text, spec(**options))
    assert (facts["mac"], facts["mac_source"]) == (mac, how)


def test_generated_mac_avoids_macs_of_other_domains_and_of_this_one():
    taken = {dx.generate_mac(random.Random(3)): {"other"}}
    _desired, facts = present(s.domain(), spec(), taken=taken)
    assert facts["mac"] not in taken


def test_present_is_a_fixed_point():
    desired, _facts = present(s.domain(), spec(HOSTDEV))
    again, facts = present(dx.to_string(desired), spec(HOSTDEV))
    assert summary(again) == summary(desired) and facts["mac_source"] == "kept"


def test_existing_pair_of_the_lab_is_already_right():
    root = dx.parse(s.paired())
    desired, facts = present(s.paired(), spec())
    assert summary(desired) == summary(root) and facts["root_port_index"] == 8


def test_link_state_up_drops_the_link_element():
    desired, _facts = present(s.paired(), spec(standby={"link_state": "up"}))
    standby = dx.interface_with_alias(desired, "ua-standby0")
    assert standby.find("link") is None and summary(desired)["standby"]["link_state"] == "up"


def test_existing_standby_keeps_its_source_when_none_is_given():
    params = {"standby": {"alias": "ua-standby0"}, "primary": EMULATED}
    desired, _facts = sp.build_present(dx.parse(s.domain(s.standby(kind="network", source="default"))),
                                       sp.PairSpec.from_params(params), {}, random.Random(1), "vm")
    assert summary(desired)["standby"]["source"] == {"network": "default"}


def test_switching_the_primary_kind_replaces_it_and_keeps_its_place():
    desired, _facts = present(s.paired(), spec(HOSTDEV))
    got = summary(desired)
    assert got["primary"]["type"] == "hostdev" and got["primary"]["address"] == "0000:08:00.0"
    assert len(dx.interfaces(desired)) == 2


@pytest.mark.parametrize("text, pair_spec, taken, message", [
    (s.domain(machine="pc-i440fx-7.2"), spec(), {}, "i440fx machine type .* Fix: recreate the domain as q35"),
    (s.domain(machine="virt"), spec(), {}, "'virt' is not q35"),
    (s.domain(s.standby(model="e1000e")), spec(), {}, "is not virtio-net: only a virtio-net NIC can be a STANDBY NIC"),
    (s.domain(s.standby(alias="ua-nic0", model="e1000e")), spec(mac=s.MAC), {}, "is not virtio-net"),
    (s.domain(), spec(mac=s.MAC), {s.MAC: {"vm1"}}, "MAC 52:54:00:6c:00:21 is already used by domain.s. vm1 on this hypervisor"),
    (s.domain(s.standby(alias="ua-nic0", mac=s.OTHER_MAC)), spec(mac=s.OTHER_MAC.replace("99", "98")), {}, None),
    (s.domain(s.standby()), spec(mac=s.OTHER_MAC), {s.OTHER_MAC: {"vm1", "vm2"}}, "vm1, vm2"),
    (s.domain(s.standby(alias="ua-nic0", mac=s.OTHER_MAC)),
     spec(standby={"alias": "ua-nic0"}, mac=s.OTHER_MAC, primary=dict(EMULATED, alias="ua-nic1")), {}, None),
    (s.domain("<serial type='pty'><alias name='ua-primary0'/></serial>"), spec(), {}, "Alias ua-primary0 is already used by serial"),
    (s.domain("<disk type='file'><alias name='ua-standby0'/></disk>"), spec(), {}, "Alias ua-standby0 is already used by disk"),
    (s.domain("<disk type='file'><alias name='ua-primary0-port'/></disk>"), spec(), {}, "Alias ua-primary0-port is already used"),
    (s.domain(s.standby() + s.standby(alias="ua-primary0", mac=s.OTHER_MAC, bus=2)), spec(), {}, "it is virtio-net"),
    (s.domain(s.standby() + s.emulated() + s.hostdev(alias="ua-vf9")), spec(), {}, "several interfaces claim to be the primary"),
    (s.domain(s.standby() + s.standby(alias="ua-other", bus=2)), spec(), {}, "is already used by interface .bridge, virtio, ua-other."),
    (s.domain(), spec(dict(EMULATED, root_port_index=2)), {}, "multifunction slot 00:01"),
    (s.domain(), spec(dict(EMULATED, slot=1)), {}, "would share a .multifunction. slot"),
    (s.domain(), sp.PairSpec.from_params({"primary": EMULATED}), {}, "no interface with alias ua-standby0 to pair. Fix: give standby.source"),
])
def test_refusals(text, pair_spec, taken, message):
    if message is None:
        present(text, pair_spec, taken)  # the control rows: accepted
        return
    with pytest.raises(sp.PairRefused, match=message) as error:
        present(text, pair_spec, taken)
    assert error.value.message.endswith("Nothing was changed.")


@pytest.mark.parametrize("options, message", [
    ({"standby": {"alias": "standby0"}}, "is not a libvirt user alias"),
    ({"primary": dict(EMULATED, alias="ua-standby0")}, "both 'ua-standby0'"),
    ({"mac": "01:00:5e:00:00:01"}, "not a unicast MAC"),
    ({"mac": "52:54:00:zz:00:01"}, "not a unicast MAC"),
    ({"primary": dict(HOSTDEV, pci_address="42.02.5")}, "is not a PCI address"),
    ({"primary": dict(EMULATED, model="virtio")}, "cannot be an emulated primary"),
    ({"primary": {"source_bridge": "esw0"}}, "primary.type is required"),
])
def test_validate_spec(options, message):
    params = {"standby": dict({"source": "br0"}, **options.pop("standby", {})), "primary": options.pop("primary", EMULATED)}
    params.update(options)
    with pytest.raises(sp.PairRefused, match=message):
        sp.validate_spec(sp.PairSpec.from_params(params))


def test_two_different_macs_are_refused():
    with pytest.raises(sp.PairRefused, match="differ; the pair has one MAC"):
        sp.PairSpec.from_params({"mac": s.MAC, "standby": {"mac": s.OTHER_MAC}})


def test_absent_needs_only_aliases():
    sp.validate_spec(sp.PairSpec.from_params({"state": "absent"}), state="absent")


@pytest.mark.parametrize("version, hypervisor, kind, message", [
    ((9, 0, 0), (7, 2, 0), "QEMU", None),
    ((9, 0, 0), (0, 0, 2), "TEST", None),
    ((6, 0, 0), (7, 2, 0), "QEMU", "libvirt 6.0.0 is older than 6.1.0"),
    ((6, 1, 0), (4, 1, 1), "QEMU", "QEMU 4.1.1 is older than 4.2.0"),
    ((9, 0, 0), (4, 2, 0), "LXC", "driver is LXC"),
])
def test_version_problem(version, hypervisor, kind, message):
    found = sp.version_problem(version, hypervisor, kind)
    assert (found is None) if message is None else (message in found and "Fix:" in found)


@pytest.mark.parametrize("primary", [s.emulated(bus=8), s.hostdev(bus=8), s.vf_pool(bus=8)])
def test_absent_gives_back_a_plain_vm(primary):
    desired, facts = sp.build_absent(dx.parse(s.paired(primary)), sp.PairSpec())
    assert facts == {"removed_primaries": ["ua-primary0"], "removed_root_ports": [8]}
    interfaces = dx.interfaces(desired)
    assert len(interfaces) == 1
    assert dx.teaming_of(interfaces[0]) is None and dx.link_state_of(interfaces[0]) == "up"
    assert dx.mac_of(interfaces[0]) == s.MAC and dx.alias_of(interfaces[0]) == "ua-standby0"


def test_absent_finds_primaries_by_teaming_and_by_mac():
    text = s.domain(s.standby() + s.hostdev(alias="ua-vf7") + s.emulated(alias="ua-emu3"))
    desired, facts = sp.build_absent(dx.parse(text), sp.PairSpec())
    assert sorted(facts["removed_primaries"]) == ["ua-emu3", "ua-vf7"] and len(dx.interfaces(desired)) == 1


def test_absent_keeps_a_port_the_module_did_not_add_and_is_a_fixed_point():
    text = s.domain(s.root_port(8, 8) + s.standby() + s.emulated(bus=8))
    desired, facts = sp.build_absent(dx.parse(text), sp.PairSpec())
    assert facts["removed_root_ports"] == [] and 8 in dx.pci_controllers(desired)
    again, _facts = sp.build_absent(desired, sp.PairSpec())
    assert summary(again) == summary(desired)


def test_summary_without_link_state():
    got = sp.without_link_state(summary(dx.parse(s.paired())))
    assert "link_state" not in got["standby"] and "link_state" in got["primary"]
    assert sp.without_link_state({"standby": None}) == {"standby": None}
