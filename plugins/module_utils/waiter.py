# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Polling on a monotonic clock: wait until a predicate holds or a timeout passes.

The clock and the sleep are parameters so that tests run without waiting.
"""

from __future__ import annotations

import time
from collections import namedtuple

WaitResult = namedtuple("WaitResult", "ok value elapsed")


class Stopwatch:
    """Seconds since creation on a monotonic clock, rounded for results."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.started = clock()

    def elapsed(self):
        return self.clock() - self.started

    def seconds(self, digits=3):
        return round(self.elapsed(), digits)


def wait_for(predicate, timeout, interval=0.5, clock=time.monotonic, sleep=time.sleep):
    """Call ``predicate()`` until it returns a true value or ``timeout`` seconds pass.

    Returns ``WaitResult(ok, value, elapsed)``: ``value`` is the predicate's last return value.
    The predicate is always called at least once, and once more at the deadline, so a condition
    that became true while sleeping is not missed.
    """
    started = clock()
    while True:
        value = predicate()
        elapsed = clock() - started
        if value:
            return WaitResult(True, value, elapsed)
        if elapsed >= timeout:
            return WaitResult(False, value, elapsed)
        sleep(max(0.0, min(interval, timeout - elapsed)))
