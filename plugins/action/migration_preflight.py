# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_preflight's controller side: when the task gives lock_directory, the module takes the VM's lock before
its checks, and this action does for it what migration_lock's does (plugin_utils/lock_owner.py): records this
controller, its process, the start and a new run id as the lock's owner, and takes over a lock of a run of this
controller whose process is gone. Without lock_directory the module runs as it is.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.plugin_utils.lock_owner import LockOwnerAction

MODULE = "netfailover.standby.migration_preflight"


class ActionModule(LockOwnerAction):
    MODULE = MODULE

    def takes_lock(self, args):
        return bool(args.get("lock_directory"))
