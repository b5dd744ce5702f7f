# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attach and detach of the primary: live and persistent separately, the waits, the timings, the errors."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import events as de
from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import FdbEntry
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.plugins.module_utils.migration.primary_device import PrimaryDevice
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import GuestReading
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
from ansible_collections.netfailover.standby.tests.unit.plugins import guest_samples
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import (
    PRIMARY_XML,
    FakeConnection,
    FakeDomain,
    domain_xml,
    libvirt,
    libvirt_error,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "topologies"
LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
WITH = domain_xml(primary=True)
WITHOUT = domain_xml(primary=False)


def options(**overrides):
    base = {"alias": "ua-primary0", "state": "present", "xml": PRIMARY_XML, "live": True, "persistent": False,
            "timeout": 2.0, "wait_for_guest": True, "expect_states": None, "verify_states": [], "verify_timeout": 1.0}
    base.update(overrides)
    return base


class Guest:
    """A guest reader: the states it reports, one per read (the last repeats)."""

    def __init__(self, *states):
        self.states = list(states)
        self.reads = 0

    def factory(self, _domain):
        return self.read

    def read(self):
        self.reads += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return TOPOLOGIES[state]


def _topology(fixture):
    return parse_sysfs_walk((FIXTURES / fixture).read_text())


# Read from the lab guest (fixtures of test_guest_topology): the guest's real sysfs walk in each state.
TOPOLOGIES = {"standby_only_up": _topology("lab_standby_only_up__primary_detached.txt"),
              "armed": _topology("lab_armed__after_reattach.txt"),
              "steady": _topology("lab_steady__tcg_guest_on_hv1.txt"),
              # recorded with another MAC: the lab guest's here, since the module checks the pair of its device's MAC
              "primary_no_carrier": parse_sysfs_walk((FIXTURES / "primary_no_carrier__eth_names.txt").read_text().replace(
                  "52:54:00:00:12:53", MAC))}


def run(domain, opts, guest=None, check_mode=False, connection=None, ping=None):
    guest = guest or Guest("armed")
    device = PrimaryDevice(connection or FakeConnection([domain]), domain, opts, check_mode=check_mode,
                           reader_factory=guest.factory, agent_ping=ping or (lambda _domain: True))
    return device, device.run()


def calls(domain, method):
    return [c[1:] for c in domain.calls if c[0] == method]


# --- what changes, where ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("live, persistent, state, opts, changed, attach, detach", [
    (WITHOUT, WITHOUT, "present", {}, True, [LIVE], []),
    (WITHOUT, WITHOUT, "present", {"persistent": True}, True, [LIVE, CONFIG], []),  # two calls, never LIVE|CONFIG
    (WITHOUT, WITH, "present", {"persistent": True}, True, [LIVE], []),  # "non unique alias" avoided
    (WITH, WITHOUT, "present", {"persistent": True}, True, [CONFIG], []),
    (WITH, WITH, "present", {"persistent": True}, False, [], []),
    (WITH, WITH, "present", {"xml": None}, False, [], []),  # no xml needed when nothing is attached
    (WITHOUT, WITHOUT, "present", {"live": False, "persistent": True}, True, [CONFIG], []),
    (WITH, WITH, "absent", {}, True, [], [LIVE]),
    (WITH, WITH, "absent", {"persistent": True}, True, [], [LIVE, CONFIG]),
    (WITHOUT, WITH, "absent", {"persistent": True}, True, [], [CONFIG]),
    (WITHOUT, WITHOUT, "absent", {"persistent": True}, False, [], []),
])
def test_live_and_persistent_are_handled_separately(live, persistent, state, opts, changed, attach, detach):
    domain = FakeDomain(live=live, persistent=persistent)
    _device, result = run(domain, options(state=state, **opts))
    assert result["changed"] is changed
    assert [c[1] for c in calls(domain, "attachDeviceFlags")] == attach
    assert [c[1] for c in calls(domain, "detachDeviceAlias")] == detach
    wanted = state == "present"
    assert all(present is wanted for present in result["present"].values())
    assert set(result["present"]) == ({"live"} if opts.get("live", True) else set()) | ({"persistent"} if opts.get("persistent") else set())


