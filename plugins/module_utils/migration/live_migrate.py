# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The live_migrate module's run: where is the domain, migrate it when it is not at the destination yet, report."""

from __future__ import annotations

import time

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import reading_for
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration import transfer as mg
from ansible_collections.netfailover.standby.plugins.module_utils.migration.stall import NOT_CONVERGING, StallWatch, describe
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    connection_uri,
    find_domain,
)

# After a failed teaming migration: how long to wait for the guest to enslave the VF QEMU plugs back (well under a
# second on hardware, about one under TCG) before leaving the FDB entry on the tap for the rollback.
RESTORE_WAIT_SECONDS = 10.0
RESTORE_POLL_SECONDS = 0.02
RETURN_CHECK_SECONDS = 0.25  # while the (failing) migration still runs


def check_stall_options(options):
    """Bad stall bounds or auto-converge figures fail before anything happens."""
    for name in ("stall_seconds", "unplug_timeout"):
        if (options.get(name) or 0) < 0:
            raise LibvirtCollectionError("{0} must be 0 or more seconds (0: not watched), not {1:g}. Nothing was done.".format(
                name, options[name]))
    for name in ("auto_converge_initial", "auto_converge_increment"):
        value = options.get(name)
        if value is not None and not 1 <= value <= 100:
            raise LibvirtCollectionError("{0} is a percentage of vCPU time, 1 to 100, not {1}. Nothing was done.".format(
                name, value))


def find_on_both(source, destination, name):
    """(source domain or None, active at the source, destination domain or None, active at the destination)."""
    source_domain = find_domain(source, name=name)
    destination_domain = find_domain(destination, name=name)
    return (source_domain, source_domain is not None and domains.is_active(source_domain, name=name),
            destination_domain, destination_domain is not None and domains.is_active(destination_domain, name=name))


def active_on_both(name, source_uri, destination_uri):
    """The refusal for a domain active at both ends: a migration may be under way."""
    return LibvirtCollectionError(
        "Domain {0} is active both at {1} and at {2}: a migration may be in progress (see `virsh domjobinfo {0}` "
        "on the source). Nothing was done.".format(name, source_uri, destination_uri))


