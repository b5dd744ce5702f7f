# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_lock through its main() (no libvirt needed): take, keep, refuse, take over, release; check mode."""

import json
import os

from ansible.module_utils import basic

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