@pytest.mark.parametrize("state, live, expected_after", [
    ("present", WITHOUT, {"live": "xml"}),
    ("absent", WITH, {"live": None}),
])
def test_check_mode_changes_nothing(state, live, expected_after):
    domain = FakeDomain(live=live)
    _device, result = run(domain, options(state=state), check_mode=True)
    assert result["changed"] is True
    assert not calls(domain, "attachDeviceFlags") and not calls(domain, "detachDeviceAlias")
    assert (result["after"]["live"] is not None) == (expected_after["live"] is not None)
    assert domain.live == live


def test_diffable_before_and_after_hold_the_device_xml():
    domain = FakeDomain(live=WITHOUT)
    _device, result = run(domain, options())
    assert result["before"] == {"live": None}
    assert "ua-primary0" in result["after"]["live"] and "vmxnet3" in result["after"]["live"]


# --- attach -----------------------------------------------------------------------------------------------------


def test_attach_waits_until_the_guest_enslaved_the_primary():
    domain = FakeDomain(live=WITHOUT)
    guest = Guest("standby_only_up", "standby_only_up", "armed")
    _device, result = run(domain, options(), guest=guest)
    assert result["guest_state"] == "armed"
    assert guest.reads == 3
    assert set(result["timings"]) == {"request_seconds", "enslaved_seconds", "total_seconds"}
    assert result["timings"]["enslaved_seconds"] >= result["timings"]["request_seconds"]


class TwoPairGuest(Guest):
    """A guest with two failover pairs: this device's (MAC) in the given states, the other's (MAC_B) still without its VF,
    as in the dance of a VM with two pairs while the other VF waits for its own step."""

    def read(self):
        self.reads += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return guest_samples.topology(guest_samples.pair(0, MAC, state), guest_samples.pair(1, guest_samples.MAC_B, "standby_only_up"))


@pytest.mark.parametrize("opts", [options(), options(verify_states=["armed"], verify_timeout=1.0)])
def test_attach_checks_the_pair_of_its_device_only(opts):
    domain = FakeDomain(live=WITHOUT)
    guest = TwoPairGuest("standby_only_up", "armed")
    _device, result = run(domain, opts, guest=guest)
    assert result["guest_state"] == "armed" and guest.reads == 2 + bool(opts["verify_states"])
    if opts["verify_states"]:
        assert [(p["mac"], p["state"]) for p in result["guest"]["pairs"]] == [(MAC, "armed")]


@pytest.mark.parametrize("xml, macs", [
    (PRIMARY_XML, [MAC]),  # the standby's MAC: its pair
    (PRIMARY_XML.replace(MAC, "02:00:00:00:00:99"), None),  # a VF given with a wrong MAC: every pair, so the guest check names it
])
def test_the_pair_checked_is_the_standby_with_the_devices_mac(xml, macs):
    domain = FakeDomain(live=WITHOUT)
    device, _result = run(domain, options(xml=xml, wait_for_guest=False))
    assert device.pair_macs == macs


def test_attach_adds_the_alias_to_the_xml():
    domain = FakeDomain(live=WITHOUT)
    run(domain, options(xml=PRIMARY_XML.replace("<alias name='ua-primary0'/>", "")))
    assert "<alias name=\"ua-primary0\" />" in calls(domain, "attachDeviceFlags")[0][0]


def test_attach_without_an_answering_agent_warns_and_does_not_wait():
    domain = FakeDomain(live=WITHOUT)
    guest = Guest("armed")

    def ping(_domain):
        raise LibvirtCollectionError("Could not talk to the guest agent: not connected")

    device, result = run(domain, options(), guest=guest, ping=ping)
    assert result["changed"] and guest.reads == 0
    assert "enslaved_seconds" not in result["timings"]
    assert "does not answer (Could not talk to the guest agent: not connected)" in device.warnings[0]


def test_attach_without_wait_for_guest_does_not_read_the_guest():
    guest = Guest("armed")
    run(FakeDomain(live=WITHOUT), options(wait_for_guest=False), guest=guest)
    assert guest.reads == 0


def test_attach_timeout_reports_the_state_and_the_timings():
    domain = FakeDomain(live=WITHOUT)
    with pytest.raises(LibvirtCollectionError) as error:
        run(domain, options(timeout=0.3), guest=Guest("standby_only_up"))
    message = error.value.message
    assert message.startswith("Device ua-primary0 was attached to domain vm1 but the guest did not reach armed or steady within 0.3 s")
    result = error.value.result
    assert result["changed"] is True and result["guest_state"] == "standby_only_up"
    assert {"request_seconds", "waited_seconds", "total_seconds"} <= set(result["timings"])
    assert result["actions"] == ["attached ua-primary0 (live)"]


