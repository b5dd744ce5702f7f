# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_lock's controller side: records this controller and process in the lock, and takes over a lock whose run
ran on this controller host and whose process is gone (only the controller can tell; the module runs on the hypervisor).
"""

from __future__ import annotations

import os
import socket
import time
import uuid

from ansible.plugins.action import ActionBase

MODULE = "netfailover.standby.migration_lock"


def process_gone(pid):
    """True when no process ``pid`` exists on this host (one of another user still exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    hostname = staticmethod(socket.gethostname)
    process_gone = staticmethod(process_gone)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get("state", "present") == "present":
            args.setdefault("controller", self.hostname())
            args.setdefault("pid", os.getppid())  # a worker's parent: the ansible-playbook process of this run
            args.setdefault("started", time.time())
            args.setdefault("run_id", uuid.uuid4().hex)
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        holder = result.get("held_by") or {}
        if result.get("failed") and holder.get("run_id") and holder.get("pid") \
                and holder.get("controller") == args.get("controller") and self.process_gone(int(holder["pid"])):
            args["take_over"] = list(args.get("take_over") or []) + [holder["run_id"]]
            result = super().run(tmp, task_vars)
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
