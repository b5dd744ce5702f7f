# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stall detection for a running migration, from the job statistics the runner polls (virDomainGetJobStats).

Two stalls, each with a bound:

- not_converging: pre-copy sends the guest's memory in passes; at the start of each pass (``memory_iteration`` grows)
  the data remaining is what the guest dirtied during the pass before. When the guest dirties memory faster than the
  bandwidth moves it, that figure stops falling and the migration never ends. A stall is ``stall_seconds`` without a
  pass that starts with at least 5% less data remaining than the best pass before it (the first pass, the bulk copy,
  is not compared), over at least one whole pass. A poll sees a pass some time after it started, when part of it was
  sent already: the figure is corrected by what the bandwidth moved since the end of the pass before, as the last poll
  of that pass lets estimate.
- wait_unplug: with a failover VF (QEMU's failover_pair_id, libvirt's <teaming>), QEMU asks the guest to unplug the
  VF once the destination is ready, and waits in its wait-unplug state, with no timeout of its own, before it moves
  any memory. libvirt reports no data to transfer then (it reads QEMU's RAM figures only once memory moves). A stall
  is ``unplug_timeout`` seconds without data, counted from the poll that first finds the destination ready.

Pure: no libvirt call; the runner feeds it and acts on the verdict (abort, auto-converge retry).
"""

from __future__ import annotations

NOT_CONVERGING = "not_converging"
WAIT_UNPLUG = "wait_unplug"
PROGRESS_RATIO = 0.95  # a pass must start with at most 95% of the best pass start's data remaining to count as progress
PASSES_KEPT = 20  # the last pass starts kept for the report
MIB = 1024 * 1024
DEFAULT_PAGE_SIZE = 4096  # libvirt omits memory_page_size for QEMUs that do not report it (x86: 4 KiB)
JOB_NONE = 0  # VIR_DOMAIN_JOB_NONE


def mib(value):
    return None if value is None else round(value / MIB, 2)


class StallWatch:
    """Watch one migration attempt. ``update()`` at every poll returns the stall (a dict) the first time one is found.

    ``stall_seconds``: the not_converging bound (None or 0: not watched); ``unplug_timeout``: the wait_unplug bound
    (None or 0: not watched).
    """

    def __init__(self, stall_seconds=None, unplug_timeout=None):
        self.stall_seconds = stall_seconds or None
        self.unplug_timeout = unplug_timeout or None
        self.passes = []  # the first sample of each pass seen: {iteration, elapsed_s, remaining_mib}
        self.iteration = 0
        self.best = None  # (data remaining, elapsed) of the best pass start since the first pass
        self.compared = False  # a pass started after the best one, not 5% better
        self.ready_at = None  # the elapsed seconds when the destination was first seen ready, no data moving yet
        self.moving = False  # memory moves (libvirt reports data to transfer)
        self.previous = None  # (elapsed, data remaining) of the last poll while memory moves
        self.last = {}  # the last statistics of the running job
        self.stall = None

    @property
    def watching(self):
        return bool(self.stall_seconds or self.unplug_timeout)

    def update(self, elapsed, stats, destination_ready=None):
        """One poll of the running job. ``stats``: libvirt's job statistics (raw names); ``destination_ready()``: whether
        the destination runs the incoming domain, asked only while no data moves and until it first says yes."""
        if self.stall is not None or not stats or stats.get("type", JOB_NONE) == JOB_NONE:
            return None
        self.last = stats
        if not stats.get("data_total"):
            return self._waiting(elapsed, destination_ready) if not self.moving else None
        self.moving = True
        iteration = stats.get("memory_iteration") or 0
        remaining = stats.get("data_remaining") or 0
        if iteration > self.iteration:
            self.iteration = iteration
            self._pass_started(iteration, elapsed, self._at_pass_start(elapsed, remaining, stats.get("memory_bps")))
        self.previous = (elapsed, remaining)
        if self.stall_seconds and self.compared and elapsed - self.best[1] >= self.stall_seconds:
            self.stall = self._verdict(NOT_CONVERGING, elapsed, stalled_for_s=round(elapsed - self.best[1], 1),
                                       bound_s=self.stall_seconds)
        return self.stall

    def _waiting(self, elapsed, destination_ready):
        if not self.unplug_timeout:
            return None
        if self.ready_at is None and destination_ready is not None and destination_ready():
            self.ready_at = elapsed
        if self.ready_at is not None and elapsed - self.ready_at >= self.unplug_timeout:
            self.stall = self._verdict(WAIT_UNPLUG, elapsed, stalled_for_s=round(elapsed - self.ready_at, 1),
                                       bound_s=self.unplug_timeout)
        return self.stall

    def _at_pass_start(self, elapsed, remaining, bandwidth):
        """The data remaining when the pass started: what the poll sees plus what the bandwidth moved since the pass
        before ended (estimated from that pass's last poll; never more than the time between the two polls)."""
        if self.previous is None or not bandwidth:
            return remaining
        between = elapsed - self.previous[0]
        since_start = min(between, max(0.0, between - self.previous[1] / bandwidth))
        return remaining + bandwidth * since_start

    def _pass_started(self, iteration, elapsed, remaining):
        self.passes.append({"iteration": iteration, "elapsed_s": round(elapsed, 1), "remaining_mib": mib(remaining)})
        del self.passes[:-PASSES_KEPT]
        if iteration < 2:
            return  # the bulk copy: what it starts with is the guest's memory, not what it dirtied
        if self.best is None or remaining <= self.best[0] * PROGRESS_RATIO:
            self.best = (remaining, elapsed)
            self.compared = False
        else:
            self.compared = True

    def _verdict(self, kind, elapsed, **figures):
        stats = self.last
        page_size = stats.get("memory_page_size") or DEFAULT_PAGE_SIZE
        dirty_rate = stats.get("memory_dirty_rate")
        verdict = {
            "kind": kind,
            "detected_after_s": round(elapsed, 1),
            "remaining_mib": mib(stats.get("data_remaining")) if self.moving else None,
            "best_remaining_mib": mib(self.best[0]) if self.best else None,
            "passes": list(self.passes),
            "dirty_rate_mibs": mib(dirty_rate * page_size) if dirty_rate is not None and self.moving else None,
            "bandwidth_mibs": mib(stats.get("memory_bps")) if self.moving else None,
            "auto_converge_throttle_percent": stats.get("auto_converge_throttle"),
        }
        verdict.update(figures)
        return verdict


def describe(stall):
    """The stall in words, with the figures that triggered it."""
    if stall["kind"] == WAIT_UNPLUG:
        return ("it moved no memory for {0:g} s after the destination was ready: QEMU waits in wait-unplug for the guest "
                "to release its failover VF, which the guest did not do (bound: {1:g} s)".format(
                    stall["stalled_for_s"], stall["bound_s"]))
    passes = stall["passes"]
    compared = [p for p in passes if p["iteration"] >= 2]
    series = ", ".join("{0:g}".format(p["remaining_mib"]) for p in compared[-6:])
    rates = []
    if stall.get("dirty_rate_mibs") is not None:
        rates.append("the guest dirtied {0:g} MiB/s".format(stall["dirty_rate_mibs"]))
    if stall.get("bandwidth_mibs") is not None:
        rates.append("the migration moved {0:g} MiB/s".format(stall["bandwidth_mibs"]))
    return ("it did not converge: the data remaining at the start of each memory pass did not fall by 5% for {0:g} s "
            "(bound: {1:g} s; MiB at the start of passes {2}-{3}: {4}){5}".format(
                stall["stalled_for_s"], stall["bound_s"], compared[-6:][0]["iteration"] if compared else "?",
                compared[-1]["iteration"] if compared else "?", series, "; " + " and ".join(rates) if rates else ""))
