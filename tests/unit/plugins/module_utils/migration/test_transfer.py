# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Migration flags and parameters, job statistics, and the monitored run (progress, post-copy, abort on timeout).

libvirt's test driver cannot migrate (it refuses p2p and has no job statistics): a fake domain stands in.
"""

import threading

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.plugins.module_utils.migration import transfer as mg
from ansible_collections.netfailover.standby.plugins.module_utils.migration.stall import StallWatch
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import LAB_COMPLETED, FakeDomain, libvirt, libvirt_error


def test_constants_match_libvirt():
    assert (mg.MIGRATE_LIVE, mg.MIGRATE_PEER2PEER, mg.MIGRATE_PERSIST_DEST, mg.MIGRATE_UNDEFINE_SOURCE,
            mg.MIGRATE_AUTO_CONVERGE, mg.MIGRATE_POSTCOPY) == (
        libvirt.VIR_MIGRATE_LIVE, libvirt.VIR_MIGRATE_PEER2PEER, libvirt.VIR_MIGRATE_PERSIST_DEST,
        libvirt.VIR_MIGRATE_UNDEFINE_SOURCE, libvirt.VIR_MIGRATE_AUTO_CONVERGE, libvirt.VIR_MIGRATE_POSTCOPY)
    assert (mg.PARAM_URI, mg.PARAM_BANDWIDTH, mg.PARAM_DEST_XML) == (
        libvirt.VIR_MIGRATE_PARAM_URI, libvirt.VIR_MIGRATE_PARAM_BANDWIDTH, libvirt.VIR_MIGRATE_PARAM_DEST_XML)
    assert (mg.JOB_STATS_COMPLETED, mg.JOB_STATS_KEEP_COMPLETED, mg.JOB_NONE) == (
        libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED, libvirt.VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED, libvirt.VIR_DOMAIN_JOB_NONE)


@pytest.mark.parametrize("kwargs, value, names", [
    ({}, 27, ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST", "VIR_MIGRATE_UNDEFINE_SOURCE"]),
    ({"mode": "managed"}, 25, ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PERSIST_DEST", "VIR_MIGRATE_UNDEFINE_SOURCE"]),
    ({"persistent": False, "undefine_source": False}, 3, ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER"]),
    ({"auto_converge": True, "postcopy": True}, 27 | 8192 | 32768,
     ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST", "VIR_MIGRATE_UNDEFINE_SOURCE",
      "VIR_MIGRATE_AUTO_CONVERGE", "VIR_MIGRATE_POSTCOPY"]),
])
def test_migration_flags(kwargs, value, names):
    assert mg.migration_flags(**kwargs) == (value, names)


@pytest.mark.parametrize("kwargs, params", [
    ({}, {}),
    ({"migrate_uri": "tcp://198.51.100.12"}, {"migrate_uri": "tcp://198.51.100.12"}),
    ({"bandwidth": 1000}, {"bandwidth": 1000}),
    ({"bandwidth": 0}, {}),  # 0: unlimited, as not given
    ({"destination_xml": "<domain/>", "migrate_uri": "tcp://h"}, {"destination_xml": "<domain/>", "migrate_uri": "tcp://h"}),
])
def test_migration_params(kwargs, params):
    assert mg.migration_params(**kwargs) == params


def test_normalize_job_puts_units_in_the_names_and_keeps_libvirt_s_dict():
    job = mg.normalize_job(LAB_COMPLETED)
    assert job["downtime_ms"] == 52 and job["downtime_net_ms"] == 49 and job["time_elapsed_ms"] == 4426
    assert job["data_total_bytes"] == 269230080 and job["data_processed_bytes"] == 109113326
    assert job["memory_iteration"] == 3 and job["memory_page_size_bytes"] == 4096
    assert job["libvirt"] == LAB_COMPLETED
    assert "time_remaining_ms" not in job  # only what libvirt gave
    assert mg.normalize_job(None) is None and mg.normalize_job({}) is None


def test_open_destination_failure_says_what_to_check(monkeypatch):
    def refuse(uri, read_only):
        raise lc.LibvirtCollectionError(
            "Could not connect to libvirt at {0}: unable to connect to server at '198.51.100.99:16509': No route to host "
            "({1})".format(uri, lc.HINTS[lc.VIR_ERR_SYSTEM_ERROR]), error_code=lc.VIR_ERR_SYSTEM_ERROR)

    monkeypatch.setattr(lc, "open_connection", refuse)
    with pytest.raises(lc.LibvirtCollectionError) as error:
        mg.open_destination("qemu+tcp://198.51.100.99/system")
    assert error.value.message == (
        "Cannot reach destination libvirt at qemu+tcp://198.51.100.99/system: unable to connect to server at "
        "'198.51.100.99:16509': No route to host; check that libvirtd runs there and accepts this transport (for qemu+tcp: "
        "listen_tcp and auth_tcp in libvirtd.conf, libvirtd --listen), that this host can reach it, and the URI. Nothing "
        "was done: the domain stays where it is.")
    assert error.value.error_code == lc.VIR_ERR_SYSTEM_ERROR


def test_open_destination_opens_read_only_against_the_test_driver():
    connection = mg.open_destination("test:///default")
    assert connection.getURI() == "test:///default"
    connection.close()


# --- the monitored run --------------------------------------------------------------------------------------------


def running(processed, remaining, iteration=1):
    return {"type": libvirt.VIR_DOMAIN_JOB_UNBOUNDED, "data_processed": processed, "data_remaining": remaining,
            "memory_iteration": iteration}


class Migration:
    """A blocking migration call that ends when told to (or when aborted)."""

    def __init__(self, domain, fail=None):
        self.done = threading.Event()
        self.fail = fail
        self.domain = domain

    def __call__(self):
        self.done.wait(10)
        if self.domain.calls and self.domain.calls[-1][0] == "abortJob":
            raise libvirt_error("operation aborted: migration out: canceled by client", libvirt.VIR_ERR_OPERATION_ABORTED)
        if self.fail:
            raise self.fail
        return 0


def finish_after(migration, seconds):
    timer = threading.Timer(seconds, migration.done.set)
    timer.start()
    return timer


def test_progress_is_sampled_while_the_migration_runs():
    domain = FakeDomain()
    domain.jobs = [running(0, 100), running(50, 50, 2), running(100, 0, 3)]
    migration = Migration(domain)
    finish_after(migration, 0.35)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.05)
    job.run()
    assert job.finished and job.error is None and not job.aborted and not job.timed_out
    assert job.samples[0]["data_processed_bytes"] == 0
    assert job.samples[-1] == {"elapsed_seconds": job.samples[-1]["elapsed_seconds"], "data_processed_bytes": 100,
                               "data_remaining_bytes": 0, "memory_iteration": 3}
    assert 0.3 <= job.elapsed < 2


def test_samples_are_capped():
    domain = FakeDomain()
    domain.jobs = [running(1, 1)]
    migration = Migration(domain)
    finish_after(migration, 0.5)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.001)
    job.run()
    assert 0 < len(job.samples) <= mg.PROGRESS_SAMPLES_KEPT


def test_timeout_aborts_the_job():
    domain = FakeDomain()
    domain.jobs = [running(10, 90)]
    domain.abortJob = lambda: (domain.calls.append(("abortJob",)), migration.done.set(), 0)[-1]
    migration = Migration(domain)
    job = mg.MigrationJob(domain, migration, timeout=0.2, poll_interval=0.05)
    job.run()
    assert job.aborted and job.timed_out and job.finished
    assert "operation aborted" in str(job.error)
    assert job.notes == ["aborted the job after 0.2 s"]


def test_a_job_that_completes_while_being_aborted_is_a_success():
    domain = FakeDomain()
    migration = Migration(domain)

    def abort():
        domain.calls.append(("abort attempted",))
        migration.done.set()  # it finished anyway
        raise libvirt_error("Requested operation is not valid: no job is active on the domain", libvirt.VIR_ERR_OPERATION_INVALID)

    domain.abortJob = abort
    job = mg.MigrationJob(domain, migration, timeout=0.1, poll_interval=0.05)
    job.run()
    assert job.aborted and not job.timed_out and job.error is None
    assert job.notes[0].startswith("could not abort the job: Could not abort the migration job of domain vm1")


def test_a_failed_abort_is_recorded():
    domain = FakeDomain()
    migration = Migration(domain)

    def abort():
        raise libvirt_error("Timed out during operation: cannot acquire state change lock", libvirt.VIR_ERR_OPERATION_TIMEOUT)

    domain.abortJob = abort
    job = mg.MigrationJob(domain, migration, timeout=0.1, poll_interval=0.05, abort_grace=0.1)
    job.run()
    migration.done.set()
    assert job.aborted and job.timed_out
    assert job.abort_error.startswith("Could not abort the migration job of domain vm1") and "state change lock" in job.abort_error


def test_a_migration_that_never_returns_after_abort_still_times_out():
    domain = FakeDomain()
    migration = Migration(domain)
    job = mg.MigrationJob(domain, migration, timeout=0.1, poll_interval=0.05, abort_grace=0.1)
    job.run()
    migration.done.set()
    assert job.timed_out and not job.finished


def test_postcopy_switch_after_the_delay():
    domain = FakeDomain()
    domain.jobs = [running(10, 90)]
    migration = Migration(domain)
    finish_after(migration, 0.4)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.05, postcopy_after=0.2)
    job.run()
    assert job.postcopy_started and job.notes == ["switched to post-copy"]
    assert [c for c in domain.calls if c[0] == "migrateStartPostCopy"] == [("migrateStartPostCopy", 0)]


def test_a_refused_postcopy_switch_is_noted_once():
    domain = FakeDomain()
    domain.errors["migrateStartPostCopy"] = libvirt_error("post-copy migration was not enabled", libvirt.VIR_ERR_OPERATION_INVALID)
    migration = Migration(domain)
    finish_after(migration, 0.3)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.02, postcopy_after=0)
    job.run()
    assert not job.postcopy_started
    assert len([c for c in domain.calls if c[0] == "migrateStartPostCopy"]) == 1
    assert "could not switch to post-copy" in job.notes[0]


def test_a_failing_migration_keeps_the_error():
    domain = FakeDomain()
    migration = Migration(domain, fail=RuntimeError("boom"))
    migration.done.set()
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.05)
    job.run()
    assert isinstance(job.error, RuntimeError) and not job.timed_out


def test_job_stats_errors_while_polling_are_ignored():
    domain = FakeDomain()
    domain.errors["jobStats"] = libvirt_error("Domain not found", libvirt.VIR_ERR_NO_DOMAIN)
    migration = Migration(domain)
    finish_after(migration, 0.2)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.05)
    job.run()
    assert job.samples == [] and job.error is None


# --- stalls -------------------------------------------------------------------------------------------------------


def not_converging():
    """The job statistics of a migration whose every pass after the bulk copy starts with 32 MiB again."""
    def at(iteration, remaining_mib):
        return {"type": libvirt.VIR_DOMAIN_JOB_UNBOUNDED, "data_total": 256 << 20, "data_remaining": remaining_mib << 20,
                "memory_iteration": iteration, "memory_bps": 2 << 20, "memory_dirty_rate": 512, "memory_page_size": 4096}
    return [at(1, 100), at(2, 32), at(2, 16), at(3, 32), at(3, 16), at(4, 32), at(4, 16)]


def aborting(domain, migration):
    """abortJob ends the blocking call (as QEMU's cancel does)."""
    def abort():
        domain.calls.append(("abortJob",))
        migration.done.set()
        return 0
    return abort


def test_a_stall_aborts_the_job_and_is_not_a_timeout():
    domain = FakeDomain()
    domain.jobs = not_converging()
    migration = Migration(domain)
    domain.abortJob = aborting(domain, migration)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.02, watch=StallWatch(stall_seconds=0.05))
    job.run()
    assert job.stalled and not job.timed_out and job.finished
    assert job.stall["kind"] == "not_converging" and [p["iteration"] for p in job.stall["passes"]] == [1, 2, 3]
    assert job.notes == ["aborted the job after {0:.1f} s: not_converging".format(job.stall["detected_after_s"])]


