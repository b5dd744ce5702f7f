# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bridge FDB entries: parsing ``bridge -j fdb show``/``bridge -j vlan show``/``ip -d -j link show``, the plan, the exact
argv, idempotency per (MAC, VLAN), the VLAN of a bridge that filters VLANs, Open vSwitch refused.

The iproute2 outputs are recorded (fixtures/iproute2/README.md says where); ``Bridge`` answers with them and applies
``bridge fdb replace/del`` as the kernel does (a write without ``vlan`` acts in every VLAN of the port)."""

import json
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host import bridge_fdb
from ansible_collections.netfailover.standby.plugins.module_utils.host.commands import CommandError
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

SAMPLES = Path(__file__).parents[1] / "fixtures" / "iproute2"


def sample(name):
    return (SAMPLES / name).read_text()


LEARNED = json.loads(sample("bridge_fdb_pf0_learned.json"))
VLANS = json.loads(sample("bridge_fdb_vlan_filtering.json"))
PF_LINK = sample("ip_d_link_port_lab.json")  # pf0 on br0, as on the lab's hypervisors
LAB_BRIDGE = sample("ip_d_link_bridge_lab.json")  # br0 of a kernel without VLAN filtering (the lab's)
VLAN_BRIDGE = sample("ip_d_link_bridge_vlan_filtering.json")  # br0 with vlan_filtering 1
PLAIN_BRIDGE = sample("ip_d_link_bridge_no_vlan_filtering.json")  # vlan_filtering 0 on a kernel with VLAN filtering
VLAN_PORT = sample("ip_d_link_port_vlan_filtering.json")  # pf0 on br0 (vlan_filtering 1)
OVS_PORT = sample("ip_d_link_port_ovs.json")  # a tap on an Open vSwitch datapath
NO_BRIDGE_PORT = sample("ip_d_link_port_no_bridge.json")  # a veth in no bridge
TAP_PVID10 = sample("bridge_vlan_tap_pvid10.json")  # vnet0: VLAN 10, PVID, egress untagged
TAP_PVID10_OLD = sample("bridge_vlan_tap_pvid10_iproute2_4.json")  # the same in the shape iproute2 4.x printed
TAP_PLAIN = sample("bridge_vlan_tap_no_vlan_filtering.json")  # vnet1: default VLAN 1 (vlan_filtering 0)
PF_TRUNK = sample("bridge_vlan_pf0_trunk.json")  # pf0: PVID 1, VLANs 10 and 20 tagged
PF_VLAN_FDB = json.loads(sample("bridge_fdb_pf0_vlan_filtering.json"))  # pf0's FDB, no entry for the guest
PINNED_VLAN10 = json.loads(sample("bridge_fdb_pf0_pinned_vlan10.json"))  # pinned with `vlan 10`
PINNED_EVERY_VLAN = json.loads(sample("bridge_fdb_pf0_pinned_every_vlan.json"))  # then again without `vlan`
BRIDGE_PINNED_VLAN10 = json.loads(sample("bridge_fdb_br0_pinned_vlan10.json"))  # `bridge -j fdb show br br0`
PINNED_PLAIN = json.loads(sample("bridge_fdb_pf1_pinned_no_vlan_filtering.json"))  # pinned without vlan, vlan_filtering 0
PINNED_LAB = json.loads(sample("bridge_fdb_pf0_pinned_lab.json"))
MAC = "52:54:00:6c:00:01"
BRIDGE = "/usr/sbin/bridge"
IP = "/usr/sbin/ip"
ENOENT = "RTNETLINK answers: No such file or directory\n"


class Bridge:  # pylint: disable=too-many-instance-attributes
    """run_command for one bridge ``br0``: ``ip -d -j link show`` of the bridge and its ``ports`` (every port answers
    ``link``), ``bridge -j vlan show dev`` from ``vlans`` (port -> output), ``bridge -j fdb show`` from a list of
    entries; replace and del applied to it the way the kernel does."""

    def __init__(self, entries, link=PF_LINK, relearn=False, fail=None, ports=("pf0",), bridge_link=LAB_BRIDGE, vlans=None,
                 links=None):
        self.entries = [dict(e) for e in entries]
        self.link = link
        self.links = dict(links or {})  # port -> its own `ip -d -j link show` output
        self.relearn = relearn
        self.fail = fail
        self.ports = ports
        self.bridge_link = bridge_link
        self.vlans = dict(vlans or {})
        self.commands = []

    def writes(self):
        return [argv for argv in self.commands if argv[0] == BRIDGE and argv[1] == "fdb" and argv[2] != "show"]

    def port_vlan_ids(self, port):
        return [v["vlan"] for v in bridge_fdb.port_vlans(json.loads(self.vlans.get(port, "[]")), port)]

    def __call__(self, argv):
        self.commands.append(argv)
        if argv[0] == IP:
            if argv[-1] == "br0":
                return 0, self.bridge_link, ""
            if argv[-1] in self.links:
                return 0, self.links[argv[-1]], ""
            return (0, self.link, "") if argv[-1] in self.ports else (1, "", 'Device "{0}" does not exist.\n'.format(argv[-1]))
        if argv[1:4] == ["-j", "vlan", "show"]:
            return 0, self.vlans.get(argv[5], "[]"), ""
        if argv[1:4] == ["-j", "fdb", "show"]:
            if argv[4] == "br":  # the whole bridge: every entry names its port
                return 0, json.dumps(self.entries), ""
            return 0, json.dumps([e for e in self.entries if e.get("ifname", argv[5]) == argv[5]]), ""
        if self.fail:
            return 255, "", self.fail
        return self.write(argv)

    def write(self, argv):
        mac, port, table = argv[3], argv[5], argv[6]
        vlan = int(argv[argv.index("vlan") + 1]) if "vlan" in argv else None
        vlans = [vlan] if vlan is not None else [None] + self.port_vlan_ids(port)  # no vlan: every VLAN of the port

        def same(entry, vid):
            return entry["mac"] == mac and ("master" in entry) == (table == "master") and entry.get("vlan") == vid

        if argv[2] == "del":
            mine = [e for e in self.entries if e.get("ifname", port) == port]
            if vlan is None:  # the kernel deletes the MAC in every VLAN
                gone = [e for e in mine if e["mac"] == mac and ("master" in e) == (table == "master")]
            else:
                gone = [e for e in mine if same(e, vlan)]
            if not gone:
                return 2, "", ENOENT
            self.entries = [e for e in self.entries if e not in gone]
            if self.relearn:
                self.entries.append({"mac": mac, "flags": [], "master": "br0", "state": ""})
        elif argv[2] == "replace":
            state = {"static": "static", "permanent": "permanent", "dynamic": ""}[argv[7]]
            for vid in vlans:
                self.entries = [e for e in self.entries if not same(e, vid)]
                entry = {"mac": mac, "ifname": port, "flags": ["sticky"] if "sticky" in argv else [], "master": "br0",
                         "state": state}
                if table == "self":  # the device's own FDB
                    entry = {"mac": mac, "ifname": port, "flags": ["self"], "state": state}
                if vid is not None:
                    entry["vlan"] = vid
                self.entries.append(entry)
        return 0, "", ""


def vlan_bridge(entries, **overrides):
    """br0 with vlan_filtering 1: pf0 a trunk (PVID 1, VLANs 10 and 20), the guest's tap vnet0 untagged in VLAN 10."""
    settings = dict(link=VLAN_PORT, ports=("pf0", "vnet0"), bridge_link=VLAN_BRIDGE, vlans={"vnet0": TAP_PVID10, "pf0": PF_TRUNK})
    settings.update(overrides)
    return Bridge(entries, **settings)


