# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The live_migrate run: where the domain is, idempotency, check mode, p2p and managed calls, failures, statistics."""

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import FdbEntry
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.plugins.module_utils.migration import live_migrate as live_migration
from ansible_collections.netfailover.standby.plugins.module_utils.migration.live_migrate import LiveMigration
from ansible_collections.netfailover.standby.tests.unit.plugins.module_utils.host.test_bridge_fdb import (
    BRIDGE,
    IP,
    LEARNED,
    MAC,
    OVS_PORT,
    PF_VLAN_FDB,
    Bridge,
    vlan_bridge,
)
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import (
    LAB_COMPLETED,
    FakeConnection,
    FakeDomain,
    domain_xml,
    libvirt,
    libvirt_error,
)

DESTINATION = "qemu+tcp://198.51.100.12/system"
TOPOLOGIES = Path(__file__).parents[1] / "fixtures" / "topologies"
STANDBY_ONLY_UP = parse_sysfs_walk((TOPOLOGIES / "lab_standby_only_up__after_migration_on_hv2.txt").read_text())
ARMED = parse_sysfs_walk((TOPOLOGIES / "lab_armed__standby_link_up.txt").read_text())


def options(**overrides):
    base = {"name": "vm1", "destination_uri": DESTINATION, "mode": "p2p", "migrate_uri": None, "persistent": True,
            "undefine_source": True, "bandwidth": None, "max_downtime": None, "auto_converge": False, "postcopy": False,
            "postcopy_after": None, "destination_xml": None, "destination_devices": None, "timeout": 5.0, "poll_interval": 0.02, "verify_states": [],
            "verify_timeout": 1.0}
    base.update(overrides)
    return base


class Hosts:
    """A source and a destination; a successful migration moves the domain across."""

    def __init__(self, at_source=True, at_destination=False, source_defined=True):
        self.source_domain = FakeDomain(active=at_source)
        self.destination_domain = FakeDomain(active=at_destination)
        self.source = FakeConnection([self.source_domain] if source_defined else [])
        self.destination = FakeConnection([self.destination_domain] if at_destination else [], uri=DESTINATION)
        self.opened = []
        self.source_domain.migrate_result = self.move

    def move(self):
        self.source_domain.active = False
        self.destination_domain.active = True
        self.destination_domain.completed = dict(LAB_COMPLETED)
        self.destination.domains["vm1"] = self.destination_domain
        return 0

    def opener(self, uri, read_only):
        self.opened.append((uri, read_only))
        return self.destination

    def run(self, opts, check_mode=False):
        return LiveMigration(self.source, opts, check_mode=check_mode, opener=self.opener).run()


def migrate_calls(domain):
    return [c for c in domain.calls if c[0] in ("migrateToURI3", "migrate3")]


def test_p2p_migration():
    hosts = Hosts()
    result = hosts.run(options(migrate_uri="tcp://198.51.100.12", bandwidth=100, destination_xml="<domain/>"))
    assert result["changed"] is True and result["location"] == "destination"
    assert migrate_calls(hosts.source_domain) == [("migrateToURI3", DESTINATION, {
        "migrate_uri": "tcp://198.51.100.12", "bandwidth": 100, "destination_xml": "<domain/>"}, 27)]
    assert result["job"]["downtime_ms"] == 52 and result["job_read_from"] == "destination"
    assert result["flags"] == ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST", "VIR_MIGRATE_UNDEFINE_SOURCE"]
    assert hosts.opened == [(DESTINATION, True)]  # p2p: the module only reads the destination
    assert hosts.destination.closed


def test_managed_migration_opens_the_destination_read_write():
    hosts = Hosts()
    result = hosts.run(options(mode="managed"))
    call = migrate_calls(hosts.source_domain)[0]
    assert call[0] == "migrate3" and call[1] is hosts.destination and call[3] == 25
    assert hosts.opened == [(DESTINATION, True), (DESTINATION, False)]
    assert result["changed"] and result["job"]["time_elapsed_ms"] == 4426


def test_max_downtime_is_set_before_the_migration():
    hosts = Hosts()
    result = hosts.run(options(max_downtime=100))
    names = [c[0] for c in hosts.source_domain.calls if c[0] in ("migrateSetMaxDowntime", "migrateToURI3")]
    assert names == ["migrateSetMaxDowntime", "migrateToURI3"]
    assert ("migrateSetMaxDowntime", 100, 0) in hosts.source_domain.calls
    assert result["notes"][0] == "maximum downtime set to 100 ms"


