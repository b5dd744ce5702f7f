# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_report: the report is written on the controller, atomically, only when its text changes."""

import json
import stat
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.netfailover.standby.plugins.action.migration_report import ActionModule

REPORT = {"vm": "vm1", "outcome": "migrated", "steps": [{"step": "live_migrate", "seconds": 2.1}]}


def action(args, check_mode=False, diff=False):
    task = MagicMock(args=args, async_val=0, check_mode=check_mode, diff=diff, action="netfailover.standby.migration_report")
    connection = MagicMock()
    connection._shell.tmpdir = "/unused"  # pylint: disable=protected-access
    return ActionModule(task, connection, MagicMock(), MagicMock(), MagicMock(), MagicMock())


def test_writes_the_report_and_its_folders(tmp_path):
    path = tmp_path / "reports" / "deep" / "vm1.json"
    result = action({"path": str(path), "content": REPORT}).run(task_vars={})
    assert result["changed"] is True and result["path"] == str(path)
    assert json.loads(path.read_text()) == REPORT
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["vm1.json"]  # no temporary file left behind


def test_the_same_report_again_is_no_change_and_a_new_one_replaces_it(tmp_path):
    path = tmp_path / "vm1.json"
    action({"path": str(path), "content": REPORT}).run(task_vars={})
    assert action({"path": str(path), "content": REPORT}).run(task_vars={})["changed"] is False
    newer = dict(REPORT, outcome="rolled_back")
    result = action({"path": str(path), "content": newer, "mode": "0600"}, diff=True).run(task_vars={})
    assert result["changed"] is True and json.loads(path.read_text())["outcome"] == "rolled_back"
    assert '"migrated"' in result["diff"]["before"] and '"rolled_back"' in result["diff"]["after"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "vm1.json"
    result = action({"path": str(path), "content": REPORT}, check_mode=True).run(task_vars={})
    assert result["changed"] is True and not path.exists()


@pytest.mark.parametrize("args, message", [
    ({"content": REPORT}, "missing required arguments: path"),
    ({"path": "/tmp/x.json", "content": REPORT, "mode": "rw"}, "mode must be an octal string such as '0644', not 'rw'"),
    ({"path": "/tmp/x.json", "content": "not a dict"}, "content"),
])
def test_bad_arguments_are_clear(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        action(args).run(task_vars={})


def test_a_folder_that_cannot_be_made_says_so(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(AnsibleActionFail, match="Cannot write the report .*Give a writable folder"):
        action({"path": str(blocker / "vm1.json"), "content": REPORT}).run(task_vars={})


@pytest.mark.parametrize("vm", ["db:1", "hv2", "web 1", "ünïcødé", "é" * 125])  # the last one: 250 bytes, + .json = 255
def test_any_domain_name_names_its_report(tmp_path, vm):
    path = tmp_path / "{0}.json".format(vm)
    result = action({"path": str(path), "content": {"vm": vm}}).run(task_vars={})
    assert result["changed"] and json.loads(path.read_text(encoding="utf-8")) == {"vm": vm}
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left beside it
