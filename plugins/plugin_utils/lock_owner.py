# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller's side of the per-VM migration lock, for every module that takes it (migration_lock, and
migration_preflight, which takes it before its checks).

The module runs on the hypervisor; only the controller knows itself: this action records the controller host, its
process (the ansible-playbook run), the start and a new run id in the lock's owner, and takes over a lock whose run
ran on this controller host and whose process is gone (a second module call with ``take_over``). The lock's own
logic (mkdir, stale after a bound, never another live run's lock) is module_utils/migration/lock.py's.
"""

from __future__ import annotations

import os
import socket
import time
import uuid

from ansible.plugins.action import ActionBase


def process_gone(pid):
    """True when no process ``pid`` exists on this host (one of another user still exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def owner_args(args, hostname=socket.gethostname):
    """``args`` with this controller's owner fields filled in where the task did not give them."""
    args = dict(args)
    args.setdefault("controller", hostname())
    args.setdefault("pid", os.getppid())  # a worker's parent: the ansible-playbook process of this run
    args.setdefault("started", time.time())
    args.setdefault("run_id", uuid.uuid4().hex)
    return args


def dead_holder(result, args, gone=process_gone):
    """The run id of the lock's holder when the module refused because of it and that run's process, on this
    controller host, is gone; None otherwise (a live run, another controller, or no refusal by the lock)."""
    holder = result.get("held_by") or {}
    if result.get("failed") and holder.get("run_id") and holder.get("pid") \
            and holder.get("controller") == args.get("controller") and gone(int(holder["pid"])):
        return holder["run_id"]
    return None


class LockOwnerAction(ActionBase):
    """An action that runs ``MODULE`` with the lock's owner filled in when ``takes_lock(args)``, and runs it once more
    with ``take_over`` when the lock it met belongs to a run of this controller whose process is gone."""

    TRANSFERS_FILES = False
    MODULE = None  # the module's fully qualified name, set by each action
    hostname = staticmethod(socket.gethostname)
    process_gone = staticmethod(process_gone)

    def takes_lock(self, args):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if not self.takes_lock(args):
            result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars))
            return result
        args = owner_args(args, hostname=self.hostname)
        result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars))
        dead = dead_holder(result, args, gone=self.process_gone)
        if dead is not None:
            args["take_over"] = list(args.get("take_over") or []) + [dead]
            result = super().run(tmp, task_vars)
            result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars))
        return result