def test_already_at_the_destination_changes_nothing():
    hosts = Hosts(at_source=False, at_destination=True, source_defined=False)
    result = hosts.run(options())
    assert result["changed"] is False and result["location"] == "destination" and result["job"] is None
    assert not migrate_calls(hosts.source_domain)


def test_check_mode_checks_and_does_nothing():
    hosts = Hosts()
    result = hosts.run(options(max_downtime=100), check_mode=True)
    assert result["changed"] is True and result["location"] == "source"
    assert [c[0] for c in hosts.source_domain.calls] == []  # no downtime, no migration
    assert hosts.opened == [(DESTINATION, True)]


@pytest.mark.parametrize("hosts_kwargs, opts, message", [
    ({"at_source": True, "at_destination": True}, {}, r"active both at qemu:///system and at qemu\+tcp://.* Nothing was done"),
    ({"source_defined": False}, {}, r"runs neither at the source qemu:///system nor at the destination"),
    ({"at_source": False}, {}, r"defined at qemu:///system but not running: a live migration needs a running domain"),
    ({}, {"postcopy_after": 3.0}, r"postcopy_after needs postcopy: true"),
])
def test_refusals(hosts_kwargs, opts, message):
    hosts = Hosts(**hosts_kwargs)
    with pytest.raises(LibvirtCollectionError, match=message):
        hosts.run(options(**opts))
    assert not migrate_calls(hosts.source_domain)


def test_unreachable_destination_is_reported_by_the_opener():
    hosts = Hosts()

    def opener(uri, read_only):
        raise LibvirtCollectionError("Cannot reach destination libvirt at {0}: No route to host; check ...".format(uri))

    with pytest.raises(LibvirtCollectionError, match=r"^Cannot reach destination libvirt at qemu\+tcp://198.51.100.12/system"):
        LiveMigration(hosts.source, options(), opener=opener).run()
    assert hosts.source_domain.active and not migrate_calls(hosts.source_domain)


def test_a_failed_migration_says_the_domain_is_still_on_the_source():
    hosts = Hosts()

    def refuse():
        raise libvirt_error("operation failed: job 'migration out' failed: Unable to write to socket: Connection reset by peer",
                            libvirt.VIR_ERR_OPERATION_FAILED)

    hosts.source_domain.migrate_result = refuse
    with pytest.raises(LibvirtCollectionError) as error:
        hosts.run(options())
    assert error.value.message == (
        "Could not migrate domain vm1 to qemu+tcp://198.51.100.12/system: operation failed: job 'migration out' failed: "
        "Unable to write to socket: Connection reset by peer. The domain still runs on the source (qemu:///system).")
    assert error.value.result["location"] == "source" and error.value.result["changed"] is False


def test_a_timeout_aborts_and_says_so():
    hosts = Hosts()
    domain = hosts.source_domain
    released = []

    def slow():
        while not released:
            if any(c[0] == "abortJob" for c in domain.calls):
                raise libvirt_error("operation aborted: migration out: canceled by client", libvirt.VIR_ERR_OPERATION_ABORTED)
            __import__("time").sleep(0.01)
        return 0

    domain.migrate_result = slow
    with pytest.raises(LibvirtCollectionError) as error:
        hosts.run(options(timeout=0.2))
    released.append(1)
    assert error.value.message == (
        "The migration of vm1 to qemu+tcp://198.51.100.12/system did not finish within 0.2 s; the module aborted it "
        "(virDomainAbortJob). The domain still runs on the source (qemu:///system).")
    result = error.value.result
    assert result["location"] == "source" and "aborted the job after 0.2 s" in result["notes"]