def test_expect_states_override():
    _device, result = run(FakeDomain(live=WITHOUT), options(expect_states=["steady"]), guest=Guest("armed", "steady"))
    assert result["guest_state"] == "steady"


def test_attach_without_xml_is_a_clear_error():
    with pytest.raises(LibvirtCollectionError, match=r"xml is required: device ua-primary0 is not in the live and persistent"):
        run(FakeDomain(live=WITHOUT, persistent=WITHOUT), options(xml=None, persistent=True))


def test_libvirt_refusal_is_translated_and_keeps_partial_results():
    domain = FakeDomain(live=WITHOUT)
    domain.errors["attachDeviceFlags"] = libvirt_error("unsupported configuration: a device with that address exists")
    with pytest.raises(LibvirtCollectionError) as error:
        run(domain, options())
    assert error.value.message.startswith("Could not attach device ua-primary0 to domain vm1 (live): unsupported configuration")
    assert error.value.result["before"] == {"live": None} and "total_seconds" in error.value.result["timings"]
    assert error.value.result["changed"] is False and error.value.result["actions"] == []


# --- detach -----------------------------------------------------------------------------------------------------


def removal_by_event(domain, connection, event=de.EVENT_ID_DEVICE_REMOVED):
    """QEMU removes the device a little later and libvirt sends the event."""
    domain.removal_is_delayed = True

    def on_detach(alias):
        domain.remove_pending()
        connection.fire(event, alias)

    domain.on_detach = on_detach


def test_detach_waits_for_device_removed():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    removal_by_event(domain, connection)
    _device, result = run(domain, options(state="absent"), connection=connection)
    assert result["removal_detected_by"] == "DEVICE_REMOVED event"
    assert set(result["timings"]) == {"request_seconds", "removed_seconds", "total_seconds"}
    assert result["actions"] == ["requested the removal of ua-primary0 (live)", "ua-primary0 removed (DEVICE_REMOVED event)"]
    assert result["after"] == {"live": None}


def test_detach_falls_back_to_the_live_xml():
    domain = FakeDomain()  # removes at once, no event
    _device, result = run(domain, options(state="absent"), connection=FakeConnection([domain], events_supported=False))
    assert result["removal_detected_by"] == "gone from the live XML"


def test_detach_timeout_says_the_guest_did_not_release_the_vf():
    domain = FakeDomain()
    domain.removal_is_delayed = True  # never finishes
    with pytest.raises(LibvirtCollectionError) as error:
        run(domain, options(state="absent", timeout=0.3))
    assert error.value.message.startswith("The guest did not release the VF ua-primary0 within 0.3 s; it may not support hot-unplug")
    assert "still attached" in error.value.message
    result = error.value.result
    assert result["changed"] is True and result["timings"]["waited_seconds"] >= 0.3
    assert "request_seconds" in result["timings"]


def test_detach_removal_failed_event():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    domain.removal_is_delayed = True
    domain.on_detach = lambda alias: connection.fire(de.EVENT_ID_DEVICE_REMOVAL_FAILED, alias)
    with pytest.raises(LibvirtCollectionError, match=r"refused to release ua-primary0 of domain vm1 \(DEVICE_REMOVAL_FAILED"):
        run(domain, options(state="absent"), connection=connection)


def test_detach_refused_by_libvirt_is_translated():
    domain = FakeDomain()
    domain.errors["detachDeviceAlias"] = libvirt_error("operation failed: guest is busy", libvirt.VIR_ERR_OPERATION_FAILED)
    with pytest.raises(LibvirtCollectionError, match=r"Could not detach device ua-primary0 from domain vm1 \(live\): operation failed"):
        run(domain, options(state="absent"))


# --- preconditions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("domain_kwargs, opts, message", [
    ({"active": False}, {}, r"Domain vm1 is not running, so it has no live definition to change. Set live: false"),
    ({"is_persistent": False}, {"persistent": True}, r"Domain vm1 is transient .* Set persistent: false"),
    ({}, {"live": False, "persistent": False}, r"Nothing to do: set live and/or persistent to true"),
])
def test_preconditions(domain_kwargs, opts, message):
    domain = FakeDomain(**domain_kwargs)
    with pytest.raises(LibvirtCollectionError, match=message):
        run(domain, options(**opts))
    assert not calls(domain, "attachDeviceFlags")


