# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evacuation_waves filter: both bounds hold in every wave, every VM is in one wave, the plan's order is kept."""

import itertools

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.filter.evacuation_waves import FilterModule, evacuation_waves


def placements(*destinations):
    return [{"vm": "vm{0}".format(n), "destination": d, "vfs": {}} for n, d in enumerate(destinations, 1)]


def test_the_filter_is_registered():
    assert FilterModule().filters()["evacuation_waves"] is evacuation_waves


@pytest.mark.parametrize("destinations, parallel, per_destination, waves", [
    # one per destination, two at once: the two destinations take turns
    (["hv2", "hv3", "hv2", "hv3", "hv2"], 2, 1, [["vm1", "vm2"], ["vm3", "vm4"], ["vm5"]]),
    # a VM waits for the next wave only when its destination is full in this one; later VMs fill the wave
    (["hv2", "hv2", "hv3", "hv3"], 2, 1, [["vm1", "vm3"], ["vm2", "vm4"]]),
    (["hv2", "hv2", "hv2"], 4, 1, [["vm1"], ["vm2"], ["vm3"]]),
    (["hv2", "hv2", "hv2", "hv3"], 4, 2, [["vm1", "vm2", "vm4"], ["vm3"]]),
    (["hv2", "hv3", "hv4"], 1, 1, [["vm1"], ["vm2"], ["vm3"]]),
    (["hv2", "hv3", "hv4"], 8, 8, [["vm1", "vm2", "vm3"]]),
    ([], 2, 1, []),
])
def test_the_waves(destinations, parallel, per_destination, waves):
    assert evacuation_waves(placements(*destinations), parallel, per_destination) == waves


@pytest.mark.parametrize("parallel, per_destination", list(itertools.product([1, 2, 3, 5], [1, 2, 4])))
def test_every_wave_respects_both_bounds_and_every_vm_moves_once(parallel, per_destination):
    plan = placements(*["hv2", "hv3", "hv2", "hv2", "hv4", "hv3", "hv2", "hv4", "hv2", "hv3", "hv2"])
    where = {p["vm"]: p["destination"] for p in plan}
    waves = evacuation_waves(plan, parallel, per_destination)
    assert sorted(vm for wave in waves for vm in wave) == sorted(where)
    for wave in waves:
        assert 1 <= len(wave) <= parallel
        assert max(sum(1 for vm in wave if where[vm] == d) for d in set(where.values())) <= per_destination
    # greedy: a VM of a later wave could not have joined an earlier one
    for index, wave in enumerate(waves):
        for later in waves[index + 1:]:
            for vm in later:
                fits = len(wave) < parallel and sum(1 for w in wave if where[w] == where[vm]) < per_destination
                assert not fits, (vm, wave)
    # within a destination the plan's order is kept
    order = [vm for wave in waves for vm in wave]
    for destination in set(where.values()):
        mine = [p["vm"] for p in plan if p["destination"] == destination]
        assert [vm for vm in order if where[vm] == destination] == mine


def test_extra_variables_given_as_strings_count_as_numbers():
    assert evacuation_waves(placements("hv2", "hv3", "hv2"), "2", "1") == [["vm1", "vm2"], ["vm3"]]


@pytest.mark.parametrize("parallel, per_destination, message", [
    (0, 1, "parallel must be at least 1, not 0"),
    (2, 0, "parallel_per_destination must be at least 1, not 0"),
    ("two", 1, "parallel must be a whole number of at least 1, not 'two'"),
    (True, 1, "parallel must be a whole number"),
    (2, -1, "parallel_per_destination must be at least 1"),
])
def test_a_bad_bound_is_refused(parallel, per_destination, message):
    with pytest.raises(AnsibleFilterError, match=message):
        evacuation_waves(placements("hv2"), parallel, per_destination)


def test_a_placement_without_a_destination_is_refused():
    with pytest.raises(AnsibleFilterError, match="each placement needs a vm and a destination"):
        evacuation_waves([{"vm": "vm1"}], 1, 1)
