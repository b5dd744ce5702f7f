# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""StallWatch: a pre-copy that does not converge, and QEMU's wait-unplug past its bound, from polled job statistics.

The pre-copy is simulated pass by pass at a fixed bandwidth (the figures libvirt reports as a lab guest rewriting a fixed
amount of memory showed them: the data remaining jumps at each pass start, then falls at the bandwidth).
"""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.migration import stall
from ansible_collections.netfailover.standby.plugins.module_utils.migration.stall import StallWatch

MIB = 1024 * 1024
UNBOUNDED = 2  # VIR_DOMAIN_JOB_UNBOUNDED


def precopy(passes, bandwidth_mib=2.5, poll=0.5, dirty_pages=640):
    """(elapsed, job statistics) at every poll of a pre-copy whose passes start with ``passes`` MiB remaining each."""
    samples = []
    elapsed = 0.0
    pass_started = 0.0
    for iteration, size in enumerate(passes, start=1):
        while True:
            remaining = size - (elapsed - pass_started) * bandwidth_mib
            if remaining <= 0:
                pass_started += size / bandwidth_mib
                break
            samples.append((elapsed, {"type": UNBOUNDED, "data_total": 256 * MIB, "data_remaining": int(remaining * MIB),
                                      "memory_iteration": iteration, "memory_bps": int(bandwidth_mib * MIB),
                                      "memory_dirty_rate": dirty_pages if iteration > 1 else 0,
                                      "memory_page_size": 4096}))
            elapsed = round(elapsed + poll, 3)
    return samples


def feed(watch, samples, **kwargs):
    """Feed the samples until the watch finds a stall; that stall, or None."""
    for elapsed, stats in samples:
        found = watch.update(elapsed, stats, **kwargs)
        if found is not None:
            return found
    return None


def test_a_migration_whose_passes_keep_falling_never_stalls():
    assert feed(StallWatch(stall_seconds=5), precopy([110, 32, 20, 12, 7, 4, 2])) is None


def test_a_guest_that_dirties_as_fast_as_the_bandwidth_stalls_after_the_bound():
    # pass 1 is the bulk copy (44 s); then every pass starts with the guest's 32 MiB again (12.8 s each)
    watch = StallWatch(stall_seconds=20)
    found = feed(watch, precopy([110] + [32] * 6))
    assert found["kind"] == stall.NOT_CONVERGING
    assert found["bound_s"] == 20 and found["stalled_for_s"] >= 20
    # pass 2 started at 44 s and is the best; pass 3 (56.8 s) was no better, and 20 s after pass 2 the watch gives up
    assert found["detected_after_s"] == pytest.approx(64, abs=0.6)
    assert [p["iteration"] for p in found["passes"]] == [1, 2, 3]
    assert all(p["remaining_mib"] == pytest.approx(32, abs=0.5) for p in found["passes"][1:])
    assert found["best_remaining_mib"] == pytest.approx(32, abs=0.5)
    assert found["dirty_rate_mibs"] == 2.5  # 640 pages of 4 KiB a second
    assert found["bandwidth_mibs"] == 2.5
    assert watch.update(70, precopy([32])[0][1]) is None  # found once


def test_the_bulk_pass_is_never_compared_however_long():
    assert feed(StallWatch(stall_seconds=5), precopy([400])) is None


def test_no_stall_before_a_pass_was_compared():
    # pass 2 is the first compared: however long it lasts, nothing says yet that the next one will not start lower
    assert feed(StallWatch(stall_seconds=5), precopy([10, 100])) is None


def test_progress_restarts_the_clock():
    # 32 MiB, then 10% less at each pass: converging, if slowly
    passes = [110, 32, 28.8, 25.9, 23.3, 21, 18.9, 17]
    assert feed(StallWatch(stall_seconds=15), precopy(passes)) is None
    # less than 5% less at each pass: no progress
    assert feed(StallWatch(stall_seconds=15), precopy([110, 32, 31, 30.2, 29.5, 28.8]))["kind"] == stall.NOT_CONVERGING


def test_a_late_poll_sees_the_pass_start_corrected_by_what_the_bandwidth_moved():
    watch = StallWatch(stall_seconds=60)
    watch.update(10.0, {"type": UNBOUNDED, "data_total": 1, "data_remaining": 1 * MIB, "memory_iteration": 1,
                        "memory_bps": 2 * MIB})
    # the pass before ended 0.5 s after that poll (1 MiB at 2 MiB/s); this poll comes 1.5 s after it, 1 s into the new pass
    watch.update(11.5, {"type": UNBOUNDED, "data_total": 1, "data_remaining": 30 * MIB, "memory_iteration": 2,
                        "memory_bps": 2 * MIB})
    assert watch.passes[-1]["remaining_mib"] == 32


def test_wait_unplug_counts_from_the_destination_being_ready():
    ready_after = 4.0
    asked = []

    def destination_ready():
        asked.append(elapsed)
        return elapsed >= ready_after

    watch = StallWatch(stall_seconds=60, unplug_timeout=10)
    waiting = {"type": UNBOUNDED, "data_total": 0, "data_remaining": 0, "memory_iteration": 0, "memory_dirty_rate": 0}
    found = None
    elapsed = 0.0
    while found is None and elapsed < 30:
        found = watch.update(elapsed, waiting, destination_ready)
        elapsed += 0.5
    assert found["kind"] == stall.WAIT_UNPLUG
    assert found["detected_after_s"] == 14.0 and found["stalled_for_s"] == 10.0 and found["bound_s"] == 10
    assert found["remaining_mib"] is None and found["dirty_rate_mibs"] is None and found["bandwidth_mibs"] is None
    assert asked[-1] == ready_after  # not asked again once ready


def test_wait_unplug_ends_when_memory_moves():
    watch = StallWatch(unplug_timeout=5)
    waiting = {"type": UNBOUNDED, "data_total": 0}
    assert watch.update(0, waiting, lambda: True) is None
    assert feed(watch, [(t + 3.0, s) for t, s in precopy([40, 2])]) is None  # memory moves from 3 s on


@pytest.mark.parametrize("kwargs", [{}, {"stall_seconds": 0, "unplug_timeout": 0}])
def test_nothing_is_watched_without_bounds(kwargs):
    watch = StallWatch(**kwargs)
    assert not watch.watching
    assert feed(watch, precopy([110] + [32] * 10)) is None
    assert feed(watch, [(t, {"type": UNBOUNDED, "data_total": 0}) for t in range(100)], destination_ready=lambda: True) is None


def test_no_job_or_no_statistics_is_not_a_poll():
    watch = StallWatch(stall_seconds=1, unplug_timeout=1)
    assert watch.update(0, None) is None
    assert watch.update(5, {"type": 0}) is None  # VIR_DOMAIN_JOB_NONE: the job is ending
    assert watch.last == {}


def test_describe_says_what_triggered_the_stall():
    found = feed(StallWatch(stall_seconds=20), precopy([110] + [32] * 6))
    text = stall.describe(found)
    assert text.startswith("it did not converge: the data remaining at the start of each memory pass did not fall by "
                           "5% for 2")
    assert "(bound: 20 s; MiB at the start of passes 2-3: 32, 32)" in text
    assert text.endswith("the guest dirtied 2.5 MiB/s and the migration moved 2.5 MiB/s")
    waited = {"kind": stall.WAIT_UNPLUG, "stalled_for_s": 20.5, "bound_s": 20}
    assert stall.describe(waited) == (
        "it moved no memory for 20.5 s after the destination was ready: QEMU waits in wait-unplug for the guest to "
        "release its failover VF, which the guest did not do (bound: 20 s)")