def test_a_stopped_domain_can_change_its_persistent_definition():
    domain = FakeDomain(active=False, persistent=WITHOUT)
    _device, result = run(domain, options(live=False, persistent=True))
    assert result["changed"] and [c[1] for c in calls(domain, "attachDeviceFlags")] == [CONFIG]


# --- the inbound switch (fdb) ------------------------------------------------------------------------------------


class SwitchLog:
    """Records, in one order, the guest reads and the FDB commands, so a test sees when the switch happened."""

    def __init__(self, guest, bridge):
        self.events = []
        self.guest = guest
        self.bridge = bridge

    def factory(self, _domain):
        def read():
            self.events.append("read")
            return self.guest.read()
        return read

    def run_command(self, argv):
        if argv[1:3] == ["fdb", "replace"]:
            self.events.append("fdb replace " + " ".join(argv[3:]))
        return self.bridge(argv)

    def lister(self, _domain):
        """guest-network-get-interfaces: the VF's netdev (eth2 in the lab's topologies) is there for held_checks calls."""
        self.events.append("names")
        self.held_checks -= 1
        return {"lo", "eth0", "eth1", "eth2"} if self.held_checks >= 0 else {"lo", "eth0", "eth1"}

    held_checks = 0


def no_listing(_domain):
    """An agent that cannot list the guest's netdevs: the attach switches on the full reads only."""
    raise LibvirtCollectionError("guest-network-get-interfaces is not available")