def test_a_stalled_job_that_completes_while_being_aborted_is_a_success():
    domain = FakeDomain()
    domain.jobs = not_converging()
    migration = Migration(domain)

    def abort():
        migration.done.set()  # it finished anyway
        raise libvirt_error("Requested operation is not valid: no job is active on the domain", libvirt.VIR_ERR_OPERATION_INVALID)

    domain.abortJob = abort
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.02, watch=StallWatch(stall_seconds=0.05))
    job.run()
    assert job.stall is not None and not job.stalled and job.error is None


def test_no_stall_is_looked_for_in_post_copy():
    domain = FakeDomain()
    domain.jobs = not_converging()
    migration = Migration(domain)
    finish_after(migration, 0.4)
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.02, postcopy_after=0,
                          watch=StallWatch(stall_seconds=0.05))
    job.run()
    assert job.postcopy_started and job.stall is None and not job.aborted


def test_wait_unplug_aborts_once_the_destination_was_ready_for_the_bound():
    domain = FakeDomain()
    domain.jobs = [{"type": libvirt.VIR_DOMAIN_JOB_UNBOUNDED, "data_total": 0, "data_remaining": 0}]
    migration = Migration(domain)
    domain.abortJob = aborting(domain, migration)
    asked = []
    job = mg.MigrationJob(domain, migration, timeout=5, poll_interval=0.02, watch=StallWatch(unplug_timeout=0.1),
                          destination_ready=lambda: asked.append(1) or len(asked) >= 3)
    job.run()
    assert job.stalled and job.stall["kind"] == "wait_unplug" and len(asked) == 3


def test_auto_converge_params():
    assert mg.auto_converge_params() == {}
    assert mg.auto_converge_params(30, 5) == {"auto_converge.initial": 30, "auto_converge.increment": 5}
    assert (mg.PARAM_AUTO_CONVERGE_INITIAL, mg.PARAM_AUTO_CONVERGE_INCREMENT) == (
        libvirt.VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, libvirt.VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT)
