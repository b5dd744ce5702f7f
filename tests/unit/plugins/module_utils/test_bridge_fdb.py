# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bridge FDB entries: parsing ``bridge -j fdb show``, the plan, the exact argv, idempotency."""

import json
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils import bridge_fdb
from ansible_collections.netfailover.standby.plugins.module_utils.host_commands import CommandError
from ansible_collections.netfailover.standby.plugins.module_utils.libvirt_connection import LibvirtCollectionError

SAMPLES = Path(__file__).parent / "fixtures" / "iproute2"
LEARNED = json.loads((SAMPLES / "bridge_fdb_pf0_learned.json").read_text())
VLANS = json.loads((SAMPLES / "bridge_fdb_vlan_filtering.json").read_text())
PF_LINK = (SAMPLES / "ip_link_veth_no_vfs.json").read_text()
MAC = "52:54:00:6c:00:01"
BRIDGE = "/usr/sbin/bridge"
IP = "/usr/sbin/ip"


class Bridge:
    """run_command for a bridge port: ``bridge -j fdb show`` from a list of entries, del/replace applied to it."""

    def __init__(self, entries, link=PF_LINK, relearn=False, fail=None, ports=("pf0",)):
        self.entries = [dict(e) for e in entries]
        self.link = link
        self.relearn = relearn
        self.fail = fail
        self.ports = ports
        self.commands = []

    def __call__(self, argv):
        self.commands.append(argv)
        if argv[0] == IP:
            return (0, self.link, "") if argv[-1] in self.ports else (1, "", 'Device "{0}" does not exist.\n'.format(argv[-1]))
        if argv[1:4] == ["-j", "fdb", "show"]:
            if argv[4] == "br":  # the whole bridge: every entry names its port
                return 0, json.dumps(self.entries), ""
            return 0, json.dumps([e for e in self.entries if e.get("ifname", argv[5]) == argv[5]]), ""
        if self.fail:
            return 255, "", self.fail
        mac, table = argv[3], argv[6]
        vlan = int(argv[8]) if "vlan" in argv else None
        if argv[2] == "del":
            self.entries = [e for e in self.entries if not (e["mac"] == mac and ("master" in e) == (table == "master")
                                                            and e.get("vlan") == vlan)]
            if self.relearn:
                self.entries.append({"mac": mac, "flags": [], "master": "br0", "state": ""})
        elif argv[2] == "replace":
            self.entries = [e for e in self.entries if e["mac"] != mac or "master" not in e]
            state = {"static": "static", "permanent": "permanent", "dynamic": ""}[argv[7]]
            self.entries.append({"mac": mac, "ifname": argv[5], "flags": ["sticky"] if "sticky" in argv else [],
                                 "master": "br0", "state": state})
        return 0, "", ""


@pytest.mark.parametrize("entries, master, expected", [
    (LEARNED, True, [{"mac": MAC, "flags": [], "master": "br0", "state": ""}]),
    (LEARNED, False, []),  # the port's own FDB has no entry for the guest
    (VLANS, True, [e for e in VLANS if e["mac"] == MAC and "master" in e]),
    (VLANS, False, [{"mac": MAC, "flags": ["self"], "state": "permanent"}]),
    ([], True, []),
])
def test_matching_entries(entries, master, expected):
    assert bridge_fdb.matching_entries(entries, MAC, master) == expected


@pytest.mark.parametrize("entry, flavour", [
    ({"state": ""}, "dynamic"), ({}, "dynamic"), ({"state": "static"}, "static"), ({"state": "permanent"}, "permanent"),
])
def test_flavour_of(entry, flavour):
    assert bridge_fdb.flavour_of(entry) == flavour


