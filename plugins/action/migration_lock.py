# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_lock's controller side (plugin_utils/lock_owner.py, shared with migration_preflight): records this
controller and process in the lock, and takes over a lock whose run ran on this controller host and whose process is
gone (only the controller can tell; the module runs on the hypervisor).
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.plugin_utils.lock_owner import LockOwnerAction

MODULE = "netfailover.standby.migration_lock"


class ActionModule(LockOwnerAction):
    MODULE = MODULE

    def takes_lock(self, args):
        return args.get("state", "present") == "present"