def entry(host, state="present", port="pf0", **kwargs):
    kwargs.setdefault("sticky", True)
    return bridge_fdb.FdbEntry(host, MAC, port, state, flavour="static", bridge=BRIDGE, ip=IP, **kwargs)


def guest_entries(entries, port="pf0"):
    return sorted(((e.get("vlan") or 0), e["state"], tuple(e["flags"])) for e in entries
                  if e["mac"] == MAC and e.get("ifname", port) == port and "master" in e)


# --- parsing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entries, master, vlan, expected", [
    (LEARNED, True, bridge_fdb.ANY_VLAN, [{"mac": MAC, "flags": [], "master": "br0", "state": ""}]),
    (LEARNED, False, bridge_fdb.ANY_VLAN, []),  # the port's own FDB has no entry for the guest
    (VLANS, True, bridge_fdb.ANY_VLAN, [e for e in VLANS if e["mac"] == MAC and "master" in e]),
    (VLANS, True, 10, [{"mac": MAC, "vlan": 10, "flags": [], "master": "br0", "state": ""}]),
    (VLANS, True, None, []),
    (VLANS, False, bridge_fdb.ANY_VLAN, [{"mac": MAC, "flags": ["self"], "state": "permanent"}]),
    (PINNED_EVERY_VLAN, True, None, [{"mac": MAC, "flags": ["sticky"], "master": "br0", "state": "static"}]),
    ([], True, bridge_fdb.ANY_VLAN, []),
])
def test_matching_entries(entries, master, vlan, expected):
    assert bridge_fdb.matching_entries(entries, MAC, master, vlan) == expected


