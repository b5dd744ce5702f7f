# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter evacuation_plan: where each VM of a hypervisor goes, from the destinations' capacities (fleet/placement.py)."""

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.module_utils.fleet.placement import PlanError, plan


def evacuation_plan(vms, capacities, memory_reserve_mib=0):
    try:
        return plan(vms, capacities, memory_reserve_mib=memory_reserve_mib)
    except PlanError as error:
        raise AnsibleFilterError("evacuation_plan: " + error.message) from error


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"evacuation_plan": evacuation_plan}