class LiveMigration:
    """One run of live_migrate.

    ``options``: name, destination_uri, mode, migrate_uri, persistent, undefine_source, bandwidth, max_downtime,
    auto_converge, postcopy, postcopy_after, destination_xml, destination_devices, timeout, poll_interval, verify_states, verify_timeout,
    step, variant (step migrate: the dance of the variant says which states the guest arrives in).
    ``opener(uri, read_only)`` opens the destination (tests give a fake); ``reader_factory(domain)`` reads the
    guest's topology for verify_states and the FDB switch (the guest agent's sysfs walk by default).
    ``fdb``: the bridge_fdb.FdbEntry to switch on the source the moment the guest releases its VF during the
    migration (teaming: QEMU unplugs the VF when the migration starts), or None.
    """

    def __init__(self, source, options, check_mode=False, opener=None, clock=time.monotonic, reader_factory=None, fdb=None,
                 netdev_lister=None, netdev_mac_lister=None):
        self.source = source
        self.options = options
        self.name = options["name"]
        self.destination_uri = options["destination_uri"]
        self.check_mode = check_mode
        self.opener = opener or mg.open_destination
        self.clock = clock
        self._connections = []
        self._destination = None
        self.reader_factory = reader_factory
        self.fdb = fdb
        self.fdb_result = None
        self.released_seconds = None
        self.fdb_watch = None  # the guest_failover.ReleaseWatch of the migration
        self.fdb_home = []  # the ports where the entry was pinned before the switch (moved back there on a failure)
        self.fdb_restored = None  # the move back there
        self.netdev_lister = netdev_lister  # the guest's netdev names (guest_agent.netdev_names by default)
        self.netdev_mac_lister = netdev_mac_lister  # {name: MAC} of them, for the interfaces level (guest_agent.netdev_macs)
        self.definition_params = {}  # migrate3's destination_xml / persistent_xml for destination_devices
        self.no_retry = None  # after a stall: why the module did not migrate once more with auto-converge
        self.expectation = dance.step_expectation(options, "live_migrate")  # bad input fails before anything happens

    def close(self):
        for connection in self._connections:
            try:
                connection.close()
            except Exception:  # pylint: disable=broad-except
                pass  # best effort
        self._connections = []
        self._destination = None

    def open(self, read_only):
        connection = self.opener(self.destination_uri, read_only=read_only)
        self._connections.append(connection)
        return connection

    def destination(self):
        """The read-only connection to the destination (lookups, job statistics), opened once."""
        if self._destination is None:
            self._destination = self.open(read_only=True)
        return self._destination

    # --- where the domain is -----------------------------------------------------------------------------

    def locate(self, destination):
        return find_on_both(self.source, destination, self.name)

    def base_result(self, changed, location):
        flags, flag_names = mg.migration_flags(self.options["mode"], self.options["persistent"], self.options["undefine_source"],
                                               self.options["auto_converge"], self.options["postcopy"])
        return {"changed": changed, "name": self.name, "source_uri": connection_uri(self.source),
                "destination_uri": self.destination_uri, "mode": self.options["mode"], "location": location,
                "flags": flag_names, "flags_value": flags, "job": None, "job_read_from": None, "elapsed_seconds": 0.0, "progress": [],
                "postcopy_started": False, "notes": [], "fdb": None, "released_seconds": None,
                "release_watch": None, "fdb_restored": None, "stall": None}

    def run(self):
        try:
            return self._run()
        finally:
            self.close()

    def _run(self):
        if self.options["postcopy_after"] is not None and not self.options["postcopy"]:
            raise LibvirtCollectionError("postcopy_after needs postcopy: true (post-copy must be enabled when the migration "
                                         "starts before the module can switch to it).")
        check_stall_options(self.options)
        source_domain, source_active, _destination_domain, destination_active = self.locate(self.destination())
        source_uri = connection_uri(self.source)
        if destination_active and not source_active:
            return self.verify_arrival(self.base_result(False, "destination"))
        if destination_active and source_active:
            raise active_on_both(self.name, source_uri, self.destination_uri)
        if source_domain is None:
            raise LibvirtCollectionError(
                "Domain {0} runs neither at the source {1} nor at the destination {2}. Check the name and the URIs.".format(
                    self.name, source_uri, self.destination_uri))
        if not source_active:
            raise LibvirtCollectionError(
                "Domain {0} is defined at {1} but not running: a live migration needs a running domain. Start it, or "
                "move its definition instead.".format(self.name, source_uri))
        result = self.base_result(True, "source" if self.check_mode else "destination")
        # the destination's VF in its definitions: planned (and shown in check mode) before anything moves
        self.definition_params = self.destination_definitions(source_domain, result)
        if self.fdb is not None:
            self.fdb.port_bridge_or_fail(source_domain)  # a wrong port fails before the migration starts
        if self.check_mode:
            result.update(guest=None, fdb=self.fdb.run(check_mode=True) if self.fdb is not None else None)
            return result
        return self.verify_arrival(self.migrate(source_domain, result))

    def destination_definitions(self, domain, result):
        """With destination_devices: the destination's definitions with those devices (its own VF) in place."""
        devices = {device["alias"]: device["xml"] for device in self.options.get("destination_devices") or []}
        result["destination_devices"] = None
        if not devices:
            return {}
        params, replaced = mg.destination_definitions(domain, devices, self.options["persistent"], name=self.name)
        result["destination_devices"] = replaced
        return params

    def verify_arrival(self, result):
        """With verify_states, the guest's failover state on the destination (read through its guest agent there)."""
        if not self.options.get("verify_states") and self.expectation is None:
            result["guest"] = None
            return result
        domain = find_domain(self.open(read_only=False), name=self.name)  # guest-exec needs a read-write connection
        if domain is None:
            raise LibvirtCollectionError("Domain {0} is not at the destination {1} after the migration, so its guest cannot "
                                         "be checked. Check where it runs.".format(self.name, self.destination_uri),
                                         result=result)
        return guest_failover.verify_after_change(domain, self.options, self.check_mode, result,
                                                  what="the migration to {0}".format(self.destination_uri),
                                                  reader_factory=self.reader_factory, expectation=self.expectation,
                                                  reading_factory=lambda: reading_for(domain, self.options, self.reader_factory))

    # --- the migration -----------------------------------------------------------------------------------

    def migrate(self, domain, result):
        options = self.options
        params = mg.migration_params(options["migrate_uri"], options["bandwidth"], options["destination_xml"])
        params.update(self.definition_params)
        flags = result["flags_value"]
        if flags & mg.MIGRATE_AUTO_CONVERGE:
            params.update(self.auto_converge_params())
        on_poll = self.fdb_switch_watch(domain) if self.fdb is not None else None
        interval = min(options["poll_interval"], 0.05) if on_poll else options["poll_interval"]
        started = self.clock()
        stalls = []  # the stall of each attempt that stalled
        attempts = 0
        while True:
            attempts += 1
            # the timeout bounds all attempts together
            timeout = options["timeout"] if attempts == 1 else round(options["timeout"] - (self.clock() - started), 1)
            job = self.attempt(domain, params, flags, result, on_poll, interval, timeout)
            if not job.stalled:
                break
            stalls.append(dict(job.stall, action="aborted"))
            self.no_retry = self.why_no_retry(job, flags, domain, started, retried=len(stalls) > 1)
            if self.no_retry is not None:
                break
            # QEMU refuses to change migration capabilities while a migration runs: auto-converge needs a new one
            stalls[-1]["action"] = "retried_with_auto_converge"
            flags |= mg.MIGRATE_AUTO_CONVERGE
            params = dict(params, **self.auto_converge_params())
            result["notes"].append("the migration stalled ({0}): retrying it with auto-converge".format(job.stall["kind"]))
        result["flags"] = [name for flag, name in mg.FLAG_NAMES if flags & flag]
        result["flags_value"] = flags
        if stalls:
            result["stall"] = dict(stalls[-1], attempts=attempts, earlier=stalls[:-1])
        result.update(elapsed_seconds=round(self.clock() - started, 3), progress=job.samples,
                      postcopy_started=job.postcopy_started,
                      fdb=self.fdb_result, released_seconds=self.released_seconds,
                      release_watch=self.fdb_watch.summary() if self.fdb_watch is not None else None,
                      fdb_restored=self.fdb_restored)
        if self.fdb is not None and self.fdb_result is None:
            watch = self.fdb_watch
            result["notes"].append(
                "the FDB entry was not switched: no check of the guest saw it release its VF during the migration "
                "(primary {0}; {1} checks, {2} failed{3})".format(
                    watch.primary or "unknown", watch.checks, watch.failed_checks,
                    ", the last with: " + watch.last_error if watch.last_error else ""))
        if job.timed_out or job.stalled or job.error is not None:
            self.fail(job, domain, result)
        result["job"], result["job_read_from"] = self.completed_stats(domain)
        if result["job"] is None:
            result["notes"].append("libvirt kept no statistics of the completed job{0}; progress has the last polls of the "
                                   "running job".format(" (it keeps none after post-copy)" if job.postcopy_started else ""))
        return result

    def attempt(self, domain, params, flags, result, on_poll, interval, timeout):
        """One migration, monitored (progress, post-copy, stalls, ``timeout``); its MigrationJob, run."""
        options = self.options
        if options["mode"] == "managed":
            destination_rw = self.open(read_only=False)

            def call():
                return mg.migrate_managed(domain, destination_rw, params, flags, name=self.name,
                                          destination=self.destination_uri)
        else:
            def call():
                return mg.migrate_p2p(domain, self.destination_uri, params, flags, name=self.name,
                                      destination=self.destination_uri)
        if options["max_downtime"]:
            mg.set_max_downtime(domain, downtime=options["max_downtime"], name=self.name)
            note = "maximum downtime set to {0} ms".format(options["max_downtime"])
            if note not in result["notes"]:
                result["notes"].append(note)
        watch = StallWatch(options.get("stall_seconds"), options.get("unplug_timeout"))
        job = mg.MigrationJob(domain, call, timeout, interval,
                              postcopy_after=options["postcopy_after"] if options["postcopy"] else None, clock=self.clock,
                              on_poll=on_poll, watch=watch if watch.watching else None,
                              destination_ready=self.destination_ready)
        job.run()
        result["notes"].extend(job.notes)
        return job

    def auto_converge_params(self):
        return mg.auto_converge_params(self.options.get("auto_converge_initial"), self.options.get("auto_converge_increment"))

    def destination_ready(self):
        """Whether the destination runs the incoming domain (libvirt starts it there before QEMU migrates)."""
        try:
            found = find_domain(self.destination(), name=self.name)
            return found is not None and domains.is_active(found, name=self.name)
        except LibvirtCollectionError:
            return False

    def why_no_retry(self, job, flags, domain, started, retried):
        """After a stall: None when the module migrates once more with auto-converge, else why not, in words ("" when
        on_stall or the kind of stall asks for none)."""
        if self.options.get("on_stall", "auto_converge") != "auto_converge" or job.stall["kind"] != NOT_CONVERGING:
            return ""
        if retried:
            return "it was the retry with auto-converge, after a first migration that stalled too"
        if flags & mg.MIGRATE_AUTO_CONVERGE:
            return "auto-converge was on already"  # the same migration again would stall again
        if self.options.get("variant") == "teaming" or self.fdb is not None:
            return ("no retry with auto-converge with the QEMU-driven failover: a new migration would unplug the VF that "
                    "QEMU plugs back now")
        if not job.finished:
            return "the aborted migration did not end, so no retry"
        if self.options["timeout"] - (self.clock() - started) < 1:
            return "no time left within the timeout for a retry with auto-converge"
        if self.where_now(domain) != "source":
            return "the domain is not back on the source alone after the abort, so no retry"
        return None

    def fdb_switch_watch(self, domain):
        """A poll hook: the first poll that finds the guest's VF released points the FDB entry at fdb_port."""
        try:
            self.fdb_home = self.fdb.pinned_elsewhere()
        except LibvirtCollectionError:
            self.fdb_home = []  # then a failed migration leaves the entry on the tap for the rollback to move
        level = reading_for(domain, self.options, self.reader_factory).level
        watch = self.fdb_watch = guest_failover.ReleaseWatch(domain, reader_factory=self.reader_factory,
                                                             lister=self.netdev_lister, macs=[self.fdb.mac], level=level,
                                                             mac_lister=self.netdev_mac_lister)
        last_return_check = 0.0

        def on_poll(elapsed, job_type=None):
            nonlocal last_return_check
            if self.fdb_result is None:
                # the none level reads no guest: the migration's start is when QEMU unplugs the VF
                if level == "none" or watch.released():
                    self.released_seconds = round(elapsed, 3)
                    try:
                        self.fdb_result = self.fdb.run()
                    except LibvirtCollectionError as error:  # never abandon a running migration over the FDB entry
                        self.fdb_result = {"changed": False, "failed": True, "msg": error.message}
                return
            # After the switch: once libvirt reports the job failed, QEMU plugs the VF back, and libvirt returns from the
            # failed call only after cleaning up the destination, seconds later. The guest is asked only then (and at a
            # slower pace than for the release): its agent is not kept busy through a healthy migration.
            if job_type in mg.JOB_ENDING_BADLY and self.restorable() and elapsed - last_return_check >= RETURN_CHECK_SECONDS:
                last_return_check = elapsed
                if watch.returned():
                    self.move_back()
        return on_poll

    def where_now(self, domain):
        """'source', 'destination', 'both' or 'unknown', after a failed or aborted migration."""
        try:
            at_source = domains.is_active(domain, name=self.name)
        except LibvirtCollectionError:
            at_source = False
        try:
            found = find_domain(self.destination(), name=self.name)
            at_destination = found is not None and domains.is_active(found, name=self.name)
        except LibvirtCollectionError:
            at_destination = False
        return {(True, False): "source", (False, True): "destination", (True, True): "both"}.get(
            (at_source, at_destination), "unknown")

    def restorable(self):
        switched = self.fdb_result
        return bool(self.fdb_home) and self.fdb_restored is None and bool(switched) and not switched.get("failed") and \
            bool(switched.get("changed"))

    def move_back(self):
        try:
            self.fdb_restored = self.fdb.on_port(self.fdb_home[0]).run()
        except LibvirtCollectionError as error:
            self.fdb_restored = {"changed": False, "failed": True, "msg": error.message}

    def restore_fdb(self, result):
        """After a failed teaming migration the domain stays on the source and QEMU plugs the VF back: from the moment
        the guest registers it again, net_failover enslaves it and drops what reaches the guest through the standby,
        so the entry goes back to where it was pinned before the switch (the PF) on the first check that finds a new
        netdev in the guest (during the failing migration already, or here). Never raises: when the VF does not come
        back, the entry stays on the tap, where the guest still takes frames, and the rollback follows."""
        if self.restorable():
            deadline = self.clock() + RESTORE_WAIT_SECONDS
            while not self.fdb_watch.returned():
                if self.clock() >= deadline:
                    self.note_entry_stays(result, "the guest showed no VF again within {0:g} s{1}".format(
                        RESTORE_WAIT_SECONDS, " (" + self.fdb_watch.last_error + ")" if self.fdb_watch.last_error else ""))
                    return
                time.sleep(RESTORE_POLL_SECONDS)
            self.move_back()
        result["fdb_restored"] = self.fdb_restored
        if self.fdb_restored and self.fdb_restored.get("failed"):
            self.note_entry_stays(result, self.fdb_restored["msg"])

    def note_entry_stays(self, result, why):
        result["notes"].append("the FDB entry stays on {0}, not back on {1}: {2}".format(
            self.fdb_result.get("port"), self.fdb_home[0], why))

    def fail(self, job, domain, result):
        location = self.where_now(domain)
        result.update(changed=location != "source", location=location)
        if location == "source":
            self.restore_fdb(result)
            where = "The domain still runs on the source ({0}).".format(result["source_uri"])
        elif location == "destination":
            where = "The domain runs on the destination ({0}) nonetheless.".format(self.destination_uri)
        else:
            where = "Check where the domain runs now (it is {0}).".format(
                "active on both hosts" if location == "both" else "running on neither host, as far as this module can see")
        if job.timed_out:
            if job.postcopy_started:
                detail = ("it was in post-copy, which cannot be aborted: it has to finish, or the domain is lost if either "
                          "host fails; watch `virsh domjobinfo {0}`".format(self.name))
            elif job.abort_error:
                detail = ("the module tried to abort it, but the abort failed ({0}): the job may still be running; watch "
                          "`virsh domjobinfo {1}`".format(job.abort_error.rstrip("."), self.name))
            else:
                detail = "the module aborted it (virDomainAbortJob)"
            raise LibvirtCollectionError("The migration of {0} to {1} did not finish within {2:g} s; {3}. {4}".format(
                self.name, self.destination_uri, self.options["timeout"], detail, where), result=result)
        if job.stalled:
            raise LibvirtCollectionError("The migration of {0} to {1} stalled: {2}; {3}. {4}".format(
                self.name, self.destination_uri, describe(job.stall), self.stall_action(job), where),
                result=result)
        error = job.error
        message = error.message if isinstance(error, LibvirtCollectionError) else str(error)
        raise LibvirtCollectionError("{0}. {1}".format(message.rstrip("."), where),
                                     error_code=getattr(error, "error_code", None), result=result)

    def stall_action(self, job):
        """What the module did about the stall, in words."""
        if job.abort_error:
            done = ("the module tried to abort it, but the abort failed ({0}): the job may still be running; watch "
                    "`virsh domjobinfo {1}`".format(job.abort_error.rstrip("."), self.name))
        else:
            done = "the module aborted it (virDomainAbortJob)"
        return "{0} ({1})".format(done, self.no_retry) if self.no_retry else done

    def completed_stats(self, domain):
        """The completed job's statistics, from the destination domain, else the source's (when it still exists)."""
        flags = mg.JOB_STATS_COMPLETED | mg.JOB_STATS_KEEP_COMPLETED
        candidates = []
        try:
            candidates.append(("destination", find_domain(self.destination(), name=self.name)))
        except LibvirtCollectionError:
            pass
        candidates.append(("source", domain))
        for where, candidate in candidates:
            if candidate is None:
                continue
            try:
                stats = mg.job_stats(candidate, flags, name=self.name)
            except LibvirtCollectionError:
                continue
            if stats and stats.get("type", mg.JOB_NONE) != mg.JOB_NONE:
                return mg.normalize_job(stats), where
        return None, None