@pytest.mark.parametrize("entries, state, master, flavour, commands", [
    # the seed's `bridge fdb del $MAC dev $PF master`
    (bridge_fdb.matching_entries(LEARNED, MAC, True), "absent", True, "static",
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master"]]),
    ([], "absent", True, "static", []),
    (bridge_fdb.matching_entries(VLANS, MAC, True), "absent", True, "static",  # one delete per VLAN
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master", "vlan", "10"],
      [BRIDGE, "fdb", "del", MAC, "dev", "pf0", "master", "vlan", "20"]]),
    (bridge_fdb.matching_entries(VLANS, MAC, False), "absent", False, "static",
     [[BRIDGE, "fdb", "del", MAC, "dev", "pf0", "self"]]),
    ([], "present", True, "static", [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
    (bridge_fdb.matching_entries(LEARNED, MAC, True), "present", True, "static",  # dynamic -> static
     [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
    (bridge_fdb.matching_entries(LEARNED, MAC, True), "present", True, "dynamic", []),
    ([{"mac": MAC, "flags": [], "master": "br0", "state": "static"}], "present", True, "static", []),
    ([], "present", True, "permanent", [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "permanent"]]),
])
def test_plan(entries, state, master, flavour, commands):
    assert bridge_fdb.plan(entries, MAC, "pf0", state, master, flavour, BRIDGE) == commands


STATIC = {"mac": MAC, "flags": [], "master": "br0", "state": "static"}
STICKY = {"mac": MAC, "flags": ["sticky"], "master": "br0", "state": "static"}


@pytest.mark.parametrize("entries, sticky, commands", [
    # a sticky entry is not moved by learning: the pin that holds while the standby link comes up
    ([], True, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky"]]),
    ([STATIC], True, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static", "sticky"]]),
    ([STICKY], True, []),
    ([STICKY], False, [[BRIDGE, "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
    ([STATIC], False, []),
])
def test_plan_sticky(entries, sticky, commands):
    assert bridge_fdb.plan(entries, MAC, "pf0", "present", True, "static", BRIDGE, sticky) == commands


def test_show_argv():
    assert bridge_fdb.show_argv("pf0", BRIDGE) == [BRIDGE, "-j", "fdb", "show", "dev", "pf0"]


@pytest.mark.parametrize("entries, state, flavour, check_mode, changed, after", [
    (LEARNED, "absent", "static", False, True, []),
    (LEARNED, "absent", "static", True, True, []),
    ([e for e in LEARNED if e["mac"] != MAC], "absent", "static", False, False, []),  # nothing to delete: ok
    ([e for e in LEARNED if e["mac"] != MAC], "present", "static", False, True, ["static"]),
    (LEARNED, "present", "dynamic", False, False, ["dynamic"]),
])
def test_fdb_entry_run(entries, state, flavour, check_mode, changed, after):
    host = Bridge(entries)
    entry = bridge_fdb.FdbEntry(host, MAC.upper(), "pf0", state, flavour=flavour, bridge=BRIDGE, ip=IP)
    result = entry.run(check_mode=check_mode)
    assert result["changed"] is changed
    assert result["mac"] == MAC and result["bridge"] == "br0"
    assert [e["flavour"] for e in result["entries_after"]] == after
    changes = [argv for argv in host.commands if argv[0] == BRIDGE and "show" not in argv]
    assert changes == ([] if check_mode else result["commands"])
    assert entry.warnings == []


def test_a_relearned_entry_is_reported_not_failed():
    host = Bridge(LEARNED, relearn=True)
    entry = bridge_fdb.FdbEntry(host, MAC, "pf0", "absent", bridge=BRIDGE, ip=IP)
    result = entry.run()
    assert result["changed"] and result["entries_after"][0]["flavour"] == "dynamic"
    assert "learned it back" in entry.warnings[0]


def test_a_port_that_is_no_bridge_port():
    link = json.dumps([dict(json.loads(PF_LINK)[0], master=None)])
    with pytest.raises(LibvirtCollectionError, match=r"pf0 is not a bridge port .* set master: false"):
        bridge_fdb.FdbEntry(Bridge(LEARNED, link=link), MAC, "pf0", "absent", bridge=BRIDGE, ip=IP).run()


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
        def __call__(self, argv):
            if argv[0] == BRIDGE and argv[2] == "replace":
                self.commands.append(argv)
                return 0, "", ""
            return super().__call__(argv)

    with pytest.raises(LibvirtCollectionError, match=r"pf0 has no static entry for 52:54:00:6c:00:01 afterwards"):
        bridge_fdb.FdbEntry(Stubborn([]), MAC, "pf0", "present", bridge=BRIDGE, ip=IP).run()
