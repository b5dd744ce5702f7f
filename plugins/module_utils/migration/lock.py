# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Locks in a folder on a host, made with ``mkdir`` (atomic): one per VM being migrated (on the source), one per VF
reserved for a run (on the destination, host/vf_reservation.py).

A lock is a directory with a file ``owner``. A VM's lock is ``<folder>/<the VM's name, percent-encoded>`` and its
owner file is JSON: the VM's real name, the run's id, the controller host and process, the AWX job and the start time.
Taking, taking over and releasing a VM's lock happen under an ``flock`` of ``<folder>/.guard``, so two runs that
find the same stale lock cannot both take it over. A lock is stale when it is older than ``stale_after`` seconds or
when the controller found its run's process gone (``take_over``); an ``OSError`` other than "exists" is a lock error
(permissions, read-only file system), never read as another run holding the lock.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from urllib.parse import quote

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

OWNER_FILE = "owner"
GUARD_FILE = ".guard"
GUARD_WAIT_SECONDS = 10.0
NAME_MAX = 200  # an encoded name longer than this is shortened and made unique by a hash (file names end at 255 bytes)
OWNER_KEYS = ("vm", "run_id", "controller", "pid", "job_id", "started")


# --- the primitives, shared with the VF reservations -------------------------------------------------------------


def make_folder(directory, what):
    """Create ``directory`` (0700) and its parents; a LibvirtCollectionError naming ``what`` when that fails."""
    try:
        os.makedirs(directory, 0o700, exist_ok=True)
    except OSError as error:
        raise LibvirtCollectionError("Could not create the {0} {1}: {2}. Nothing was changed.".format(
            what, directory, error.strerror)) from error


def create(path, owner_text, what):
    """``mkdir path`` and write ``owner_text`` into its owner file. False when the directory exists already (another
    run made it first); any other error raises a LibvirtCollectionError naming ``what``."""
    try:
        os.mkdir(path, 0o700)
    except OSError as error:
        if error.errno == errno.EEXIST:
            return False
        raise LibvirtCollectionError("Could not {0}: mkdir {1} failed: {2}. This is not another run holding it: fix the "
                                     "folder (permissions, file system). Nothing was changed.".format(
                                         what, path, error.strerror)) from error
    try:
        with open(os.path.join(path, OWNER_FILE), "w", encoding="utf-8") as handle:  # any domain name, any locale
            handle.write(owner_text)
    except OSError as error:
        shutil.rmtree(path, ignore_errors=True)
        raise LibvirtCollectionError("Could not {0}: writing {1} failed: {2}. Nothing was changed.".format(
            what, os.path.join(path, OWNER_FILE), error.strerror)) from error
    return True


def read_owner_text(path):
    """The owner file's text, or None when there is none (a lock made by an older release, or one being made)."""
    try:
        with open(os.path.join(path, OWNER_FILE), encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


# --- a VM's migration lock ---------------------------------------------------------------------------------------


def lock_name(vm):
    """A file name for any libvirt domain name: percent-encoded (spaces, colons, non-ASCII), no leading dot, at most
    NAME_MAX characters. Plain names (``vm1``, ``db-2.example``) stay as they are."""
    name = quote(vm.encode("utf-8"), safe="")
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name) > NAME_MAX:
        name = name[:NAME_MAX - 33] + "~" + hashlib.sha256(vm.encode("utf-8")).hexdigest()[:32]
    return name


def lock_path(directory, vm):
    return os.path.join(directory, lock_name(vm))


def read_owner(path):
    """The lock's owner (a dict of OWNER_KEYS) or None when ``path`` does not exist. A lock without a readable owner
    file gets its directory's modification time as start and None elsewhere."""
    try:
        made = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    except OSError as error:
        raise LibvirtCollectionError("Could not read the lock {0}: {1}. Nothing was changed.".format(path, error.strerror)) from error
    try:
        recorded = json.loads(read_owner_text(path) or "{}")
    except ValueError:
        recorded = {}
    owner = {key: recorded.get(key) if isinstance(recorded, dict) else None for key in OWNER_KEYS}
    if not isinstance(owner["started"], (int, float)):
        owner["started"] = made
    return owner


def describe(owner, now):
    """'run 3f2a… (controller ctl1, pid 4711, AWX job 42) since 12 s' for messages."""
    parts = ["controller {0}".format(owner["controller"]) if owner.get("controller") else None,
             "pid {0}".format(owner["pid"]) if owner.get("pid") else None,
             "AWX job {0}".format(owner["job_id"]) if owner.get("job_id") else None]
    detail = ", ".join(part for part in parts if part)
    run = "run {0}".format(owner["run_id"]) if owner.get("run_id") else "a run that recorded no owner"
    return "{0}{1}, for {2:.0f} s".format(run, " (" + detail + ")" if detail else "", age(owner, now))


def age(owner, now):
    return max(0.0, now - owner["started"])


