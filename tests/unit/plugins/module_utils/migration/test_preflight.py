# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_preflight's run: locate, pairs and VFs, the guest's readiness, the destination, the PF port: reads only."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.migration.preflight import preflight
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import MAC, FakeConnection, FakeDomain, domain_xml

TOPOLOGIES = Path(__file__).parents[1] / "fixtures" / "topologies"
STEADY = parse_sysfs_walk((TOPOLOGIES / "lab_steady__tcg_guest_on_hv1.txt").read_text())
STANDBY_ONLY_UP = parse_sysfs_walk((TOPOLOGIES / "lab_standby_only_up__after_migration_on_hv2.txt").read_text())
PARAMS = {"name": "vm1", "destination_uri": "qemu+tcp://198.51.100.12/system", "verify_timeout": 0.0}


class Hosts:
    def __init__(self, here=True, there=False, others=()):
        self.source = FakeConnection(([FakeDomain("vm1", live=domain_xml())] if here else [])
                                     + [FakeDomain(name, live=domain_xml(name)) for name in others])
        self.destination = FakeConnection([FakeDomain("vm1", live=domain_xml())] if there else [], uri=PARAMS["destination_uri"])
        self.opened = []

    def opener(self, uri, read_only):
        self.opened.append((uri, read_only))
        return self.destination


class FakeEntry:
    def __init__(self, mac):
        self.mac, self.checked = mac, None

    def port_bridge_or_fail(self, guest):
        self.checked = guest.name()

    def run(self, check_mode=False):
        return {"changed": False, "mac": self.mac, "check_mode": check_mode}


def run(hosts, topology=None, entries=None):
    def fdb_entry_for(mac):
        entries.append(FakeEntry(mac))
        return entries[-1]
    return preflight(hosts.source, PARAMS, opener=hosts.opener, reader_factory=lambda _domain: lambda: topology or STEADY,
                     fdb_entry_for=fdb_entry_for if entries is not None else None, sysfs_root="/nonexistent")


@pytest.mark.parametrize("here, there, location", [(True, False, "source"), (False, True, "destination"), (False, False, "neither")])
def test_where_the_domain_runs(here, there, location):
    hosts = Hosts(here, there, others=["web1"])
    result = run(hosts)
    assert result["location"] == location and result["changed"] is False
    assert hosts.opened == [(PARAMS["destination_uri"], True)]  # the destination is asked read-only, from the source
    assert result["running_on_source"] == (["web1"] if location == "neither" else None)


def test_a_domain_active_on_both_is_refused():
    with pytest.raises(LibvirtCollectionError, match="active both at .* a migration may be in progress"):
        run(Hosts(True, True))


def test_pairs_vfs_guest_and_the_pf_port_in_one_call():
    entries = []
    result = run(Hosts(), entries=entries)
    assert [(pair["mac"], pair["standby"]["alias"], pair["primary"]["alias"]) for pair in result["pairs"]] == [(MAC, "ua-standby0", "ua-primary0")]
    assert result["vfs"] == []  # the lab's emulated VF is no SR-IOV VF
    assert result["guest"]["state"] == "steady"
    assert [(entry.mac, entry.checked) for entry in entries] == [(MAC, "vm1")] and result["fdb"]["check_mode"] is True


def test_a_guest_not_ready_for_the_dance_is_refused_with_the_diagnostic():
    with pytest.raises(LibvirtCollectionError, match="expected steady or armed but the guest .* is standby_only_up"):
        run(Hosts(), topology=STANDBY_ONLY_UP)
