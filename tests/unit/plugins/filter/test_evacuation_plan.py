# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evacuation_plan filter: the planner (fleet/placement.py) with its input errors as filter errors."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.filter.evacuation_plan import FilterModule, evacuation_plan

VM1 = {"name": "vm1", "memory_mib": 256, "vcpus": 1, "pairs": [], "needs": {"pf:pf0": 1}, "cpu_xml": None}


def capacity(free, cpu=None):
    return {"memory": {"total_mib": 2048, "free_mib": 1024},
            "pools": {"pf:pf0": {"total": 2, "free": free, "used": {}, "reserved": {}, "error": None}}, "cpu": cpu or {}}


def test_the_filter_is_registered():
    assert FilterModule().filters()["evacuation_plan"] is evacuation_plan


def test_it_places_the_source_vms_on_the_destinations():
    compatible = {"vm1": {"compatible": True, "reason": "no CPU model to compare"}}
    result = evacuation_plan([VM1], {"hv2": capacity(["0000:3b:02.1"], compatible), "hv3": capacity([])},
                             memory_reserve_mib=128)
    assert result["placements"] == [{"vm": "vm1", "destination": "hv2", "vfs": {"pf:pf0": ["0000:3b:02.1"]}, "memory_mib": 256,
                                     "reason": "the only destination that fits", "cpu": "no CPU model to compare",
                                     "rejected": {"hv3": "no free VF of pf0 (0 free, 1 needed)"}}]
    assert result["destinations"]["hv2"] == {"vms": ["vm1"], "free_before": {"pf:pf0": 1}, "free_after": {"pf:pf0": 0},
                                             "memory_free_before_mib": 1024, "memory_free_after_mib": 768}


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="^evacuation_plan: The capacities must be a dict"):
        evacuation_plan([VM1], ["hv2"])
