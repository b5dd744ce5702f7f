# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evacuation planner: VFs first, then memory, spread; VFs running out part-way; a VM that fits nowhere with each
destination's reasons; the memory reserve; CPU incompatibility; pools that share VFs; the same plan for the same input."""

import random

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.fleet.placement import PlanError, plan

PF0 = "pf:pf0"


def vfs(count, bus="3b", first=0):
    return ["0000:{0}:02.{1}".format(bus, n) for n in range(first, first + count)]


def capacity(free=(), memory=4096, cpu=None, pools=None):
    return {"hypervisor": "x", "memory": {"total_mib": 8192, "free_mib": memory},
            "pools": pools if pools is not None else {PF0: {"total": 8, "free": list(free), "used": {}, "reserved": {}, "error": None}},
            "cpu": cpu or {}}


def vm(name, memory=256, needs=None):
    return {"name": name, "memory_mib": memory, "vcpus": 1, "pairs": [], "needs": {PF0: 1} if needs is None else needs,
            "cpu_xml": None}


def where(result):
    return {p["vm"]: p["destination"] for p in result["placements"]}


def test_vfs_running_out_part_way_send_the_rest_to_the_other_destination():
    vms = [vm("vm{0}".format(n)) for n in range(1, 6)]
    result = plan(vms, {"hv2": capacity(vfs(2)), "hv3": capacity(vfs(3, first=4))})
    assert sorted(where(result).values()) == ["hv2", "hv2", "hv3", "hv3", "hv3"] and result["unplaced"] == []
    destinations = result["destinations"]
    assert destinations["hv2"]["free_after"] == {PF0: 0} and destinations["hv3"]["free_after"] == {PF0: 0}
    assert destinations["hv2"]["free_before"] == {PF0: 2} and destinations["hv3"]["free_before"] == {PF0: 3}
    taken = sorted(a for p in result["placements"] for a in p["vfs"][PF0])
    assert taken == sorted(vfs(2) + vfs(3, first=4))  # each VF once
    # hv2 filled up: the last VMs went to hv3, and said why
    last = result["placements"][-1]
    assert last["destination"] == "hv3" and last["reason"] == "the only destination that fits"
    assert last["rejected"] == {"hv2": "no free VF of pf0 (0 free, 1 needed)"}


def test_a_vm_that_fits_nowhere_is_left_out_with_each_destinations_reasons():
    vms = [vm("vm1"), vm("vm2", memory=512), vm("big", memory=8192), vm("pooled", needs={"network:sriov": 1})]
    result = plan(vms, {"hv2": capacity(vfs(1), memory=1024), "hv3": capacity([], memory=128)})
    assert where(result) == {"vm2": "hv2"}
    unplaced = {u["vm"]: u["reasons"] for u in result["unplaced"]}
    # in planning order: big (VF demand 1, the most memory), vm2 (placed), pooled, vm1
    assert [u["vm"] for u in result["unplaced"]] == ["big", "pooled", "vm1"]
    assert unplaced == {
        "big": {"hv2": "1024 MiB free, 8192 MiB needed",
                "hv3": "no free VF of pf0 (0 free, 1 needed); 128 MiB free, 8192 MiB needed"},
        "pooled": {"hv2": "no VF pool network sriov here",
                   "hv3": "no VF pool network sriov here; 128 MiB free, 256 MiB needed"},
        "vm1": {"hv2": "no free VF of pf0 (0 free, 1 needed)",
                "hv3": "no free VF of pf0 (0 free, 1 needed); 128 MiB free, 256 MiB needed"},
    }
    assert result["destinations"]["hv3"]["vms"] == [] and result["destinations"]["hv3"]["memory_free_after_mib"] == 128


