# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_lock through its main() (no libvirt needed) and its action plugin's take-over of a dead run's lock."""

import json
import os
from unittest.mock import MagicMock

from ansible.module_utils import basic

from ansible_collections.netfailover.standby.plugins.action import migration_lock as action_plugin
from ansible_collections.netfailover.standby.plugins.modules import migration_lock


def args(directory, **extra):
    return dict({"vm": "db:1", "run_id": "run-a", "directory": str(directory), "controller": "ctl1", "pid": 10},
                **extra)


def test_takes_keeps_refuses_and_releases(run_module, tmp_path):
    first = run_module(migration_lock.main, args(tmp_path, job_id="42"))
    assert not first.failed and first.result["changed"] and first.result["lock"] == str(tmp_path / "db%3A1")
    with open(str(tmp_path / "db%3A1" / "owner")) as handle:
        assert json.load(handle)["vm"] == "db:1"
    assert run_module(migration_lock.main, args(tmp_path)).result["changed"] is False
    other = run_module(migration_lock.main, args(tmp_path, run_id="run-b"))
    assert other.failed and other.result["held_by"]["job_id"] == "42"
    assert other.result["msg"].startswith("Another run is migrating db:1")
    kept = run_module(migration_lock.main, args(tmp_path, run_id="run-b", state="absent"))
    assert kept.result["changed"] is False and (tmp_path / "db%3A1").is_dir()
    gone = run_module(migration_lock.main, args(tmp_path, state="absent"))
    assert gone.result["changed"] is True and not (tmp_path / "db%3A1").exists()


def test_a_stale_lock_is_taken_over_with_a_warning(run_module, tmp_path, monkeypatch):
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _module, text: warned.append(text))
    run_module(migration_lock.main, args(tmp_path, started=1.0))
    result = run_module(migration_lock.main, args(tmp_path, run_id="run-b", stale_after=60))
    assert not result.failed and result.result["taken_over"]["run_id"] == "run-a"
    note = "Took over the lock {0} of db:1: it is older than 60 s".format(tmp_path / "db%3A1")
    assert len(warned) == 1 and warned[0].startswith(note)


def test_check_mode_takes_nothing(run_module, tmp_path):
    result = run_module(migration_lock.main, args(tmp_path, _ansible_check_mode=True))
    assert result.result["changed"] is True and os.listdir(str(tmp_path)) == []


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