def fdb_run(domain, opts, log, connection=None, check_mode=False, mac_lister=no_listing):
    entry = FdbEntry(log.run_command, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    device = PrimaryDevice(connection or FakeConnection([domain]), domain, opts, check_mode=check_mode,
                           reader_factory=log.factory, agent_ping=lambda _domain: True, fdb=entry, netdev_lister=log.lister,
                           netdev_mac_lister=mac_lister, sleep=lambda _seconds: None)
    return device, device.run()


class Arrivals:
    """guest-network-get-interfaces during an attach: the VF's netdev shows up on the ``after``-th listing."""

    def __init__(self, log, after, mac=MAC):
        self.log, self.after, self.mac, self.calls = log, after, mac, 0

    def __call__(self, _domain):
        self.calls += 1
        self.log.events.append("macs")
        found = {"lo": "00:00:00:00:00:00", "eth0": MAC, "eth1": MAC}
        if self.calls > self.after:
            found["eth2"] = self.mac
        return found


def test_attach_switches_the_fdb_entry_when_the_vfs_netdev_appears_before_any_full_read():
    domain = FakeDomain(live=WITHOUT)
    log = SwitchLog(Guest("armed"), Bridge(LEARNED))
    arrivals = Arrivals(log, after=3)
    _device, result = fdb_run(domain, options(), log, mac_lister=arrivals)
    # one listing before the attach, two without the VF, then the VF's netdev: the switch, then the full read
    assert log.events == ["macs", "macs", "macs", "macs", "fdb replace {0} dev pf0 master static sticky".format(MAC), "read"]
    assert "arrived_seconds" in result["timings"]
    assert result["actions"][-1] == "pointed the FDB entry of {0} at pf0 (the guest registered eth2, the VF with the pair's MAC)".format(MAC)


@pytest.mark.parametrize("device_mac", [MAC, "02:00:00:00:00:99"], ids=["right device MAC", "the device given a wrong MAC"])
def test_a_new_netdev_with_another_mac_does_not_move_the_entry(device_mac):
    # the watch looks for the pair's MAC (the entry's), not the device XML's: a VF given a wrong MAC is never enslaved
    domain = FakeDomain(live=WITHOUT)
    log = SwitchLog(Guest("standby_only_up", "primary_no_carrier", "armed"), Bridge(LEARNED))
    arrivals = Arrivals(log, after=1, mac="02:00:00:00:00:99")
    opts = options(xml=PRIMARY_XML.replace(MAC, device_mac))
    device = PrimaryDevice(FakeConnection([domain]), domain, opts, reader_factory=log.factory, agent_ping=lambda _domain: True,
                           fdb=FdbEntry(log.run_command, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP),
                           netdev_lister=log.lister, netdev_mac_lister=arrivals, sleep=lambda _seconds: None,
                           clock=iter([0.0, 0.0, 0.0] + [0.1 * i for i in range(1, 400)]).__next__)
    result = device.run()
    # the watch gave up after its bound without a netdev of the pair's MAC; the full reads switched when the VF was enslaved
    assert log.events.index("fdb replace {0} dev pf0 master static sticky".format(MAC)) > log.events.index("read")
    assert "arrived_seconds" not in result["timings"]


def test_detach_points_the_fdb_entry_at_the_new_port_right_after_device_removed():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    removal_by_event(domain, connection)
    log = SwitchLog(Guest("armed", "standby_only_up"), Bridge(LEARNED))
    original_detach = domain.on_detach

    def on_detach(alias):
        log.events.append("detach requested")
        original_detach(alias)
    domain.on_detach = on_detach
    _device, result = fdb_run(domain, options(state="absent", verify_states=["standby_only_up"], verify_timeout=1.0), log,
                              connection=connection)
    # the watch learns the VF's netdev first; the event comes at once here, so the switch follows the removal, before
    # the guest check, not at the end of a later task
    assert log.events == ["read", "detach requested", "fdb replace {0} dev pf0 master static sticky".format(MAC), "read"]
    assert result["fdb"]["changed"] is True and result["fdb"]["entries_after"][0]["flavour"] == "static"
    assert result["actions"][-1] == "pointed the FDB entry of {0} at pf0 (ua-primary0 is gone)".format(MAC)
    assert "fdb_switch_seconds" in result["timings"]
    assert result["guest"]["state"] == "standby_only_up"


def test_attach_switches_the_fdb_entry_on_the_first_read_that_shows_the_primary_enslaved():
    domain = FakeDomain(live=WITHOUT)
    log = SwitchLog(Guest("standby_only_up", "standby_only_up", "primary_no_carrier", "armed"), Bridge(LEARNED))
    _device, result = fdb_run(domain, options(), log)
    # primary_no_carrier: the guest already drops what arrives on the standby, so inbound must go to the PF now
    assert log.events == ["read", "read", "read", "fdb replace {0} dev pf0 master static sticky".format(MAC), "read"]
    assert result["guest_state"] == "armed" and result["changed"] is True


def test_a_wrong_fdb_port_fails_before_anything_changes():
    domain = FakeDomain()
    log = SwitchLog(Guest("armed"), Bridge(LEARNED, link="[]"))  # pf0 is no bridge port
    with pytest.raises(LibvirtCollectionError, match="not a bridge port"):
        fdb_run(domain, options(state="absent"), log)
    assert not calls(domain, "detachDeviceAlias")


def test_the_fdb_switch_is_idempotent_and_planned_in_check_mode():
    domain = FakeDomain(live=WITHOUT)
    bridge = Bridge([{"mac": MAC, "flags": ["sticky"], "master": "br0", "state": "static"}])
    _device, result = fdb_run(domain, options(state="absent"), SwitchLog(Guest("standby_only_up"), bridge))
    assert result["changed"] is False and result["fdb"]["commands"] == []
    bridge = Bridge(LEARNED)
    _device, result = fdb_run(FakeDomain(), options(state="absent"), SwitchLog(Guest("armed"), bridge), check_mode=True)
    assert result["changed"] is True and result["fdb"]["commands"][0][1:3] == ["fdb", "replace"]
    assert not [argv for argv in bridge.commands if argv[1:3] == ["fdb", "replace"]]


def test_verify_states_failure_keeps_what_was_done():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    removal_by_event(domain, connection)
    with pytest.raises(LibvirtCollectionError, match="After detaching ua-primary0, domain .* did not reach steady") as caught:
        run(domain, options(state="absent", verify_states=["steady"], verify_timeout=0.0), guest=Guest("standby_only_up"),
            connection=connection)
    assert caught.value.result["changed"] is True
    assert caught.value.result["guest"]["state"] == "standby_only_up"


def test_an_already_attached_vf_gets_the_fdb_entry_once_the_guest_enslaved_it():
    # teaming: QEMU plugs the VF back by itself; the module must still switch at the guest's moment, not before
    domain = FakeDomain(live=WITH)
    log = SwitchLog(Guest("standby_only_up", "armed"), Bridge(LEARNED))
    _device, result = fdb_run(domain, options(), log)
    assert log.events == ["read", "read", "fdb replace {0} dev pf0 master static sticky".format(MAC)]
    assert not calls(domain, "attachDeviceFlags")
    assert result["changed"] is True and result["fdb"]["changed"] is True


def test_detach_switches_the_fdb_entry_when_the_guest_releases_the_vf_before_device_removed():
    # pciehp powers the slot off (and QEMU reports DEVICE_REMOVED) only after the guest unregistered the VF's netdev
    domain = FakeDomain()
    domain.removal_is_delayed = True
    log = SwitchLog(Guest("armed"), Bridge(LEARNED))
    log.held_checks = 2

    def run_command(argv):
        outcome = SwitchLog.run_command(log, argv)
        if argv[1:3] == ["fdb", "replace"]:
            domain.remove_pending()  # QEMU finishes the unplug after the guest let go
        return outcome
    log.run_command = run_command
    _device, result = fdb_run(domain, options(state="absent"), log)
    # one full read names the VF's netdev (eth2); then cheap name checks until it is gone
    assert log.events == ["read", "names", "names", "names", "fdb replace {0} dev pf0 master static sticky".format(MAC)]
    assert "pointed the FDB entry of {0} at pf0 (the guest released ua-primary0)".format(MAC) in result["actions"]
    assert result["timings"]["released_seconds"] <= result["timings"]["removed_seconds"]
    assert result["after"] == {"live": None}


def test_detach_of_a_vf_the_guest_had_not_enslaved_switches_on_device_removed():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    removal_by_event(domain, connection)
    log = SwitchLog(Guest("standby_only_up"), Bridge(LEARNED))
    _device, result = fdb_run(domain, options(state="absent"), log, connection=connection)
    assert "names" not in log.events  # nothing to watch for: no enslaved VF
    assert result["actions"][-1].endswith("(ua-primary0 is gone)")


def test_detach_without_an_answering_agent_switches_on_device_removed_and_warns():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    removal_by_event(domain, connection)
    log = SwitchLog(Guest("armed"), Bridge(LEARNED))
    entry = FdbEntry(log.run_command, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)

    def agent_down(_domain):
        raise LibvirtCollectionError("Guest agent is not responding")
    device = PrimaryDevice(connection, domain, options(state="absent"), reader_factory=log.factory, agent_ping=agent_down,
                           fdb=entry)
    result = device.run()
    assert log.events == ["fdb replace {0} dev pf0 master static sticky".format(MAC)]  # no guest reads
    assert "the FDB entry is switched on DEVICE_REMOVED instead" in device.warnings[0]
    assert result["actions"][-1].endswith("(ua-primary0 is gone)")


def test_on_a_vlan_filtering_bridge_the_switch_is_in_the_vlan_of_the_guests_standby_tap():
    domain = FakeDomain()
    log = SwitchLog(Guest("standby_only_up", "armed"), vlan_bridge(PF_VLAN_FDB))
    _device, result = fdb_run(domain, options(), log)  # the VF already attached: switched once the guest enslaved it
    assert log.events[-1] == "fdb replace {0} dev pf0 master static sticky vlan 10".format(MAC)
    assert result["fdb"]["vlan"] == 10 and result["fdb"]["entries_after"][0]["vlan"] == 10


def test_an_open_vswitch_port_is_refused_before_anything_changes():
    domain = FakeDomain()
    log = SwitchLog(Guest("armed"), Bridge(LEARNED, link=OVS_PORT))
    with pytest.raises(LibvirtCollectionError, match="Open vSwitch is not supported for the FDB steps"):
        fdb_run(domain, options(state="absent"), log)
    assert log.events == [] and log.bridge.writes() == [] and "detachDeviceAlias" not in [c[0] for c in domain.calls]


# --- teaming: started before the migration, acting on arrival (wait_for_arrival) --------------------------------


class AgentAfterArrival(Arrivals):
    """The guest agent right after the migration: it does not answer ``silent`` listings, then lists the guest without the
    VF's netdev, which shows up on the ``after``-th answered listing (or is there from the start, ``after=0``)."""

    def __init__(self, log, silent, after):
        super().__init__(log, after)
        self.silent = silent

    def __call__(self, domain):
        if self.silent > 0:
            self.silent -= 1
            self.log.events.append("no answer")
            raise LibvirtCollectionError("Guest agent is not responding")
        return super().__call__(domain)


def arrived_run(log, agent):
    domain = FakeDomain(live=WITH)  # QEMU's VF is in the live definition; the guest has yet to take it
    entry = FdbEntry(log.run_command, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    device = PrimaryDevice(FakeConnection([domain]), domain, options(step="primary_replug", variant="teaming"),
                           reader_factory=log.factory, agent_ping=lambda _domain: True, fdb=entry, netdev_lister=log.lister,
                           netdev_mac_lister=agent, sleep=lambda _seconds: None, arrived_seconds=4.2)
    return device.run()


def test_on_arrival_the_entry_moves_when_the_vf_netdev_appears_even_if_the_agent_answers_late():
    log = SwitchLog(Guest("armed"), Bridge(LEARNED))
    result = arrived_run(log, AgentAfterArrival(log, silent=2, after=2))
    replace = "fdb replace {0} dev pf0 master static sticky".format(MAC)
    # two unanswered listings, the baseline, one listing without the VF, then the VF's netdev: the switch before any full read
    assert log.events == ["no answer", "no answer", "macs", "macs", "macs", replace, "read"]
    assert result["changed"] is True and result["guest_state"] == "armed"
    assert result["timings"]["arrival_wait_seconds"] == 4.2 and "arrived_seconds" in result["timings"]
    assert result["actions"][-1].endswith("(the guest registered eth2, the VF with the pair's MAC)")


def test_on_arrival_a_vf_already_registered_leaves_the_switch_to_the_full_reads():
    # QEMU plugged the VF before the agent answered: three netdevs with the MAC, nothing left to watch for
    log = SwitchLog(Guest("primary_no_carrier", "armed"), Bridge(LEARNED))
    agent = AgentAfterArrival(log, silent=1, after=0)
    result = arrived_run(log, agent)
    replace = "fdb replace {0} dev pf0 master static sticky".format(MAC)
    assert log.events[:2] == ["no answer", "macs"] and log.events.count("macs") == 1
    assert log.events.index(replace) > log.events.index("read")
    assert result["actions"][-1].endswith("(the guest enslaved ua-primary0)")


# --- verification levels below full ----------------------------------------------------------------------------


def level_run(domain, opts, log, reading, connection=None, mac_lister=no_listing):
    entry = FdbEntry(log.run_command, MAC, "pf0", "present", flavour="static", sticky=True, bridge=BRIDGE, ip=IP)
    device = PrimaryDevice(connection or FakeConnection([domain]), domain, opts, reader_factory=log.factory,
                           agent_ping=lambda _domain: True, fdb=entry, netdev_lister=log.lister, netdev_mac_lister=mac_lister,
                           sleep=lambda _seconds: None, reading=reading)
    return device.run()


def test_at_the_none_level_the_guest_is_not_read_and_the_entry_moves_on_device_removed():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    removal_by_event(domain, connection)
    log = SwitchLog(Guest("armed"), Bridge(LEARNED))
    reading = GuestReading(domain, "none", "asked for", reader_factory=log.factory)
    result = level_run(domain, options(state="absent", step="primary_detach"), log, reading, connection=connection)
    assert "read" not in log.events and "names" not in log.events
    assert result["fdb"]["changed"] is True and result["actions"][-1].endswith("(ua-primary0 is gone)")
    assert result["guest"]["level"] == "none" and "not verified" in result["guest"]["message"]
    assert result["verify_level"] == {"level": "none", "why": "asked for"}


def test_at_the_interfaces_level_an_attach_switches_on_the_vfs_netdev_and_verifies_by_count():
    domain = FakeDomain(live=domain_xml(link="up", primary=False))  # the standby link is up: armed, by the host's word
    log = SwitchLog(Guest("armed"), Bridge(LEARNED))
    arrivals = Arrivals(log, after=2)
    listing = [{"name": "eth0", "hardware-address": MAC}, {"name": "eth1", "hardware-address": MAC},
               {"name": "eth2", "hardware-address": MAC}]
    reading = GuestReading(domain, "interfaces", "asked for", reader_factory=log.factory, interfaces_lister=lambda _d: listing)
    result = level_run(domain, options(verify_states=["armed"]), log, reading, mac_lister=arrivals)
    assert "read" not in log.events  # no sysfs walk at this level
    assert log.events[-1] == "fdb replace {0} dev pf0 master static sticky".format(MAC)
    assert result["guest_state"] == "armed" and result["guest"]["level"] == "interfaces"
    assert "cannot tell" in result["guest"]["message"]