def test_the_memory_reserve_and_what_the_plan_put_there_count():
    vms = [vm("vm1", memory=400), vm("vm2", memory=400)]
    result = plan(vms, {"hv2": capacity(vfs(4), memory=800)}, memory_reserve_mib=100)
    assert where(result) == {"vm1": "hv2"}
    assert result["unplaced"][0]["reasons"] == {
        "hv2": "300 MiB free, 400 MiB needed (of 800 MiB free: 100 MiB kept in reserve, 400 MiB planned here)"}
    assert result["destinations"]["hv2"]["memory_free_after_mib"] == 400
    assert plan(vms, {"hv2": capacity(vfs(4), memory=800)})["unplaced"] == []  # without the reserve both fit


def test_memory_decides_among_destinations_that_leave_as_many_vfs():
    result = plan([vm("vm1", needs={})], {"hv2": capacity(memory=2048), "hv3": capacity(memory=4096)})
    assert where(result) == {"vm1": "hv3"}
    assert result["placements"][0]["reason"] == ("as many free VFs left as hv2 (0), the most memory left (3840 MiB; "
                                                 "hv2: 1792 MiB)")


def test_an_incompatible_cpu_rules_the_destination_out():
    cpu = {"vm1": {"compatible": False, "reason": "Host CPU does not provide required features: avx512f"}}
    result = plan([vm("vm1"), vm("vm2")], {"hv2": capacity(vfs(4), cpu=cpu), "hv3": capacity(vfs(1))})
    assert where(result) == {"vm1": "hv3", "vm2": "hv2"}
    assert result["placements"][0]["rejected"] == {"hv2": "CPU incompatible: Host CPU does not provide required features: avx512f"}
    assert result["placements"][0]["cpu"] == "not compared"  # hv3 was not given vm1's CPU
    alone = plan([vm("vm1")], {"hv2": capacity(vfs(4), cpu=cpu)})
    assert alone["unplaced"][0]["reasons"] == {"hv2": "CPU incompatible: Host CPU does not provide required features: avx512f"}


def test_spread_alternates_between_equal_destinations_and_takes_the_lowest_addresses():
    vms = [vm("vm{0}".format(n)) for n in range(1, 5)]
    result = plan(vms, {"hv2": capacity(list(reversed(vfs(4)))), "hv3": capacity(vfs(4, bus="5e"))})
    assert [(p["vm"], p["destination"], p["vfs"][PF0]) for p in result["placements"]] == [
        ("vm1", "hv2", ["0000:3b:02.0"]), ("vm2", "hv3", ["0000:5e:02.0"]),
        ("vm3", "hv2", ["0000:3b:02.1"]), ("vm4", "hv3", ["0000:5e:02.1"])]
    assert result["placements"][0]["reason"] == "ties with hv3 on free VFs left (3) and memory left (3840 MiB): the first by name"
    assert result["placements"][1]["reason"] == "leaves the most free VFs in the VM's pools (3; hv2: 2)"


def test_vms_go_by_vf_demand_then_memory_then_name():
    vms = [vm("a", memory=256), vm("b", memory=1024), vm("c", needs={PF0: 2}, memory=128), vm("d", needs={}, memory=4000),
           vm("e", memory=1024)]
    result = plan(vms, {"hv2": capacity(vfs(8), memory=65536)})
    assert [p["vm"] for p in result["placements"]] == ["c", "b", "e", "a", "d"]
    assert result["placements"][0]["vfs"] == {PF0: ["0000:3b:02.0", "0000:3b:02.1"]}