class _Guard:
    """An exclusive flock of ``<directory>/.guard`` for the time of one decision; released when the process ends."""

    def __init__(self, directory, wait=GUARD_WAIT_SECONDS, clock=time.monotonic, sleep=time.sleep):
        self.path = os.path.join(directory, GUARD_FILE)
        self.wait, self.clock, self.sleep = wait, clock, sleep
        self.handle = None

    def __enter__(self):
        try:
            self.handle = open(self.path, "a")
        except OSError as error:
            raise LibvirtCollectionError("Could not open the lock guard {0}: {1}. This is not another run holding the lock: "
                                         "fix the folder (permissions, file system). Nothing was changed.".format(
                                             self.path, error.strerror)) from error
        deadline = self.clock() + self.wait
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES) or self.clock() >= deadline:
                    self.handle.close()
                    raise LibvirtCollectionError("Could not lock the guard {0} within {1:g} s: {2}. Nothing was changed.".format(
                        self.path, self.wait, error.strerror)) from error
                self.sleep(0.1)

    def __exit__(self, *_exc):
        self.handle.close()  # closing releases the flock
        return False


def new_owner(vm, run_id, controller=None, pid=None, job_id=None, started=None, now=time.time):
    return {"vm": vm, "run_id": run_id, "controller": controller or None, "pid": pid or None, "job_id": job_id or None,
            "started": started if started is not None else now()}


def take(directory, vm, params, stale_after, check_mode=False):
    """acquire() for the lock's owner in ``params`` (run_id, controller, pid, job_id, started, take_over: the options of
    the modules that take the lock, filled in by their action plugin); a run without run_id is refused."""
    if not params.get("run_id"):
        raise LibvirtCollectionError("run_id is required to take the lock of {0} (the action plugin makes one; was the "
                                     "module run without it?). Nothing was changed.".format(vm))
    owner = new_owner(vm, params["run_id"], controller=params.get("controller"), pid=params.get("pid"),
                      job_id=params.get("job_id"), started=params.get("started"))
    return acquire(directory, owner, stale_after, take_over=params.get("take_over") or (), check_mode=check_mode)


def acquire(directory, owner, stale_after, take_over=(), check_mode=False, now=time.time, guard=_Guard):
    """Take the lock of ``owner['vm']`` in ``directory`` for ``owner['run_id']``.

    Kept when this run holds it already; taken over, with a warning, when its holder's lock is older than
    ``stale_after`` seconds or its run id is in ``take_over`` (the controller found that run's process gone).
    Raises a LibvirtCollectionError with ``held_by`` in its result when another run holds it."""
    vm = owner["vm"]
    path = lock_path(directory, vm)
    result = {"changed": False, "vm": vm, "lock": path, "lock_owner": owner, "held_by": None, "taken_over": None, "warnings": []}
    if check_mode and not os.path.isdir(directory):
        return dict(result, changed=True)
    if not check_mode:
        make_folder(directory, "lock folder")
    context = _NoGuard() if check_mode else guard(directory)
    with context:
        holder = read_owner(path)
        if holder is not None and holder["run_id"] == owner["run_id"]:
            return dict(result, lock_owner=holder)
        current = now()
        if holder is not None:
            why = None
            if holder["run_id"] and holder["run_id"] in take_over:
                why = "its run's process is gone"
            elif age(holder, current) > stale_after:
                why = "it is older than {0:g} s".format(stale_after)
            if why is None:
                raise LibvirtCollectionError(
                    "Another run is migrating {0}: the lock {1} is held by {2}. Nothing was changed. Wait for that run to "
                    "end; a lock older than {3:g} s, or one whose run's process is gone on the same controller, is taken "
                    "over by the next run (remove the folder by hand only when no run is active).".format(
                        vm, path, describe(holder, current), stale_after),
                    result=dict(result, held_by=holder))
            result.update(taken_over=holder, warnings=["Took over the lock {0} of {1}: {2}; held by {3}.".format(
                path, vm, why, describe(holder, current))])
            if not check_mode:
                _remove(path, "take over the lock of " + vm)
        if not check_mode and not create(path, json.dumps(owner, sort_keys=True) + "\n", "lock " + vm):
            raise LibvirtCollectionError("Could not lock {0}: {1} appeared while the guard was held (a run of an older "
                                         "release?). Nothing was changed; run again.".format(vm, path), result=result)
        return dict(result, changed=True)


def release(directory, vm, run_id, check_mode=False, guard=None):
    """Remove the lock of ``vm`` when ``run_id`` holds it; never another run's lock (a warning names it)."""
    path = lock_path(directory, vm)
    result = {"changed": False, "vm": vm, "lock": path, "held_by": None, "warnings": []}
    if not os.path.isdir(directory):
        return result
    with _NoGuard() if check_mode else (guard or _Guard)(directory):
        holder = read_owner(path)
        if holder is None:
            return result
        if holder["run_id"] != run_id:
            return dict(result, held_by=holder, warnings=["Left the lock {0} of {1} alone: {2} holds it, not run {3}.".format(
                path, vm, describe(holder, time.time()), run_id)])
        if not check_mode:
            _remove(path, "release the lock of " + vm)
        return dict(result, changed=True, held_by=holder)


def _remove(path, what):
    try:
        shutil.rmtree(path)
    except OSError as error:
        raise LibvirtCollectionError("Could not {0}: removing {1} failed: {2}.".format(what, path, error.strerror)) from error


class _NoGuard:
    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False