def test_a_pin_without_vlan_lands_in_every_vlan_of_the_port():
    """The recorded reason for refusing: `bridge fdb replace` without `vlan` on a vlan_filtering bridge (after one with
    `vlan 10`) wrote VLAN 0 and every VLAN of pf0 (1, 20), beside 10."""
    assert guest_entries(PINNED_EVERY_VLAN) == [(0, "static", ("sticky",)), (1, "static", ("sticky",)),
                                                (10, "static", ("sticky",)), (20, "static", ("sticky",))]
    # and without vlan_filtering, on a kernel that has VLAN filtering, in VLAN 0 and the port's default VLAN 1
    assert guest_entries(PINNED_PLAIN, "pf1") == [(0, "static", ("sticky",)), (1, "static", ("sticky",))]


@pytest.mark.parametrize("entry, flavour", [
    ({"state": ""}, "dynamic"), ({}, "dynamic"), ({"state": "static"}, "static"), ({"state": "permanent"}, "permanent"),
])
def test_flavour_of(entry, flavour):
    assert bridge_fdb.flavour_of(entry) == flavour


@pytest.mark.parametrize("output, port, pvid", [
    (TAP_PVID10, "vnet0", 10),  # iproute2 6.1: [{"ifname", "vlans": [...]}]
    (TAP_PVID10_OLD, "vnet0", 10),  # iproute2 4.x: {"vnet0": [...]}
    (PF_TRUNK, "pf0", 1),
    (TAP_PLAIN, "vnet1", 1),  # a bridge without filtering still shows its default VLAN: only vlan_filtering decides
    (sample("bridge_vlan_lab.json"), "vnet0", None),  # a kernel without VLAN filtering shows none
    (TAP_PVID10, "pf0", None),  # another port's output
    ('[{"ifname": "vnet0", "vlans": [{"vlan": 10}, {"vlan": 20, "vlanEnd": 30}]}]', "vnet0", None),  # tagged only
    ('[{"ifname": "vnet0", "vlan": 30, "flags": ["pvid"]}]', "vnet0", 30),  # an entry per VLAN, flags in lower case
])
def test_pvid(output, port, pvid):
    assert bridge_fdb.pvid(json.loads(output), port) == pvid


@pytest.mark.parametrize("link, filtering", [
    (VLAN_BRIDGE, True), (PLAIN_BRIDGE, False), (LAB_BRIDGE, False), (VLAN_PORT, False), ("[{}]", False),
])
def test_vlan_filtering(link, filtering):
    assert bridge_fdb.vlan_filtering(json.loads(link)[0]) is filtering