def test_a_vf_in_two_pools_is_taken_from_both():
    shared = vfs(2)
    pools = {PF0: {"free": shared, "error": None}, "network:sriov": {"free": shared, "error": None}}
    vms = [vm("vm1", needs={"network:sriov": 1}), vm("vm2", needs={PF0: 1}), vm("vm3", needs={PF0: 1})]
    result = plan(vms, {"hv2": capacity(pools=pools)})
    assert [(p["vm"], p["vfs"]) for p in result["placements"]] == [
        ("vm1", {"network:sriov": ["0000:3b:02.0"]}), ("vm2", {PF0: ["0000:3b:02.1"]})]
    assert result["unplaced"][0]["reasons"] == {"hv2": "no free VF of pf0 (0 free, 1 needed)"}
    assert result["destinations"]["hv2"]["free_after"] == {"network:sriov": 0, PF0: 0}
    both = plan([vm("vm4", needs={PF0: 1, "network:sriov": 2})], {"hv2": capacity(pools=pools)})
    assert both["unplaced"][0]["reasons"] == {"hv2": "no free VF of pf0 (0 free, 1 needed)"}  # network took both first


def test_a_pool_that_could_not_be_read_says_why():
    pools = {PF0: {"total": 0, "free": [], "error": "pf0 is not an SR-IOV PF: it is not a PCI device"}}
    result = plan([vm("vm1")], {"hv2": capacity(pools=pools)})
    assert result["unplaced"][0]["reasons"] == {"hv2": "VF pool pf0 unusable: pf0 is not an SR-IOV PF: it is not a PCI device"}


def test_the_same_input_gives_the_same_plan():
    vms = [vm("vm{0}".format(n), memory=128 * (n % 3 + 1), needs={PF0: n % 2 + 1}) for n in range(12)]
    capacities = {"hv{0}".format(n): capacity(vfs(n + 2, bus="{0:02x}".format(n)), memory=1024 * n) for n in range(2, 5)}
    first = plan(vms, capacities)
    shuffled = list(vms)
    random.Random(17).shuffle(shuffled)
    reordered = dict(reversed(list(capacities.items())))
    assert plan(shuffled, reordered) == first
    assert first["placements"] and first["unplaced"]  # the input is one where both happen


def test_the_module_result_works_as_input():
    source = {"changed": False, "capacity": {"vms": [vm("vm1")]}}
    destination = {"changed": False, "capacity": capacity(vfs(1))}
    assert where(plan(source, {"hv2": destination})) == {"vm1": "hv2"}


def test_no_destinations_leave_every_vm_unplaced():
    assert plan([vm("vm1")], {}) == {"placements": [], "unplaced": [{"vm": "vm1", "needs": {PF0: 1}, "memory_mib": 256,
                                                                     "reasons": {}}], "destinations": {}}


@pytest.mark.parametrize("vms, capacities, reserve, message", [
    ({"capacity": {"vms": None}}, {}, 0, "The source's capacity lists no VMs: read it with hypervisor_capacity_info's list_vms: true."),
    ("vm1", {}, 0, "The VMs must be a list (the source's capacity.vms), not str."),
    ([{"memory_mib": 1}], {}, 0, "VM 0 of the list has no name"),
    ([vm("vm1"), vm("vm1")], {}, 0, "VM vm1 is listed twice."),
    ([vm("vm1", memory=-1)], {}, 0, "memory_mib of VM vm1 must be a whole number >= 0, not -1."),
    ([vm("vm1", needs={PF0: "one"})], {}, 0, "needs[pf:pf0] of VM vm1 must be a whole number >= 0, not 'one'."),
    ([vm("vm1", needs=[PF0])], {}, 0, "needs of VM vm1 must be a dict {pool: count}"),
    ([], [], 0, "The capacities must be a dict {hypervisor: capacity} of the destinations, not list."),
    ([], {"hv2": {"pools": {}}}, 0, "The capacity of hv2 has no memory.free_mib"),
    ([], {"hv2": "full"}, 0, "The capacity of hv2 must be a hypervisor's capacity"),
    ([], {}, -5, "memory_reserve_mib must be a whole number >= 0, not -5."),
])
def test_bad_input_is_a_clear_error(vms, capacities, reserve, message):
    with pytest.raises(PlanError) as error:
        plan(vms, capacities, memory_reserve_mib=reserve)
    assert error.value.message.startswith(message), error.value.message
