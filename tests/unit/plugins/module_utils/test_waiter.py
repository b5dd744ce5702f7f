# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The monotonic-clock waiter, with a fake clock: no test sleeps."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.waiter import Stopwatch, wait_for


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("answers, timeout, interval, ok, calls, elapsed", [
    ([True], 5, 1, True, 1, 0),  # true at once: no sleep
    ([False, False, "x"], 5, 1, True, 3, 2),  # the value is returned
    ([False] * 10, 2.5, 1, False, 4, 2.5),  # 0, 1, 2, then once more at the deadline (2.5)
    ([False] * 10, 0, 1, False, 1, 0),  # timeout 0: one call
])
def test_wait_for(answers, timeout, interval, ok, calls, elapsed):
    clock = FakeClock()
    answers = list(answers)
    made = []

    def predicate():
        made.append(clock.now)
        return answers.pop(0)

    result = wait_for(predicate, timeout, interval, clock=clock, sleep=clock.sleep)
    assert result.ok is ok
    assert len(made) == calls
    assert result.elapsed == pytest.approx(elapsed)
    assert all(s <= interval for s in clock.sleeps)
    if ok:
        assert result.value


def test_stopwatch_rounds():
    clock = FakeClock()
    watch = Stopwatch(clock)
    clock.now += 1.23456
    assert watch.seconds() == 1.235
    assert watch.elapsed() == pytest.approx(1.23456)
