# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration/lock: a VM's lock with its owner, taken over when stale or dead, told apart from a lock error, released
only by its own run; the names of any domain; the shared mkdir primitive."""

import json
import os

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.migration import lock
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

NOW = 1_000_000.0


def owner(run_id="run-a", vm="vm1", started=NOW, **extra):
    return lock.new_owner(vm, run_id, controller=extra.get("controller", "ctl1"), pid=extra.get("pid", 4711),
                          job_id=extra.get("job_id"), started=started)


def take(directory, who, stale_after=3600, now=NOW, **kwargs):
    return lock.acquire(str(directory), who, stale_after, now=lambda: now, **kwargs)


def recorded(directory, vm="vm1"):
    with open(os.path.join(lock.lock_path(str(directory), vm), lock.OWNER_FILE)) as handle:
        return json.load(handle)


@pytest.mark.parametrize("vm, name", [
    ("vm1", "vm1"),
    ("db-2.example_x", "db-2.example_x"),
    ("db:1", "db%3A1"),
    ("my vm", "my%20vm"),
    ("vérité", "v%C3%A9rit%C3%A9"),
    (".hidden", "%2Ehidden"),
    ("..", "%2E."),
    ("vf-0000:3b:02.1", "vf-0000%3A3b%3A02.1"),  # never read as a VF reservation
])
def test_lock_names_are_safe_file_names(vm, name):
    assert lock.lock_name(vm) == name


def test_a_long_name_is_shortened_and_stays_unique():
    first, second = lock.lock_name("é" * 200 + "a"), lock.lock_name("é" * 200 + "b")
    assert len(first) <= lock.NAME_MAX and first != second and "/" not in first


def test_takes_a_free_lock_and_records_the_owner(tmp_path):
    directory = tmp_path / "locks"
    result = take(directory, owner(vm="db:1", job_id="42"))
    assert result["changed"] is True and result["held_by"] is None and result["taken_over"] is None
    assert result["lock"] == str(directory / "db%3A1")
    assert recorded(directory, "db:1") == {"vm": "db:1", "run_id": "run-a", "controller": "ctl1", "pid": 4711,
                                           "job_id": "42", "started": NOW}
    assert oct(os.stat(str(directory)).st_mode & 0o777) == "0o700"


def test_the_same_run_keeps_its_lock(tmp_path):
    take(tmp_path, owner())
    again = take(tmp_path, owner(started=NOW + 5), now=NOW + 5)
    assert again["changed"] is False and again["lock_owner"]["started"] == NOW


@pytest.mark.parametrize("held_for, take_over, taken", [
    (10, (), False),
    (3600, (), False),  # at the bound: not yet
    (3601, (), True),
    (10, ("run-a",), True),  # the controller found its process gone
    (10, ("run-x",), False),
])
def test_another_runs_lock_is_refused_or_taken_over(tmp_path, held_for, take_over, taken):
    take(tmp_path, owner(job_id="7"))
    if not taken:
        with pytest.raises(LibvirtCollectionError) as error:
            take(tmp_path, owner("run-b"), now=NOW + held_for, take_over=take_over)
        assert error.value.message.startswith(
            "Another run is migrating vm1: the lock {0} is held by run run-a (controller ctl1, pid 4711, AWX job 7), for "
            "{1} s. Nothing was changed.".format(tmp_path / "vm1", held_for))
        assert error.value.result["held_by"]["run_id"] == "run-a"
        assert recorded(tmp_path)["run_id"] == "run-a"
        return
    result = take(tmp_path, owner("run-b"), now=NOW + held_for, take_over=take_over)
    assert result["changed"] is True and result["taken_over"]["run_id"] == "run-a"
    why = "its run's process is gone" if take_over else "it is older than 3600 s"
    assert result["warnings"] == ["Took over the lock {0} of vm1: {1}; held by run run-a (controller ctl1, pid 4711, "
                                  "AWX job 7), for {2} s.".format(tmp_path / "vm1", why, held_for)]
    assert recorded(tmp_path)["run_id"] == "run-b"


def test_a_lock_of_an_older_release_ages_by_its_folder(tmp_path):
    os.mkdir(str(tmp_path / "vm1"))  # the old role's bare mkdir
    os.utime(str(tmp_path / "vm1"), (NOW - 100, NOW - 100))
    with pytest.raises(LibvirtCollectionError, match="held by a run that recorded no owner, for 100 s"):
        take(tmp_path, owner("run-b"))
    result = take(tmp_path, owner("run-b"), stale_after=60)
    assert result["taken_over"]["run_id"] is None and recorded(tmp_path)["run_id"] == "run-b"


def test_check_mode_changes_nothing(tmp_path):
    assert take(tmp_path / "missing", owner(), check_mode=True)["changed"] is True
    assert not (tmp_path / "missing").exists()
    assert take(tmp_path, owner(), check_mode=True)["changed"] is True and not (tmp_path / "vm1").exists()
    take(tmp_path, owner())
    stale = take(tmp_path, owner("run-b"), now=NOW + 4000, check_mode=True)
    assert stale["changed"] is True and stale["taken_over"]["run_id"] == "run-a" and recorded(tmp_path)["run_id"] == "run-a"
    assert lock.release(str(tmp_path), "vm1", "run-a", check_mode=True)["changed"] is True
    assert recorded(tmp_path)["run_id"] == "run-a"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_folder_error_is_a_lock_error_not_another_run(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(LibvirtCollectionError) as error:
            take(tmp_path / "locks", owner())
    finally:
        tmp_path.chmod(0o700)
    assert error.value.message.startswith("Could not create the lock folder {0}: Permission denied.".format(tmp_path / "locks"))
    assert "Another run" not in error.value.message


def test_a_mkdir_error_is_a_lock_error(tmp_path, monkeypatch):
    def refuse(_path, _mode):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(lock.os, "mkdir", refuse)
    with pytest.raises(LibvirtCollectionError) as error:
        take(tmp_path, owner())
    assert error.value.message == ("Could not lock vm1: mkdir {0} failed: Read-only file system. This is not another run "
                                   "holding it: fix the folder (permissions, file system). Nothing was changed.".format(
                                       tmp_path / "vm1"))


def test_release_removes_only_the_runs_own_lock(tmp_path):
    assert lock.release(str(tmp_path / "missing"), "vm1", "run-a")["changed"] is False
    take(tmp_path, owner())
    other = lock.release(str(tmp_path), "vm1", "run-b")
    assert other["changed"] is False and other["held_by"]["run_id"] == "run-a"
    assert other["warnings"][0].startswith("Left the lock {0} of vm1 alone: run run-a".format(tmp_path / "vm1"))
    assert (tmp_path / "vm1").is_dir()
    mine = lock.release(str(tmp_path), "vm1", "run-a")
    assert mine["changed"] is True and not (tmp_path / "vm1").exists()
    assert lock.release(str(tmp_path), "vm1", "run-a")["changed"] is False


def test_the_guard_is_exclusive(tmp_path):
    """A second holder of the guard waits, then gives up with a clear error (a run stuck holding it)."""
    ticks = iter(range(100))
    with lock._Guard(str(tmp_path)):  # pylint: disable=protected-access
        second = lock._Guard(str(tmp_path), wait=3, clock=lambda: next(ticks), sleep=lambda _s: None)  # pylint: disable=protected-access
        with pytest.raises(LibvirtCollectionError, match="Could not lock the guard .* within 3 s"):
            second.__enter__()
    with lock._Guard(str(tmp_path)):  # pylint: disable=protected-access
        pass  # released by the first


def test_create_is_false_when_the_folder_exists(tmp_path):
    path = str(tmp_path / "vf-0000:3b:02.0")
    assert lock.create(path, "vm1\n", "reserve VF") is True
    assert lock.create(path, "vm2\n", "reserve VF") is False
    assert lock.read_owner_text(path) == "vm1\n"
