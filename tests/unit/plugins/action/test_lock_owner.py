# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller's side of the lock (plugin_utils/lock_owner.py), shared by the actions of migration_lock and
migration_preflight: the owner filled in only when the task takes the lock, a dead run's lock of this controller taken
over by a second module call, never a live run's, another controller's, or after a failure that is not the lock's."""

import os
import subprocess
from unittest.mock import MagicMock

import pytest

from ansible_collections.netfailover.standby.plugins.action import migration_lock, migration_preflight
from ansible_collections.netfailover.standby.plugins.plugin_utils import lock_owner

HELD = {"failed": True, "msg": "Another run is migrating vm1", "held_by": {"run_id": "run-a", "controller": "ctl1", "pid": 99}}
LOCK = {"vm": "vm1", "lock_directory": "/run/locks"}


def plugin(action, task_args, module_results, gone=True, hostname="ctl1"):
    task = MagicMock(args=task_args, async_val=0, check_mode=False, diff=False, action=action.MODULE)
    plugin_ = action.ActionModule(task, MagicMock(), MagicMock(), MagicMock(), MagicMock(), MagicMock())
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append((module_name, dict(module_args)))
        return dict(module_results.pop(0))
    plugin_._execute_module = execute  # pylint: disable=protected-access
    plugin_.hostname = lambda: hostname
    plugin_.process_gone = lambda pid: gone
    return plugin_, calls


@pytest.mark.parametrize("action, args, takes", [
    (migration_lock, {"vm": "vm1"}, True),
    (migration_lock, {"vm": "vm1", "run_id": "run-b", "state": "absent"}, False),
    (migration_preflight, {"name": "vm1", "destination_uri": "qemu:///x", "lock_directory": "/run/locks"}, True),
    (migration_preflight, {"name": "vm1", "destination_uri": "qemu:///x"}, False),  # by hand, without a lock
    (migration_preflight, {"name": "vm1", "side": "destination", "bridges": ["br0"]}, False),
])
def test_the_owner_is_filled_in_only_when_the_task_takes_the_lock(action, args, takes):
    plugin_, calls = plugin(action, args, [{"changed": False}])
    assert plugin_.run(task_vars={})["changed"] is False
    assert [name for name, _args in calls] == [action.MODULE]
    sent = calls[0][1]
    if takes:
        assert sent["controller"] == "ctl1" and sent["pid"] == os.getppid() and len(sent["run_id"]) == 32
        assert isinstance(sent["started"], float) and "take_over" not in sent
    else:
        assert sent == args


@pytest.mark.parametrize("action, args", [(migration_lock, {"vm": "vm1"}), (migration_preflight, LOCK)])
def test_a_dead_runs_lock_of_this_controller_is_taken_over_by_a_second_call(action, args):
    plugin_, calls = plugin(action, args, [HELD, {"changed": True, "taken_over": {"run_id": "run-a"}, "lock_owner": {"run_id": "x"}}])
    result = plugin_.run(task_vars={})
    assert result["changed"] is True and not result.get("failed") and result["lock_owner"] == {"run_id": "x"}
    first, second = calls[0][1], calls[1][1]
    assert second["take_over"] == ["run-a"] and second["run_id"] == first["run_id"]  # the same run, asking again


@pytest.mark.parametrize("action, args", [(migration_lock, {"vm": "vm1"}), (migration_preflight, LOCK)])
@pytest.mark.parametrize("gone, hostname, first", [
    (False, "ctl1", HELD),  # its process lives: a live run
    (True, "ctl2", HELD),  # another controller: this one cannot tell
    (True, "ctl1", {"failed": True, "msg": "vm1's guest is not ready", "held_by": None, "lock_owner": {"run_id": "x"}}),
])
def test_no_take_over_of_a_live_run_another_controllers_lock_or_after_another_failure(action, args, gone, hostname, first):
    plugin_, calls = plugin(action, args, [first], gone=gone, hostname=hostname)
    result = plugin_.run(task_vars={})
    assert result["failed"] and result["msg"] == first["msg"] and len(calls) == 1


@pytest.mark.parametrize("result, expected", [
    (HELD, "run-a"),
    (dict(HELD, failed=False), None),
    (dict(HELD, held_by={"run_id": "run-a", "controller": "ctl1"}), None),  # no pid recorded: cannot tell
    (dict(HELD, held_by={"controller": "ctl1", "pid": 99}), None),  # an older release's lock: no run id
])
def test_dead_holder(result, expected):
    assert lock_owner.dead_holder(result, {"controller": "ctl1"}, gone=lambda pid: pid == 99) == expected


def test_owner_args_keeps_what_the_task_gave():
    args = lock_owner.owner_args({"vm": "vm1", "run_id": "given", "pid": 7}, hostname=lambda: "ctl9")
    assert args["run_id"] == "given" and args["pid"] == 7 and args["controller"] == "ctl9"


def test_process_gone():
    ended = subprocess.Popen(["true"])
    ended.wait()
    assert lock_owner.process_gone(os.getpid()) is False and lock_owner.process_gone(ended.pid) is True
