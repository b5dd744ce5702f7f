# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attach or detach the primary (the VF) of a STANDBY pair, live and persistent handled separately, with waits.

Live and persistent definitions are changed by separate calls (AFFECT_LIVE, then AFFECT_CONFIG): one
call with both fails with "non unique alias detected" when only one of the definitions holds the device.
A live detach waits for DEVICE_REMOVED; a live attach waits until the guest has enslaved the new primary.
Optionally the bridge FDB entry of the guest's MAC is re-pointed at the exact moment the guest switches paths
(the VF gone, or the VF enslaved): any delay there is an inbound outage, so it is not left to a later task.
"""

from __future__ import annotations

import time

from ansible_collections.netfailover.standby.plugins.module_utils.virt import devices as dd
from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.virt.events import (
    REMOVAL_FAILED,
    TIMEOUT,
    DeviceRemovalWatcher,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domain_xml import mac_of
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import PRIMARY_ENSLAVED_STATES
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

DEFAULT_EXPECT_STATES = ("armed", "steady")
WHERE = (("live", dd.AFFECT_LIVE), ("persistent", dd.AFFECT_CONFIG))
XML_FALLBACK_INTERVAL = 0.5  # seconds between two reads of the live XML while a detach waits for DEVICE_REMOVED
ARRIVAL_POLL_SECONDS = 0.02  # between two listings of the guest's netdevs while an attach waits for the VF's netdev
ARRIVAL_WATCH_SECONDS = 15.0  # how long an attach watches for it before the full reads take over


def device_mac(xml_text):
    """The MAC of a device XML (an interface's <mac address>), None for a device without one (a plain <hostdev>)."""
    return mac_of(dx.parse(xml_text, "device XML"))


class PrimaryDevice:
    """One run of the primary_device module against one domain.

    ``options``: alias, state, xml, live, persistent, timeout, wait_for_guest, expect_states, verify_states,
    verify_timeout, step, variant (a step of the dance says what to expect instead of expect_states / verify_states).
    ``reader_factory(domain)`` returns the guest topology reader (the guest agent's sysfs walk by default).
    ``fdb``: the bridge_fdb.FdbEntry (state present) to switch when the guest switches paths, or None.
    """

    def __init__(self, connection, domain, options, check_mode=False, clock=time.monotonic, reader_factory=None, agent_ping=None,
                 fdb=None, netdev_lister=None, netdev_mac_lister=None, sleep=time.sleep, arrived_seconds=None):
        self.connection = connection
        self.domain = domain
        self.name = domain.name()
        self.options = options
        self.alias = options["alias"]
        self.check_mode = check_mode
        self.clock = clock
        self.reader_factory = reader_factory or guest_failover.agent_reader
        self.agent_ping = agent_ping or guest_agent.ping
        self.started = clock()
        self.timings = {}
        # seconds this run waited for the domain to migrate here (wait_for_arrival), None when it did not wait
        self.arrived_seconds = arrived_seconds
        if arrived_seconds is not None:
            self.timings["arrival_wait_seconds"] = arrived_seconds
        self.warnings = []  # the module passes them to AnsibleModule.warn
        self.actions = []
        self.guest_state = None
        self.removal_detected_by = None
        self.fdb = fdb
        self.fdb_result = None
        self.netdev_lister = netdev_lister  # the guest's netdev names (guest_agent.netdev_names by default)
        self.netdev_mac_lister = netdev_mac_lister  # {name: MAC} of the guest's netdevs (guest_agent.netdev_macs by default)
        self.sleep = sleep
        self.pair_macs = None  # [the device's MAC]: the failover pair whose guest state this run checks
        # the dance's step: what an attach waits for (present) or a detach verifies (absent); bad input fails here
        self.expectation = dance.step_expectation(options, "primary_device")

    # --- reading ---------------------------------------------------------------------------------------

    def targets(self):
        """The definitions this run manages: 'live' and/or 'persistent'."""
        wanted = [where for where, _flag in WHERE if self.options[where]]
        if not wanted:
            raise LibvirtCollectionError("Nothing to do: set live and/or persistent to true.")
        if "live" in wanted and not domains.is_active(self.domain, name=self.name):
            raise LibvirtCollectionError(
                "Domain {0} is not running, so it has no live definition to change. Set live: false to change only "
                "its persistent definition, or start it first.".format(self.name))
        if "persistent" in wanted and not domains.is_persistent(self.domain, name=self.name):
            raise LibvirtCollectionError(
                "Domain {0} is transient (it has no persistent definition). Set persistent: false.".format(self.name))
        return wanted

    def device(self, where):
        """The device's XML in the live or persistent definition, or None when it is not there."""
        domain_element = dx.parse(domains.read_xml(self.domain, which=where, name=self.name),
                                  "{0} XML of domain {1}".format(where, self.name))
        device = dd.find_device(domain_element, self.alias)
        return dd.to_text(device) if device is not None else None

    def device_pair_macs(self, before):
        """[the MAC of the standby this device pairs with], so that the guest is checked on this device's failover pair
        only (another pair of a guest with several is in its own step of the dance); None, every pair, for a device
        whose MAC no virtio standby has (a VF given with a wrong MAC: the state machine then names it)."""
        known = [text for text in list(before.values()) + [self.options.get("xml")] if text]
        mac = device_mac(known[0]) if known else None
        if mac is None:
            return None
        domain_element = dx.parse(domains.read_xml(self.domain, which="live", name=self.name), "live XML of domain " + self.name)
        standbys = [dd.describe_interface(i) for i in dx.interfaces(domain_element)]
        return [mac] if any(i["model"] == "virtio" and (i["mac"] or "").lower() == mac for i in standbys) else None

    def snapshot(self, wanted):
        return {where: self.device(where) for where in wanted}

    # --- the run ---------------------------------------------------------------------------------------

    def run(self):
        wanted = self.targets()
        if self.fdb is not None:
            self.fdb.port_bridge_or_fail(self.domain)  # a wrong port fails here, before anything changes
        before = self.snapshot(wanted)
        present = self.options["state"] == "present"
        todo = [where for where in wanted if (before[where] is None) == present]
        self.pair_macs = self.device_pair_macs(before)
        result = {"changed": bool(todo), "alias": self.alias, "state": self.options["state"], "before": before}
        xml = self.device_xml(todo)[0] if present and todo else None
        if todo and not self.check_mode:
            try:
                for where in todo:
                    if present:
                        self.attach(where, xml)
                    else:
                        self.detach(where)
            except LibvirtCollectionError as error:
                error.result = dict(result, **self.progress(error.result))
                error.result["changed"] = bool(self.actions)  # what was done before the failure
                raise
        if self.check_mode:
            after = {where: (xml if present else None) if where in todo else before[where] for where in wanted}
        else:
            after = self.snapshot(wanted)
        if self.fdb is not None and self.fdb_result is None and "live" in wanted:
            # already attached (QEMU plugs the VF back itself with teaming): switch once the guest enslaved it
            waits = present and not self.check_mode and self.options["wait_for_guest"]
            if waits and self.arrived_seconds is not None:
                # just arrived: the agent reconnects after the migration (observe waits for it); the VF's netdev is
                # about to register, watch for it as an attach does
                self.switch_on_arrival(self.watch_after_arrival(), self.clock())
                self.wait_enslaved(self.clock())
            elif waits and self.guest_agent_answers():
                self.wait_enslaved(self.clock())
            self.switch_fdb("the device was already {0}".format("attached" if present else "detached"))
        result.update(self.progress({}), after=after, present={where: after[where] is not None for where in wanted})
        result["changed"] = result["changed"] or bool(self.fdb_result and self.fdb_result["changed"])
        what = "{0} {1}".format("attaching" if present else "detaching", self.alias)
        return guest_failover.verify_after_change(self.domain, self.options, self.check_mode, result, what=what,
                                                  reader_factory=self.reader_factory, macs=self.pair_macs,
                                                  expectation=None if present else self.expectation)

    def progress(self, extra):
        """What every result carries, also a failed one: timings, actions, and what the waits saw."""
        timings = dict(self.timings, total_seconds=round(self.clock() - self.started, 3))
        return dict(extra, timings=timings, actions=list(self.actions), guest_state=self.guest_state,
                    removal_detected_by=self.removal_detected_by, fdb=self.fdb_result)

    # --- the inbound switch ------------------------------------------------------------------------------

    def switch_fdb(self, why):
        """Point the bridge's FDB entry for the guest's MAC at fdb_port (static, sticky), once."""
        if self.fdb is None or self.fdb_result is not None:
            return
        started = self.clock()
        self.fdb_result = self.fdb.run(check_mode=self.check_mode)
        if self.fdb_result["changed"] and not self.check_mode:
            self.timings["fdb_switch_seconds"] = round(self.clock() - started, 3)
            self.actions.append("pointed the FDB entry of {0} at {1} ({2})".format(self.fdb.mac, self.fdb.port, why))

    def switch_fdb_when_enslaved(self, classification):
        if classification.state in PRIMARY_ENSLAVED_STATES:
            self.switch_fdb("the guest enslaved {0}".format(self.alias))

    def device_xml(self, todo):
        if not self.options.get("xml"):
            raise LibvirtCollectionError(
                "xml is required: device {0} is not in the {1} definition of domain {2}, so it must be attached. Give the "
                "device XML (for example the VF's <interface type='hostdev'> element).".format(
                    self.alias, " and ".join(todo), self.name))
        return dd.device_xml_with_alias(self.options["xml"], self.alias)

    # --- attach --------------------------------------------------------------------------------------

    def attach(self, where, xml):
        flag = dict(WHERE)[where]
        wait = where == "live" and self.options["wait_for_guest"] and self.guest_agent_answers()
        # with an FDB switch: watch for a netdev with the pair's MAC (the entry's, not the device XML's: a VF given a wrong
        # MAC is never enslaved) to appear, which is when the guest enslaves it
        arrival = guest_failover.ArrivalWatch(self.domain, self.fdb.mac if self.fdb is not None else None, lister=self.netdev_mac_lister) \
            if wait and self.fdb is not None and not self.check_mode else None
        started = self.clock()
        dd.attach_device(self.domain, xml, flag, name=self.name, alias=self.alias, where=where)
        self.actions.append("attached {0} ({1})".format(self.alias, where))
        if where != "live":
            return
        self.timings["request_seconds"] = round(self.clock() - started, 3)
        if arrival is not None and arrival.active:
            self.switch_on_arrival(arrival, started)
        if wait:
            self.wait_enslaved(started)
        else:
            self.switch_fdb("attached, guest not watched")

    def switch_on_arrival(self, arrival, started):
        """Point the entry at the PF the moment the VF's netdev appears in the guest (bounded; the full reads that follow
        verify the pair and switch then if the netdev did not show up in time)."""
        deadline = started + min(self.options["timeout"], ARRIVAL_WATCH_SECONDS)
        while arrival.active and self.clock() < deadline:
            if arrival.arrived():
                self.timings["arrived_seconds"] = round(self.clock() - started, 3)
                self.switch_fdb("the guest registered {0}, the VF with the pair's MAC".format(arrival.arrived_name))
                return
            self.sleep(ARRIVAL_POLL_SECONDS)

    def watch_after_arrival(self):
        """An ArrivalWatch whose first listing the guest agent answered: right after the migration the agent takes a
        moment to reconnect, so the first listing is retried within the watch's window. Inactive when the agent never
        answers, or when the guest has a third netdev with the pair's MAC already (QEMU plugged the VF meanwhile): the
        full reads that follow then decide."""
        deadline = self.clock() + min(self.options["timeout"], ARRIVAL_WATCH_SECONDS)
        while True:
            watch = guest_failover.ArrivalWatch(self.domain, self.fdb.mac, lister=self.netdev_mac_lister)
            if watch.active and watch.sharing_mac >= 3:
                watch.active = False
            if watch.before is not None or self.clock() >= deadline:
                return watch
            self.sleep(ARRIVAL_POLL_SECONDS)

    def guest_agent_answers(self, consequence=None):
        try:
            self.agent_ping(self.domain)
        except LibvirtCollectionError as error:
            consequence = consequence or ("not waiting for the guest to enslave {0}. Verify the guest yourself, for "
                                          "example with guest_failover_info".format(self.alias))
            self.warnings.append("The guest agent of domain {0} does not answer ({1}); {2}.".format(
                self.name, error.message, consequence))
            return False
        return True

    def wait_enslaved(self, started):
        if self.expectation is not None:
            expect, allows, start = list(self.expectation.states), self.expectation.allows, self.expectation.start
        else:
            expect, allows, start = self.options.get("expect_states") or list(DEFAULT_EXPECT_STATES), None, ()
        try:
            # short polls when the FDB switch waits on the guest: every poll interval is inbound outage
            observed = guest_failover.observe(self.reader_factory(self.domain), expect=expect,
                                              timeout=self.options["timeout"], interval=0.05 if self.fdb else 0.25,
                                              domain=self.name, on_classified=self.switch_fdb_when_enslaved,
                                              macs=self.pair_macs, allows=allows, start=start)
        except LibvirtCollectionError as error:
            self.timings["waited_seconds"] = round(self.clock() - started, 3)
            self.guest_state = error.result.get("state")
            raise LibvirtCollectionError(
                "Device {0} was attached to domain {1} but the guest did not reach {2} within {3:g} s: {4}".format(
                    self.alias, self.name, " or ".join(expect), self.options["timeout"], error.message)) from error
        self.timings["enslaved_seconds"] = round(self.clock() - started, 3)
        self.guest_state = observed["state"]

    # --- detach --------------------------------------------------------------------------------------

    def detach(self, where):
        flag = dict(WHERE)[where]
        if where != "live":
            dd.detach_device_alias(self.domain, alias=self.alias, flags=flag, name=self.name, where=where)
            self.actions.append("detached {0} ({1})".format(self.alias, where))
            return
        timeout = self.options["timeout"]
        # With an FDB switch, watch the guest too: it stops taking frames through the VF when it unregisters the VF's
        # netdev, which comes up to a second before QEMU reports DEVICE_REMOVED (pciehp powers the slot off after).
        watch = None
        if self.fdb is not None and self.guest_agent_answers("the FDB entry is switched on DEVICE_REMOVED instead"):
            watch = guest_failover.ReleaseWatch(self.domain, reader_factory=self.reader_factory, lister=self.netdev_lister,
                                                macs=self.pair_macs)
        started = self.clock()
        xml_read_at = None

        def still_present():
            nonlocal xml_read_at
            if watch is not None and self.fdb_result is None and watch.released():
                self.timings["released_seconds"] = round(self.clock() - started, 3)
                self.switch_fdb("the guest released {0}".format(self.alias))
            # the live XML is only the fallback for a missed DEVICE_REMOVED: read it at its own pace, not the watch's
            if xml_read_at is not None and self.clock() - xml_read_at < XML_FALLBACK_INTERVAL:
                return True
            xml_read_at = self.clock()
            return self.device("live") is not None

        with DeviceRemovalWatcher(self.connection, self.domain, self.alias) as watcher:
            dd.detach_device_alias(self.domain, alias=self.alias, flags=flag, name=self.name, where=where)
            self.timings["request_seconds"] = round(self.clock() - started, 3)
            self.actions.append("requested the removal of {0} (live)".format(self.alias))
            outcome, _waited, how = watcher.wait(timeout, still_present, interval=0.02 if watch else XML_FALLBACK_INTERVAL,
                                                 clock=self.clock)
        waited = round(self.clock() - started, 3)
        if outcome == TIMEOUT:
            self.timings["waited_seconds"] = waited
            raise LibvirtCollectionError(
                "The guest did not release the VF {0} within {1:g} s; it may not support hot-unplug (a PCIe hot-plug capable "
                "slot, pciehp or ACPI hot-plug in the guest kernel), or it is still busy with an earlier hot-plug. The "
                "device is still attached to domain {2}; the removal request stays pending and the device may still go "
                "later. Check the guest's kernel log, then run this again with a longer timeout.".format(
                    self.alias, timeout, self.name))
        if outcome == REMOVAL_FAILED:
            self.timings["waited_seconds"] = waited
            raise LibvirtCollectionError(
                "The guest refused to release {0} of domain {1} (DEVICE_REMOVAL_FAILED after {2:g} s); the device is "
                "still attached. Check the guest's kernel log.".format(self.alias, self.name, waited))
        self.timings["removed_seconds"] = waited
        self.removal_detected_by = how
        self.actions.append("{0} removed ({1})".format(self.alias, how))
        self.switch_fdb("{0} is gone".format(self.alias))