def test_a_timeout_whose_abort_fails_says_so(monkeypatch):
    hosts = Hosts()
    domain = hosts.source_domain
    released = []

    def slow():
        while not released:
            time.sleep(0.01)
        return 0

    def refuse_abort():
        raise libvirt_error("Timed out during operation: cannot acquire state change lock", libvirt.VIR_ERR_OPERATION_TIMEOUT)

    domain.migrate_result = slow
    domain.abortJob = refuse_abort
    job_class = live_migration.mg.MigrationJob
    monkeypatch.setattr(live_migration.mg, "MigrationJob",
                        lambda *args, **kwargs: job_class(*args, **dict(kwargs, abort_grace=0.1)))
    try:
        with pytest.raises(LibvirtCollectionError) as error:
            hosts.run(options(timeout=0.2))
    finally:
        released.append(1)
    message = error.value.message
    assert message.startswith("The migration of vm1 to qemu+tcp://198.51.100.12/system did not finish within 0.2 s; the "
                              "module tried to abort it, but the abort failed (Could not abort the migration job of domain vm1")
    assert "the job may still be running; watch `virsh domjobinfo vm1`" in message and "the module aborted it" not in message


def test_after_post_copy_libvirt_keeps_no_statistics():
    hosts = Hosts()

    def move_without_stats():
        hosts.move()
        hosts.destination_domain.completed = None
        return 0

    hosts.source_domain.migrate_result = move_without_stats
    result = hosts.run(options())
    assert result["job"] is None and result["job_read_from"] is None
    assert result["notes"][-1].startswith("libvirt kept no statistics of the completed job")


def test_statistics_from_the_source_when_the_destination_has_none():
    hosts = Hosts()

    def move_keep_source():
        hosts.move()
        hosts.destination_domain.completed = None
        hosts.source_domain.completed = dict(LAB_COMPLETED, downtime=61)
        return 0

    hosts.source_domain.migrate_result = move_keep_source
    result = hosts.run(options(undefine_source=False))
    assert result["job"]["downtime_ms"] == 61 and result["job_read_from"] == "source"


class GuestOn:
    """A guest reader that says on which domain object it was read (the destination's, after the move)."""

    def __init__(self, topology):
        self.topology = topology
        self.read_from = []

    def factory(self, domain):
        def read():
            self.read_from.append(domain)
            return self.topology
        return read


def test_verify_states_reads_the_guest_on_the_destination_after_the_move():
    hosts = Hosts()
    guest = GuestOn(STANDBY_ONLY_UP)
    result = LiveMigration(hosts.source, options(verify_states=["standby_only_up"], verify_timeout=1.0), opener=hosts.opener,
                           reader_factory=guest.factory).run()
    assert guest.read_from == [hosts.destination_domain]
    assert result["guest"]["state"] == "standby_only_up" and result["changed"] is True
    assert hosts.opened == [(DESTINATION, True), (DESTINATION, False)]  # guest-exec needs read-write


def test_a_guest_that_did_not_arrive_as_expected_fails_and_says_the_domain_moved():
    hosts = Hosts()
    with pytest.raises(LibvirtCollectionError, match="^After the migration to qemu.*, domain vm1 did not reach armed") as caught:
        LiveMigration(hosts.source, options(verify_states=["armed"], verify_timeout=0.0), opener=hosts.opener,
                      reader_factory=GuestOn(STANDBY_ONLY_UP).factory).run()
    assert caught.value.result["location"] == "destination" and caught.value.result["changed"] is True
    assert caught.value.result["guest"]["state"] == "standby_only_up"


def test_without_verify_states_the_guest_is_not_read():
    hosts = Hosts()
    result = LiveMigration(hosts.source, options(), opener=hosts.opener,
                           reader_factory=lambda _domain: pytest.fail("the guest must not be read")).run()
    assert result["guest"] is None


class Releasing:
    """A guest whose VF (eth2 in the lab's topologies) is there for the first name checks, then gone (QEMU's failover
    unplug during the migration)."""

    def __init__(self, held_checks):
        self.held_checks = held_checks
        self.checks = 0

    def factory(self, _domain):
        return lambda: ARMED

    def lister(self, _domain):
        self.checks += 1
        return {"lo", "eth0", "eth1", "eth2"} if self.checks <= self.held_checks else {"lo", "eth0", "eth1"}


def teaming_run(hosts, guest, entry, **overrides):
    return LiveMigration(hosts.source, options(**overrides), opener=hosts.opener, reader_factory=guest.factory, fdb=entry,
                         netdev_lister=guest.lister).run()


def slow_move(hosts, seconds):
    def move():
        time.sleep(seconds)
        return hosts.move()
    return move