@pytest.mark.parametrize("link, ovs", [
    (OVS_PORT, True),  # recorded: master ovs-system, info_slave_kind openvswitch
    ('[{"ifname": "vnet3", "master": "ovs-system"}]', True),  # without -d details
    ('[{"ifname": "vnet3", "master": "dp1", "linkinfo": {"info_slave_kind": "openvswitch"}}]', True),  # another datapath
    (PF_LINK, False), (VLAN_PORT, False), (NO_BRIDGE_PORT, False),
])
def test_is_ovs_port(link, ovs):
    assert bridge_fdb.is_ovs_port(json.loads(link)[0]) is ovs


# --- the plan and the argv ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entries, state, master, flavour, vlan, commands", [
    # the seed's `bridge fdb del $MAC dev $PF master`
    (bridge_fdb.matching_entries(LEARNED, MAC, True), "absent", True, "static", None,
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]),
    ([], "absent", True, "static", None, []),
    # without a VLAN: one delete, which removes the MAC in every VLAN (a second would fail: No such file or directory)
    (bridge_fdb.matching_entries(VLANS, MAC, True), "absent", True, "static", None,
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]),
    (bridge_fdb.matching_entries(VLANS, MAC, True, 10), "absent", True, "static", 10,
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master", "vlan", "10"]]),
    (bridge_fdb.matching_entries(VLANS, MAC, False), "absent", False, "static", None,
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "self"]]),
    ([], "present", True, "static", None, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
    ([], "present", True, "static", 10, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "vlan", "10"]]),
    (bridge_fdb.matching_entries(LEARNED, MAC, True), "present", True, "static", None,  # dynamic -> static
     [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
    (bridge_fdb.matching_entries(LEARNED, MAC, True), "present", True, "dynamic", None, []),
    ([{"mac": MAC, "flags": [], "master": "br0", "state": "static"}], "present", True, "static", None, []),
    # the static entry is in VLAN 20, the learned one in VLAN 10: VLAN 10 is not pinned yet
    (bridge_fdb.matching_entries(VLANS, MAC, True), "present", True, "static", 10,
     [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "vlan", "10"]]),
    (bridge_fdb.matching_entries(VLANS, MAC, True), "present", True, "static", 20, []),
    ([], "present", True, "permanent", None, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "permanent"]]),
])
def test_plan(entries, state, master, flavour, vlan, commands):
    assert bridge_fdb.plan(entries, MAC, "pf0", state, master, flavour, BRIDGE, vlan=vlan) == commands


STATIC = {"mac": MAC, "flags": [], "master": "br0", "state": "static"}
STICKY = {"mac": MAC, "flags": ["sticky"], "master": "br0", "state": "static"}


