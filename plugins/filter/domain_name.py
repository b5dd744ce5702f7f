# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter domain_name_problem: why libvirt would refuse a domain name, or '' (module_utils/virt/names.py)."""

from ansible_collections.netfailover.standby.plugins.module_utils.virt.names import name_problem


def domain_name_problem(name):
    return name_problem(name)


class FilterModule:
    def filters(self):
        return {"domain_name_problem": domain_name_problem}