def test_teaming_switches_the_fdb_entry_when_the_guest_releases_the_vf_during_the_migration():
    hosts = Hosts()
    hosts.source_domain.migrate_result = slow_move(hosts, 1.0)
    guest = Releasing(2)
    bridge = Bridge(LEARNED)
    entry = FdbEntry(bridge, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    result = teaming_run(hosts, guest, entry, poll_interval=0.5)
    assert result["fdb"]["changed"] is True and result["released_seconds"] < 1.0
    assert [argv[1:3] for argv in bridge.commands].count(["fdb", "replace"]) == 1  # once, not at every poll
    assert guest.checks == 3  # checked at short polls (not every 0.5 s) until the VF was gone, then no more
    assert result["release_watch"]["checks"] == 3 and result["release_watch"]["primary"] == "eth2"
    assert result["location"] == "destination"


def test_at_the_none_level_teaming_switches_the_fdb_entry_as_the_migration_starts_without_reading_the_guest():
    hosts = Hosts()
    hosts.source_domain.migrate_result = slow_move(hosts, 0.3)
    bridge = Bridge(LEARNED)
    entry = FdbEntry(bridge, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    never = NeverRead()
    result = LiveMigration(hosts.source, options(verify_level="none"), opener=hosts.opener, reader_factory=never.factory,
                           fdb=entry, netdev_lister=never.lister).run()
    assert result["fdb"]["changed"] is True and result["released_seconds"] is not None
    assert result["release_watch"]["checks"] == 0 and result["release_watch"]["primary"] is None


class NeverRead:
    def factory(self, _domain):
        return lambda: pytest.fail("the guest must not be read")

    def lister(self, _domain):
        pytest.fail("the guest must not be listed")


def test_a_guest_that_never_released_the_vf_is_noted_not_failed():
    hosts = Hosts()
    hosts.source_domain.migrate_result = slow_move(hosts, 0.3)
    bridge = Bridge(LEARNED)
    entry = FdbEntry(bridge, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    result = teaming_run(hosts, Releasing(1000), entry)
    assert result["fdb"] is None and result["changed"] is True and result["release_watch"]["failed_checks"] == 0
    assert any(note.startswith("the FDB entry was not switched") and "primary eth2" in note for note in result["notes"])


def test_a_failing_fdb_switch_never_stops_the_migration():
    hosts = Hosts()
    hosts.source_domain.migrate_result = slow_move(hosts, 0.5)
    bridge = Bridge(LEARNED, fail="RTNETLINK answers: Operation not permitted")
    entry = FdbEntry(bridge, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    result = teaming_run(hosts, Releasing(0), entry)
    assert result["location"] == "destination" and result["fdb"]["failed"] is True
    assert "Operation not permitted" in result["fdb"]["msg"]


def test_a_wrong_fdb_port_fails_before_the_migration():
    hosts = Hosts()
    bridge = Bridge(LEARNED, link="[]")
    entry = FdbEntry(bridge, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    with pytest.raises(LibvirtCollectionError, match="pf0 is not a bridge port"):
        LiveMigration(hosts.source, options(), opener=hosts.opener, fdb=entry).run()
    assert not migrate_calls(hosts.source_domain)


PINNED_ON_PF = [{"mac": MAC, "ifname": "pf0", "flags": ["sticky"], "master": "br0", "state": "static"}]


class Returning:
    """The guest lets go of its VF (eth2) during the migration; after the migration failed, QEMU plugs the VF back on
    the source and it is there again after ``gone_checks`` more checks (never with None)."""

    def __init__(self, gone_checks):
        self.names = [{"lo", "eth0", "eth1", "eth2"}] + [{"lo", "eth0", "eth1"}] * (1 + (gone_checks or 10 ** 6))
        self.checks = 0

    def factory(self, _domain):
        return lambda: ARMED  # the first read names the VF

    def lister(self, _domain):
        self.checks += 1
        return self.names.pop(0) if self.names else {"lo", "eth0", "eth1", "eth2"}


def failing_after(seconds):
    def fail():
        time.sleep(seconds)
        raise libvirt_error("operation aborted: job 'migration out' canceled by client", libvirt.VIR_ERR_OPERATION_ABORTED)
    return fail


def test_a_failed_teaming_migration_moves_the_entry_back_once_the_guest_has_its_vf_again():
    hosts = Hosts()
    hosts.source_domain.migrate_result = failing_after(0.3)
    bridge = Bridge(PINNED_ON_PF, ports=("pf0", "vnet0"))
    entry = FdbEntry(bridge, MAC, "vnet0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    with pytest.raises(LibvirtCollectionError, match="canceled by client. The domain still runs on the source") as caught:
        teaming_run(hosts, Returning(gone_checks=3), entry)
    result = caught.value.result
    assert result["location"] == "source" and result["fdb"]["port"] == "vnet0"  # switched when the VF went
    assert result["fdb_restored"]["changed"] is True and result["fdb_restored"]["port"] == "pf0"  # and back
    assert [(e["ifname"], e["state"], e["flags"]) for e in bridge.entries if e["mac"] == MAC] == [("pf0", "static", ["sticky"])]


def test_a_vf_that_does_not_come_back_leaves_the_entry_on_the_tap(monkeypatch):
    monkeypatch.setattr(live_migration, "RESTORE_WAIT_SECONDS", 0.3)
    hosts = Hosts()
    hosts.source_domain.migrate_result = failing_after(0.3)
    bridge = Bridge(PINNED_ON_PF, ports=("pf0", "vnet0"))
    entry = FdbEntry(bridge, MAC, "vnet0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    with pytest.raises(LibvirtCollectionError) as caught:
        teaming_run(hosts, Returning(gone_checks=None), entry)
    result = caught.value.result
    assert result["fdb_restored"] is None
    assert any(note.startswith("the FDB entry stays on vnet0, not back on pf0: the guest showed no VF again within 0.3 s")
               for note in result["notes"])
    assert [e["ifname"] for e in bridge.entries if e["mac"] == MAC] == ["vnet0"]  # where the guest still takes frames


def test_the_entry_moves_back_while_libvirt_still_cleans_up_the_failed_migration(monkeypatch):
    monkeypatch.setattr(live_migration, "RESTORE_WAIT_SECONDS", 0.0)  # no waiting after the call: only the polls can
    monkeypatch.setattr(live_migration, "RETURN_CHECK_SECONDS", 0.1)
    hosts = Hosts()
    # the job runs for about 0.2 s, then libvirt reports it failed and cleans up until the call returns at 1 s; QEMU
    # has plugged the VF back meanwhile
    hosts.source_domain.jobs = [{"type": libvirt.VIR_DOMAIN_JOB_UNBOUNDED}] * 10 + [{"type": libvirt.VIR_DOMAIN_JOB_FAILED}]
    hosts.source_domain.migrate_result = failing_after(1.0)
    bridge = Bridge(PINNED_ON_PF, ports=("pf0", "vnet0"))
    entry = FdbEntry(bridge, MAC, "vnet0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    guest = Returning(gone_checks=2)
    with pytest.raises(LibvirtCollectionError) as caught:
        teaming_run(hosts, guest, entry)
    result = caught.value.result
    assert result["fdb_restored"]["port"] == "pf0" and not any("stays on" in note for note in result["notes"])


def test_a_healthy_migration_does_not_ask_the_guest_after_the_release(monkeypatch):
    monkeypatch.setattr(live_migration, "RETURN_CHECK_SECONDS", 0.0)
    hosts = Hosts()
    hosts.source_domain.jobs = [{"type": libvirt.VIR_DOMAIN_JOB_UNBOUNDED}]
    hosts.source_domain.migrate_result = slow_move(hosts, 0.5)
    bridge = Bridge(PINNED_ON_PF, ports=("pf0", "vnet0"))
    entry = FdbEntry(bridge, MAC, "vnet0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    guest = Returning(gone_checks=None)
    result = teaming_run(hosts, guest, entry)
    assert result["location"] == "destination" and result["fdb"]["port"] == "vnet0" and result["fdb_restored"] is None
    assert guest.checks == 2  # the VF there, then gone: nothing more while the job runs well


# --- destination_devices: the destination's own VF in both of its definitions -----------------------------------------

DESTINATION_VF = """<interface type='hostdev' managed='yes'><mac address='52:54:00:6c:00:01'/>
  <source><address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x5'/></source>
  <teaming type='transient' persistent='ua-standby0'/><alias name='ua-primary0'/></interface>"""
GRAPHICS = "<graphics type='vnc' port='-1' passwd='s3cret'/>"


def vf_address_of(xml_text):
    root = ET.fromstring(xml_text)
    interface = [i for i in root.iter("interface") if i.find("alias").get("name") == "ua-primary0"]
    return interface[0].find("source/address").get("function") if interface and interface[0].find("source/address") is not None else None


@pytest.mark.parametrize("live_has_vf, persistent, replaced", [
    (True, True, {"live": ["ua-primary0"], "persistent": ["ua-primary0"]}),  # teaming: QEMU unplugs and libvirt re-plugs this VF
    (False, True, {"live": [], "persistent": ["ua-primary0"]}),  # manual: the VF was unplugged; the next cold boot takes it
    (True, False, {"live": ["ua-primary0"], "persistent": []}),
])
def test_destination_devices_replace_the_vf_in_the_definitions_read_securely(live_has_vf, persistent, replaced):
    hosts = Hosts()
    domain = hosts.source_domain
    domain.persistent = domain_xml(extra=GRAPHICS)
    domain.live = domain_xml(primary=live_has_vf, extra=GRAPHICS)
    result = hosts.run(options(persistent=persistent, destination_devices=[{"alias": "ua-primary0", "xml": DESTINATION_VF}]))
    assert result["destination_devices"] == replaced
    params = migrate_calls(domain)[0][2]
    reads = [c[1] for c in domain.calls if c[0] == "XMLDesc"]
    secure_migratable = libvirt.VIR_DOMAIN_XML_SECURE | libvirt.VIR_DOMAIN_XML_MIGRATABLE
    assert secure_migratable in reads and (not persistent or secure_migratable | libvirt.VIR_DOMAIN_XML_INACTIVE in reads)
    assert sorted(params) == sorted(["destination_xml"] + (["persistent_xml"] if persistent else []))
    assert vf_address_of(params["destination_xml"]) == ("0x5" if live_has_vf else None)
    assert "passwd=\"s3cret\"" in params["destination_xml"]
    if persistent:
        assert vf_address_of(params["persistent_xml"]) == "0x5" and "passwd=\"s3cret\"" in params["persistent_xml"]
    assert domain.persistent == domain_xml(extra=GRAPHICS)  # the source's own definition is left as it was


def test_destination_devices_check_mode_plans_and_moves_nothing():
    hosts = Hosts()
    result = hosts.run(options(destination_devices=[{"alias": "ua-primary0", "xml": DESTINATION_VF}]), check_mode=True)
    assert result["changed"] and result["location"] == "source"
    assert result["destination_devices"] == {"live": ["ua-primary0"], "persistent": ["ua-primary0"]}
    assert migrate_calls(hosts.source_domain) == []


def test_destination_devices_with_an_unknown_alias_change_nothing():
    hosts = Hosts()
    with pytest.raises(LibvirtCollectionError, match="has no device with alias ua-primary7, neither running nor in its persistent"):
        hosts.run(options(destination_devices=[{"alias": "ua-primary7", "xml": DESTINATION_VF}]))
    assert migrate_calls(hosts.source_domain) == [] and hosts.source_domain.active


def test_teaming_switches_the_fdb_entry_in_the_vlan_of_the_guests_standby_tap():
    hosts = Hosts()
    hosts.source_domain.migrate_result = slow_move(hosts, 1.0)
    bridge = vlan_bridge(PF_VLAN_FDB)
    entry = FdbEntry(bridge, MAC, "vnet0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    result = teaming_run(hosts, Releasing(2), entry, poll_interval=0.5)
    assert result["fdb"]["vlan"] == 10
    assert bridge.writes() == [[BRIDGE, "fdb", "replace", MAC, "dev", "vnet0", "master", "static", "sticky", "vlan", "10"]]


def test_an_open_vswitch_port_fails_before_the_migration():
    hosts = Hosts()
    bridge = Bridge(LEARNED, link=OVS_PORT)
    entry = FdbEntry(bridge, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    with pytest.raises(LibvirtCollectionError, match="Open vSwitch is not supported for the FDB steps"):
        LiveMigration(hosts.source, options(), opener=hosts.opener, fdb=entry).run()
    assert not migrate_calls(hosts.source_domain) and bridge.writes() == []
