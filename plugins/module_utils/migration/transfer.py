# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live migration of a domain with libvirt's migrate3 / migrateToURI3: flags and parameters, a monitored run with
progress, post-copy switch, stall detection (stall.py) and timeout (abortJob), and the completed job's statistics.

The migration call blocks until the migration ends, so it runs in a thread while the calling thread polls
``jobStats()``; libvirt connections may be used from several threads.
"""

from __future__ import annotations

import threading
import time

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.plugins.module_utils.virt import secure_xml
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    libvirt_call,
)

# virDomainMigrateFlags, as numbers so this file reads without libvirt-python installed.
MIGRATE_LIVE = 1
MIGRATE_PEER2PEER = 2
MIGRATE_PERSIST_DEST = 8
MIGRATE_UNDEFINE_SOURCE = 16
MIGRATE_AUTO_CONVERGE = 8192
MIGRATE_POSTCOPY = 32768
FLAG_NAMES = ((MIGRATE_LIVE, "VIR_MIGRATE_LIVE"), (MIGRATE_PEER2PEER, "VIR_MIGRATE_PEER2PEER"),
              (MIGRATE_PERSIST_DEST, "VIR_MIGRATE_PERSIST_DEST"), (MIGRATE_UNDEFINE_SOURCE, "VIR_MIGRATE_UNDEFINE_SOURCE"),
              (MIGRATE_AUTO_CONVERGE, "VIR_MIGRATE_AUTO_CONVERGE"), (MIGRATE_POSTCOPY, "VIR_MIGRATE_POSTCOPY"))
# typed parameter names (VIR_MIGRATE_PARAM_*)
PARAM_URI = "migrate_uri"
PARAM_BANDWIDTH = "bandwidth"
PARAM_DEST_XML = "destination_xml"
PARAM_PERSIST_XML = "persistent_xml"
PARAM_AUTO_CONVERGE_INITIAL = "auto_converge.initial"  # percent; libvirt accepts them only with VIR_MIGRATE_AUTO_CONVERGE
PARAM_AUTO_CONVERGE_INCREMENT = "auto_converge.increment"
XML_MIGRATABLE = 8  # VIR_DOMAIN_XML_MIGRATABLE: the form a destination can parse

JOB_NONE = 0  # VIR_DOMAIN_JOB_NONE
JOB_ENDING_BADLY = (4, 5)  # VIR_DOMAIN_JOB_FAILED, VIR_DOMAIN_JOB_CANCELLED: libvirt is cleaning up a failed migration
JOB_STATS_COMPLETED = 1  # VIR_DOMAIN_JOB_STATS_COMPLETED
JOB_STATS_KEEP_COMPLETED = 2  # VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED

# libvirt job statistics field -> name in the module's result (the unit is in the name)
JOB_FIELDS = (
    ("time_elapsed", "time_elapsed_ms"), ("time_elapsed_net", "time_elapsed_net_ms"), ("downtime", "downtime_ms"),
    ("downtime_net", "downtime_net_ms"), ("setup_time", "setup_time_ms"), ("time_remaining", "time_remaining_ms"),
    ("data_total", "data_total_bytes"), ("data_processed", "data_processed_bytes"),
    ("data_remaining", "data_remaining_bytes"), ("memory_total", "memory_total_bytes"),
    ("memory_processed", "memory_processed_bytes"), ("memory_remaining", "memory_remaining_bytes"),
    ("memory_constant", "memory_constant_pages"), ("memory_normal", "memory_normal_pages"),
    ("memory_normal_bytes", "memory_normal_bytes"), ("memory_bps", "memory_bytes_per_second"),
    ("memory_dirty_rate", "memory_dirty_pages_per_second"), ("memory_page_size", "memory_page_size_bytes"),
    ("memory_iteration", "memory_iteration"), ("memory_postcopy_requests", "memory_postcopy_requests"),
    ("auto_converge_throttle", "auto_converge_throttle_percent"),
)
PROGRESS_SAMPLES_KEPT = 60


def migration_flags(mode="p2p", persistent=True, undefine_source=True, auto_converge=False, postcopy=False):
    """The virDomainMigrateFlags for the options, and their names for the result."""
    flags = MIGRATE_LIVE
    for wanted, flag in ((mode == "p2p", MIGRATE_PEER2PEER), (persistent, MIGRATE_PERSIST_DEST),
                         (undefine_source, MIGRATE_UNDEFINE_SOURCE), (auto_converge, MIGRATE_AUTO_CONVERGE),
                         (postcopy, MIGRATE_POSTCOPY)):
        if wanted:
            flags |= flag
    return flags, [name for flag, name in FLAG_NAMES if flags & flag]


def migration_params(migrate_uri=None, bandwidth=None, destination_xml=None, persistent_xml=None):
    """The typed parameters of migrate3 / migrateToURI3."""
    params = {}
    if migrate_uri:
        params[PARAM_URI] = migrate_uri
    if bandwidth:
        params[PARAM_BANDWIDTH] = int(bandwidth)
    if destination_xml:
        params[PARAM_DEST_XML] = destination_xml
    if persistent_xml:
        params[PARAM_PERSIST_XML] = persistent_xml
    return params


def auto_converge_params(initial=None, increment=None):
    """The typed parameters that tune auto-converge (QEMU's defaults, 20% then 10% more, when not given)."""
    params = {}
    if initial:
        params[PARAM_AUTO_CONVERGE_INITIAL] = int(initial)
    if increment:
        params[PARAM_AUTO_CONVERGE_INCREMENT] = int(increment)
    return params


def replace_devices(xml_text, devices, what):
    """The domain XML with each device of ``devices`` ({alias: device XML}) put in place of the device with that alias.

    Returns (XML text, the aliases replaced). A device the XML does not have is left out (the manual dance unplugged the
    VF before the migration, so the running definition has none: the role attaches it on the destination).
    """
    root = dx.parse(xml_text, what=what)
    container = dx.devices(root)
    replaced = []
    for index, element in enumerate(list(container)):
        alias = dx.alias_of(element)
        if alias in devices:
            replacement = dx.parse(devices[alias], what="device XML for " + alias)
            if dx.alias_of(replacement) != alias:
                dx.set_child(replacement, "alias", {"name": alias})
            container.remove(element)
            container.insert(index, replacement)
            replaced.append(alias)
    return dx.to_string(root), replaced


@libvirt_call("read the {which} XML of domain {name} for the destination")
def migratable_xml(domain, which="live", name=None):
    """The running (``live``) or persistent definition as the destination gets it: secure data kept, migratable form."""
    return domain.XMLDesc(secure_xml.xml_flags(which, secure=True) | XML_MIGRATABLE)


def destination_definitions(domain, devices, persistent, name=None):
    """migrate3's parameters for the destination's running and (with ``persistent``) persistent definitions, each with
    ``devices`` ({alias: device XML}) in place, and the aliases replaced in each.

    Fails, changing nothing, when a device is in neither definition.
    """
    live, live_replaced = replace_devices(migratable_xml(domain, "live", name=name), devices, "running XML of domain " + name)
    params = {PARAM_DEST_XML: live}
    replaced = {"live": live_replaced, "persistent": []}
    if persistent:
        persistent_text, replaced["persistent"] = replace_devices(
            migratable_xml(domain, "persistent", name=name), devices, "persistent XML of domain " + name)
        params[PARAM_PERSIST_XML] = persistent_text
    missing = sorted(set(devices) - set(replaced["live"]) - set(replaced["persistent"]))
    if missing:
        raise LibvirtCollectionError(
            "Domain {0} has no device with alias {1}, neither running nor in its persistent definition (destination_devices "
            "replaces devices by alias). Nothing was done.".format(name, ", ".join(missing)))
    return params, replaced


def normalize_job(stats):
    """libvirt's job statistics with the unit in each name, plus the raw dict under ``libvirt``."""
    if not stats:
        return None
    job = {name: stats[field] for field, name in JOB_FIELDS if field in stats}
    job["libvirt"] = dict(stats)
    return job


def progress_sample(elapsed, stats):
    return {"elapsed_seconds": round(elapsed, 3), "data_processed_bytes": stats.get("data_processed"),
            "data_remaining_bytes": stats.get("data_remaining"), "memory_iteration": stats.get("memory_iteration")}


# --- libvirt calls ------------------------------------------------------------------------------------------


def open_destination(uri, read_only=True):
    """Open the destination's libvirt; an unreachable destination is a clear error that changes nothing."""
    try:
        return lc.open_connection(uri=uri, read_only=read_only)
    except LibvirtCollectionError as error:
        raise LibvirtCollectionError(
            "Cannot reach destination libvirt at {0}: {1}; check that libvirtd runs there and accepts this transport "
            "(for qemu+tcp: listen_tcp and auth_tcp in libvirtd.conf, libvirtd --listen), that this host can reach it, "
            "and the URI. Nothing was done: the domain stays where it is.".format(uri, _libvirt_detail(error, uri)),
            error_code=error.error_code) from error


def _libvirt_detail(error, uri):
    """libvirt's own words from a translated connection error, without the generic prefix and hint."""
    detail = error.message
    prefix = "Could not connect to libvirt at {0}: ".format(uri)
    if detail.startswith(prefix):
        detail = detail[len(prefix):]
    hint = " ({0})".format(lc.HINTS.get(error.error_code, ""))
    if detail.endswith(hint):
        detail = detail[:-len(hint)]
    return detail


@libvirt_call("read the job statistics of domain {name}")
def job_stats(domain, flags=0, name=None):
    return domain.jobStats(flags)


@libvirt_call("set the maximum downtime of domain {name} to {downtime} ms")
def set_max_downtime(domain, downtime, name=None):
    return domain.migrateSetMaxDowntime(downtime, 0)


@libvirt_call("switch the migration of domain {name} to post-copy")
def start_postcopy(domain, name=None):
    return domain.migrateStartPostCopy(0)


@libvirt_call("abort the migration job of domain {name}")
def abort_job(domain, name=None):
    return domain.abortJob()


@libvirt_call("migrate domain {name} to {destination}")
def migrate_p2p(domain, destination_uri, params, flags, name=None, destination=None):
    """Peer-to-peer: the source libvirtd connects to the destination itself."""
    return domain.migrateToURI3(destination_uri, params, flags)


@libvirt_call("migrate domain {name} to {destination}")
def migrate_managed(domain, destination_connection, params, flags, name=None, destination=None):
    """Managed (direct): this client drives both sides through its two connections."""
    return domain.migrate3(destination_connection, params, flags)


# --- the monitored run -----------------------------------------------------------------------------------


class MigrationJob:
    """Run ``call()`` (a blocking migration) in a thread while polling the source domain's job.

    ``max_downtime`` is not set here (the runner sets it before the start); ``postcopy_after`` switches to
    post-copy once the job has run that long; ``timeout`` aborts the job; so does a stall that ``watch`` (a
    stall.StallWatch, fed every poll's statistics; never in post-copy, which cannot be aborted) finds.
    ``destination_ready()`` tells the watch whether the destination runs the incoming domain.
    ``abort_grace``: how long the migration call may take to return after the abort. QEMU cancels at once, except in
    wait-unplug: then it first waits up to 30 s more for the guest to finish the unplug (to plug the VF back whole).
    """

    def __init__(self, domain, call, timeout, poll_interval=0.5, postcopy_after=None, clock=time.monotonic, abort_grace=90.0,
                 on_poll=None, watch=None, destination_ready=None):
        self.on_poll = on_poll  # called at every poll of the running job with the elapsed seconds and the job's type
        self.job_type = None  # the type of the job at the last poll (VIR_DOMAIN_JOB_*)
        self.domain = domain
        self.name = domain.name()
        self.call = call
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.postcopy_after = postcopy_after
        self.clock = clock
        self.abort_grace = abort_grace
        self.value = None
        self.error = None
        self.samples = []  # the last PROGRESS_SAMPLES_KEPT polls of the running job
        self.postcopy_started = False
        self.aborted = False
        self.abort_error = None  # why virDomainAbortJob failed, when it did
        self.watch = watch
        self.destination_ready = destination_ready
        self.stall = None  # the watch's verdict that aborted the job
        self.elapsed = 0.0
        self.finished = False
        self.notes = []

    def _worker(self):
        try:
            self.value = self.call()
        except Exception as error:  # pylint: disable=broad-except
            self.error = error  # the runner reports it

    def run(self):
        """Run and monitor the migration. Afterwards ``finished``, ``value``, ``error``, ``aborted`` and ``abort_error``
        tell how it ended."""
        started = self.clock()
        thread = threading.Thread(target=self._worker, name="migration", daemon=True)
        thread.start()
        while True:
            thread.join(self.poll_interval)
            if not thread.is_alive():
                break
            elapsed = self.clock() - started
            stats = self._sample(elapsed)
            if self.on_poll is not None:
                self.on_poll(elapsed, self.job_type)
            if self.postcopy_after is not None and not self.postcopy_started and elapsed >= self.postcopy_after:
                self._start_postcopy()
            if self.watch is not None and not self.postcopy_started:
                self.stall = self.watch.update(elapsed, stats, self.destination_ready)
                if self.stall is not None:
                    self._abort(thread, "aborted the job after {0:.1f} s: {1}".format(elapsed, self.stall["kind"]))
                    break
            if elapsed >= self.timeout:
                self._abort(thread, "aborted the job after {0:g} s".format(self.timeout))
                break
        self.finished = not thread.is_alive()
        self.elapsed = self.clock() - started

    @property
    def timed_out(self):
        """Aborted on timeout and not finished successfully anyway (a job can complete while it is being aborted)."""
        return self.aborted and self.stall is None and (self.error is not None or not self.finished)

    @property
    def stalled(self):
        """Aborted on a stall and not finished successfully anyway."""
        return self.stall is not None and (self.error is not None or not self.finished)

    def _sample(self, elapsed):
        """The job's statistics now (None when libvirt gave none), kept as a progress sample while the job runs."""
        try:
            stats = job_stats(self.domain, 0, name=self.name)
        except LibvirtCollectionError:
            return None  # the job may be ending: the thread tells how it ended
        self.job_type = (stats or {}).get("type", JOB_NONE)
        if self.job_type != JOB_NONE:
            self.samples.append(progress_sample(elapsed, stats))
            del self.samples[:-PROGRESS_SAMPLES_KEPT]
        return stats

    def _start_postcopy(self):
        try:
            start_postcopy(self.domain, name=self.name)
            self.postcopy_started = True
            self.notes.append("switched to post-copy")
        except LibvirtCollectionError as error:
            self.notes.append("could not switch to post-copy: {0}".format(error.message))
            self.postcopy_after = None  # do not retry every poll

    def _abort(self, thread, note):
        self.aborted = True
        try:
            abort_job(self.domain, name=self.name)
            self.notes.append(note)
        except LibvirtCollectionError as error:
            self.abort_error = error.message
            self.notes.append("could not abort the job: {0}".format(error.message))
        thread.join(self.abort_grace)  # the migration call returns once QEMU has cancelled
