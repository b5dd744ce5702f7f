# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_lock's action plugin: it records this controller and process, and takes over the lock of a run of this
controller whose process is gone (a second module call with take_over), never a live run's or another controller's."""

import os
from unittest.mock import MagicMock

from ansible_collections.netfailover.standby.plugins.action import migration_lock as action_plugin


def plugin(task_args, module_results, gone=True, hostname="ctl1"):
    task = MagicMock(args=task_args, async_val=0, check_mode=False, diff=False, action=action_plugin.MODULE)
    plugin_ = action_plugin.ActionModule(task, MagicMock(), MagicMock(), MagicMock(), MagicMock(), MagicMock())
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append(dict(module_args))
        return dict(module_results.pop(0))
    plugin_._execute_module = execute  # pylint: disable=protected-access
    plugin_.hostname = lambda: hostname
    plugin_.process_gone = lambda pid: gone
    return plugin_, calls


HELD = {"failed": True, "msg": "Another run is migrating vm1", "held_by": {"run_id": "run-a", "controller": "ctl1", "pid": 99}}


def test_the_plugin_records_the_controller_and_takes_over_a_dead_runs_lock():
    plugin_, calls = plugin({"vm": "vm1", "run_id": "run-b"}, [HELD, {"changed": True, "taken_over": {"run_id": "run-a"}}])
    result = plugin_.run(task_vars={})
    assert result["changed"] is True and not result.get("failed")
    assert calls[0]["controller"] == "ctl1" and calls[0]["pid"] == os.getppid() and "take_over" not in calls[0]
    assert calls[1]["take_over"] == ["run-a"]


def test_the_plugin_leaves_a_live_run_or_another_controllers_lock():
    for gone, hostname in ((False, "ctl1"), (True, "ctl2")):
        plugin_, calls = plugin({"vm": "vm1", "run_id": "run-b"}, [HELD], gone=gone, hostname=hostname)
        result = plugin_.run(task_vars={})
        assert result["failed"] and len(calls) == 1
