# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark instrument (lab only): the wall-clock time of every task's start and of every host's result.

Enabled by lab/bench/run.py alone (ANSIBLE_CALLBACK_PLUGINS=lab/bench/callbacks, ANSIBLE_CALLBACKS_ENABLED=bench_steps);
it writes one JSON object per line to $NFLAB_BENCH_EVENTS. Nothing in the role changes for it: the role's report gives
each step's module-reported seconds, this gives where each step sits on the wall clock (for the timeline).
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_steps
type: aggregate
short_description: Wall-clock start and end of every task, as JSON lines (netfailover.standby benchmarks)
description:
  - Writes one JSON object per event to the file named by the environment variable E(NFLAB_BENCH_EVENTS).
requirements:
  - enable in configuration
"""


class CallbackModule(CallbackBase):
    """Append-only JSON lines: playbook_start, task_start, result (per host), playbook_end."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_steps"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.path = os.environ.get("NFLAB_BENCH_EVENTS")

    def write(self, event, **fields):
        if not self.path:
            return
        fields.update(event=event, time=round(time.time(), 4))
        with open(self.path, "a", encoding="utf-8") as events:
            events.write(json.dumps(fields) + "\n")

    def v2_playbook_on_start(self, playbook):
        self.write("playbook_start")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.write("task_start", uuid=task._uuid, name=task.get_name(), register=task.register or None)  # pylint: disable=protected-access

    def _result(self, result, status):
        task = result._task  # pylint: disable=protected-access
        self.write("result", uuid=task._uuid, name=task.get_name(), register=task.register or None,  # pylint: disable=protected-access
                   host=result._host.get_name(), status=status)  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self.write("playbook_end")