@pytest.mark.parametrize("entries, sticky, commands", [
    # a sticky entry is not moved by learning: the pin that holds while the standby link comes up
    ([], True, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky"]]),
    ([STATIC], True, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky"]]),
    ([STICKY], True, []),
    ([STICKY], False, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
    ([STATIC], False, []),
    # recorded: pinned without vlan on a kernel with VLAN filtering, vlan_filtering 0 (VLAN 0 and VLAN 1): pinned
    (bridge_fdb.matching_entries(PINNED_PLAIN, MAC, True), True, []),
])
def test_plan_sticky(entries, sticky, commands):
    assert bridge_fdb.plan(entries, MAC, "pf0", "present", True, "static", BRIDGE, sticky) == commands


def test_argv():
    assert bridge_fdb.show_argv("pf0", BRIDGE) == [BRIDGE, "-j", "fdb", "show", "dev", "pf0"]
    assert bridge_fdb.link_argv("pf0", IP) == [IP, "-d", "-j", "link", "show", "dev", "pf0"]
    assert bridge_fdb.vlan_show_argv("vnet0", BRIDGE) == [BRIDGE, "-j", "vlan", "show", "dev", "vnet0"]
    assert bridge_fdb.replace_argv(MAC, "pf0", True, "static", BRIDGE, True, 10) == \
        [BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "10"]


# --- runs on the lab's bridge (no VLAN filtering): as before --------------------------------------------------


@pytest.mark.parametrize("entries, state, flavour, check_mode, changed, after", [
    (LEARNED, "absent", "static", False, True, []),
    (LEARNED, "absent", "static", True, True, []),
    ([e for e in LEARNED if e["mac"] != MAC], "absent", "static", False, False, []),  # nothing to delete: ok
    ([e for e in LEARNED if e["mac"] != MAC], "present", "static", False, True, ["static"]),
    (LEARNED, "present", "dynamic", False, False, ["dynamic"]),
])
def test_fdb_entry_run(entries, state, flavour, check_mode, changed, after):
    host = Bridge(entries)
    fdb = bridge_fdb.FdbEntry(host, MAC.upper(), "pf0", state, flavour=flavour, bridge=BRIDGE, ip=IP)
    result = fdb.run(check_mode=check_mode)
    assert result["changed"] is changed
    assert result["mac"] == MAC and result["bridge"] == "br0" and result["vlan"] is None
    assert [e["flavour"] for e in result["entries_after"]] == after
    assert host.writes() == ([] if check_mode else result["commands"])
    assert fdb.warnings == []


def test_the_lab_pin_reads_the_port_and_the_bridge_and_runs_the_same_argv_as_before():
    host = Bridge([e for e in LEARNED if e["mac"] != MAC])
    result = entry(host).run()
    assert host.commands == [
        [IP, "-d", "-j", "link", "show", "dev", "pf0"],
        [IP, "-d", "-j", "link", "show", "dev", "br0"],  # vlan_filtering 0 (the lab's kernel has no VLAN filtering)
        [BRIDGE, "-j", "fdb", "show", "dev", "pf0"],
        [BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky"],
        [BRIDGE, "-j", "fdb", "show", "dev", "pf0"],
    ]
    assert result["changed"] and result["vlan"] is None
    assert [(e["flavour"], e["flags"]) for e in result["entries_after"]] == [("static", ["sticky"])]
    assert entry(Bridge(PINNED_LAB)).run()["changed"] is False  # recorded on the lab's kernel: pinned


@pytest.mark.parametrize("state", ["present", "absent"])
def test_without_vlan_filtering_a_second_run_changes_nothing_on_a_kernel_with_vlan_filtering(state):
    """vlan_filtering 0 on a kernel built with VLAN filtering: a pin without vlan also lands in the port's default
    VLAN 1 (recorded). The entry in no VLAN is the one the bridge looks up: pinned once, unchanged afterwards; removed
    with one delete (a second delete, for VLAN 1, would fail)."""
    host = Bridge([], bridge_link=PLAIN_BRIDGE, vlans={"pf0": TAP_PLAIN.replace("vnet1", "pf0")})
    entry(host).run()
    assert guest_entries(host.entries) == [(0, "static", ("sticky",)), (1, "static", ("sticky",))]
    first = entry(host, state).run()
    second = entry(host, state).run()
    if state == "present":
        assert first["changed"] is False and first["commands"] == []
    else:
        assert first["commands"] == [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]
        assert guest_entries(host.entries) == []
    assert second["changed"] is False and second["commands"] == []
    assert len(host.writes()) == (1 if state == "present" else 2)


def test_a_relearned_entry_is_reported_not_failed():
    host = Bridge(LEARNED, relearn=True)
    fdb = bridge_fdb.FdbEntry(host, MAC, "pf0", "absent", bridge=BRIDGE, ip=IP)
    result = fdb.run()
    assert result["changed"] and result["entries_after"][0]["flavour"] == "dynamic"
    assert "learned it back" in fdb.warnings[0]


@pytest.mark.parametrize("link", [NO_BRIDGE_PORT, "[]"])
def test_a_port_that_is_no_bridge_port(link):
    host = Bridge(LEARNED, link=link)
    with pytest.raises(LibvirtCollectionError, match=r"pf0 is not a bridge port .* set master: false"):
        bridge_fdb.FdbEntry(host, MAC, "pf0", "absent", bridge=BRIDGE, ip=IP).run()
    assert host.writes() == []


def test_a_missing_port():
    with pytest.raises(CommandError, match=r'Could not read port pf9: .*Device "pf9" does not exist'):
        bridge_fdb.FdbEntry(Bridge(LEARNED), MAC, "pf9", "absent", bridge=BRIDGE, ip=IP).run()


def test_a_failing_bridge_command_keeps_the_partial_result():
    host = Bridge(LEARNED, fail="RTNETLINK answers: Operation not permitted\n")
    with pytest.raises(CommandError) as error:
        bridge_fdb.FdbEntry(host, MAC, "pf0", "absent", bridge=BRIDGE, ip=IP).run()
    assert "Could not change the FDB entry of 52:54:00:6c:00:01 on pf0" in error.value.message
    assert error.value.result["entries_before"][0]["flavour"] == "dynamic"
    assert error.value.result["commands"] == [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]


def test_present_that_does_not_stick_is_an_error():
    class Stubborn(Bridge):
        def write(self, argv):
            return 0, "", ""

    with pytest.raises(LibvirtCollectionError, match=r"pf0 has no static entry for 52:54:00:6c:00:01 afterwards"):
        bridge_fdb.FdbEntry(Stubborn([]), MAC, "pf0", "present", bridge=BRIDGE, ip=IP).run()
    with pytest.raises(LibvirtCollectionError, match=r"pf0 has no static entry for 52:54:00:6c:00:01 in VLAN 10 afterwards"):
        entry(Stubborn([], link=VLAN_PORT, bridge_link=VLAN_BRIDGE), vlan=10).run()


# --- a bridge that filters VLANs ----------------------------------------------------------------------------


def test_the_pin_lands_in_the_vlan_of_the_guests_tap():
    host = vlan_bridge(PF_VLAN_FDB)
    result = entry(host, vlan_from="vnet0").run()
    assert host.commands == [
        [IP, "-d", "-j", "link", "show", "dev", "pf0"],
        [IP, "-d", "-j", "link", "show", "dev", "br0"],  # vlan_filtering 1
        [IP, "-d", "-j", "link", "show", "dev", "vnet0"],  # a port of br0
        [BRIDGE, "-j", "vlan", "show", "dev", "vnet0"],  # PVID 10
        [BRIDGE, "-j", "fdb", "show", "dev", "pf0"],
        [BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "10"],
        [BRIDGE, "-j", "fdb", "show", "dev", "pf0"],
    ]
    assert result["changed"] is True and result["vlan"] == 10 and result["entries_before"] == []
    assert result["entries_after"] == [{"mac": MAC, "flavour": "static", "vlan": 10, "bridge": "br0", "flags": ["sticky"]}]
    assert guest_entries(host.entries) == [(10, "static", ("sticky",))]  # in VLAN 10 only
    second = entry(host, vlan_from="vnet0").run()
    assert second["changed"] is False and second["commands"] == [] and len(host.writes()) == 1


@pytest.mark.parametrize("entries, state, options, vlan, commands", [
    (PF_VLAN_FDB, "present", {"vlan": 10}, 10,
     [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "10"]]),
    (PF_VLAN_FDB, "present", {"vlan_from": "vnet0"}, 10,
     [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "10"]]),
    (PF_VLAN_FDB, "present", {"vlan_from": "pf0"}, 1,  # the PF's own PVID, if that is the guest's VLAN
     [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "1"]]),
    (PINNED_VLAN10, "present", {"vlan_from": "vnet0"}, 10, []),  # recorded after `... vlan 10`: pinned
    (PINNED_EVERY_VLAN, "present", {"vlan": 20}, 20, []),
    (PINNED_VLAN10, "absent", {"vlan_from": "vnet0"}, 10, [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master", "vlan", "10"]]),
    (PINNED_VLAN10, "absent", {"vlan": 20}, 20, []),  # nothing in VLAN 20
    (PINNED_EVERY_VLAN, "absent", {}, None, [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]),  # every VLAN
    (PF_VLAN_FDB, "absent", {}, None, []),
])
def test_runs_per_mac_and_vlan(entries, state, options, vlan, commands):
    host = vlan_bridge(entries)
    result = entry(host, state, **options).run()
    assert result["vlan"] == vlan and result["commands"] == commands and host.writes() == commands
    kept = [e for e in guest_entries(entries) if vlan is not None and e[0] != vlan]  # other VLANs are left alone
    if state == "absent":
        assert guest_entries(host.entries) == kept
    elif vlan is not None:
        assert (vlan, "static", ("sticky",)) in guest_entries(host.entries)
    again = entry(host, state, **options).run()
    assert again["changed"] is False and host.writes() == commands  # idempotent: nothing written the second time


def test_the_old_iproute2_vlan_output_gives_the_same_vlan():
    host = vlan_bridge(PF_VLAN_FDB, vlans={"vnet0": TAP_PVID10_OLD})
    assert entry(host, vlan_from="vnet0").run()["commands"][0][-2:] == ["vlan", "10"]


def test_check_mode_plans_the_vlan_and_writes_nothing():
    host = vlan_bridge(PF_VLAN_FDB)
    result = entry(host, vlan_from="vnet0").run(check_mode=True)
    assert result["changed"] is True and host.writes() == []
    assert result["commands"] == [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky", "vlan", "10"]]
    assert result["entries_after"] == [{"mac": MAC, "flavour": "static", "vlan": 10, "bridge": "br0", "flags": ["sticky"]}]


def test_a_bridge_without_filtering_ignores_vlan_from():
    host = Bridge(LEARNED, bridge_link=PLAIN_BRIDGE, ports=("pf0", "vnet0"), vlans={"vnet0": TAP_PVID10})
    result = entry(host, vlan_from="vnet0").run()
    assert result["vlan"] is None and result["commands"][0][-1] == "sticky"
    assert [argv for argv in host.commands if "vlan" in argv] == []  # the tap's VLANs were not even read


def test_pinned_elsewhere_and_on_port_keep_the_vlan():
    host = vlan_bridge(BRIDGE_PINNED_VLAN10)
    on_tap = entry(host, port="vnet0", vlan_from="vnet0")
    on_tap.port_bridge_or_fail()
    assert on_tap.vlan == 10 and on_tap.pinned_elsewhere() == ["pf0"]  # the recorded `fdb show br br0`: pf0 in VLAN 10
    assert entry(vlan_bridge(BRIDGE_PINNED_VLAN10), port="vnet0", vlan=20).pinned_elsewhere() == []
    back = on_tap.on_port("pf0")
    assert back.wanted_vlan == 10 and back.vlan_from is None


class Domain:
    """A running domain's live XML (the lab guest's: the standby virtio on vnet0, the emulated VF on vnet1)."""

    def __init__(self, xml):
        self.xml = xml
        self.reads = 0

    def name(self):
        return "vm1"

    def XMLDesc(self, _flags=0):  # noqa: N802
        self.reads += 1
        return self.xml


LIVE_XML = ("<domain><name>vm1</name><devices>"
            "<interface type='bridge'><mac address='{0}'/><target dev='vnet1'/><model type='vmxnet3'/>"
            "<alias name='ua-primary0'/></interface>"
            "<interface type='bridge'><mac address='{0}'/><target dev='vnet0'/><model type='virtio'/>"
            "<alias name='ua-standby0'/></interface></devices></domain>").format(MAC)


def test_standby_tap():
    assert bridge_fdb.standby_tap(Domain(LIVE_XML), MAC) == "vnet0"
    with pytest.raises(LibvirtCollectionError, match=r"vm1 has no running virtio interface with MAC 52:54:00:6c:00:02 "
                                                     r"\(its interfaces: alias=ua-primary0 tap=vnet1"):
        bridge_fdb.standby_tap(Domain(LIVE_XML), "52:54:00:6c:00:02")


def test_the_step_modules_take_the_vlan_from_the_guests_standby_tap():
    host = vlan_bridge(PF_VLAN_FDB)
    pin = entry(host)
    assert pin.port_bridge_or_fail(Domain(LIVE_XML)) == "br0" and pin.vlan == 10
    assert pin.run()["commands"][0][-2:] == ["vlan", "10"]
    domain = Domain(LIVE_XML)
    entry(Bridge(LEARNED)).port_bridge_or_fail(domain)
    assert domain.reads == 0  # without VLAN filtering the domain is not read


@pytest.mark.parametrize("host, state, options, message", [
    (vlan_bridge(PF_VLAN_FDB), "present", {},
     r"Bridge br0 filters VLANs \(vlan_filtering 1\), so the entry for 52:54:00:6c:00:01 must be in the VLAN of the "
     r"guest's traffic, and nothing says which. Give vlan \(the VLAN ID\), or vlan_from"),
    (Bridge(LEARNED, bridge_link=PLAIN_BRIDGE), "present", {"vlan": 10},
     r"Bridge br0 does not filter VLANs \(vlan_filtering 0\).* an entry in VLAN 10 would never steer a frame. Omit vlan"),
    (Bridge(LEARNED), "absent", {"vlan": 10}, r"Bridge br0 does not filter VLANs"),
    (vlan_bridge(PF_VLAN_FDB, links={"vnet0": sample("ip_d_link_port_lab.json").replace('"br0"', '"br1"')}), "present",
     {"vlan_from": "vnet0"}, r"vnet0 is not a port of bridge br0 \(its master is br1\).* Give a port of br0 as vlan_from"),
    (vlan_bridge(PF_VLAN_FDB, vlans={"vnet0": '[{"ifname": "vnet0", "vlans": [{"vlan": 10}]}]'}), "present",
     {"vlan_from": "vnet0"}, r"vnet0 has no PVID on bridge br0 \(`/usr/sbin/bridge -j vlan show dev vnet0` shows "
                             r"\[\{'vlan': 10\}\]\).* Give vlan"),
    (Bridge(LEARNED, link=OVS_PORT), "present", {},
     r"pf0 is a port of an Open vSwitch datapath \(master ovs-system\). Open vSwitch is not supported for the FDB steps.*"
     r"nothing was changed.*OpenFlow rules yourself \(ovs-ofctl\), or run without migrate_pf"),
    (Bridge(LEARNED, link=OVS_PORT), "absent", {}, r"Open vSwitch is not supported for the FDB steps"),
    (Bridge(LEARNED), "present", {"vlan_from": "vnet0", "master": False}, r"vlan_from reads a bridge's VLANs, so it needs master: true"),
])
@pytest.mark.parametrize("check_mode", [False, True])
def test_refused_before_anything_changes(host, state, options, message, check_mode):
    host.commands = []
    with pytest.raises(LibvirtCollectionError, match=message):
        entry(host, state, **options).run(check_mode=check_mode)
    assert host.writes() == []
    assert [argv for argv in host.commands if argv[:3] == [BRIDGE, "-j", "fdb"]] == []  # refused before the FDB was read


@pytest.mark.parametrize("vlan", [0, 4095, -1])
def test_a_vlan_id_out_of_range(vlan):
    with pytest.raises(LibvirtCollectionError, match="vlan must be a VLAN ID from 1 to 4094, not {0}".format(vlan)):
        entry(Bridge(LEARNED), vlan=vlan)


def test_the_device_own_fdb_takes_the_vlan_as_given_and_ignores_ovs():
    host = Bridge([], link=OVS_PORT)
    result = entry(host, master=False, vlan=10, sticky=False).run()
    assert result["commands"] == [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "self", "static", "vlan", "10"]]
    assert result["bridge"] is None and result["vlan"] == 10
