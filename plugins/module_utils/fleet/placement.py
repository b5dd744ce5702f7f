# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The evacuation planner: where each VM of a hypervisor goes, from what the destinations offer (capacity.py). Pure:
no libvirt, the same input gives the same plan.

VFs first, then memory (a VF is the scarce resource, as a PCI claim is in Nova's scheduler): the VMs in order of VF
demand, then memory, both descending, then name; each goes to a destination with enough free VFs in every pool it needs,
enough memory (free minus ``memory_reserve_mib`` minus what the plan already put there) and a compatible CPU; of those
the one that spreads - the most free VFs left in the VM's pools after it, then the most memory left, then the first by
name. It takes the lowest free addresses of each pool (a VF in two pools, a PF's and a hostdev network's, is taken from
both) and the memory. A VM that fits nowhere is left out, with each destination's reasons.
"""

from __future__ import annotations


class PlanError(ValueError):
    """Input the planner cannot use; the message says what to fix."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def pool_label(pool):
    """How a message names a pool: the PF's netdev for "pf:<netdev>", "network <name>" for a hostdev network."""
    kind, _colon, name = pool.partition(":")
    return name if kind == "pf" else "{0} {1}".format(kind, name) if name else pool


def _unwrap(value, what):
    """A capacity, also given as the module's registered result (its ``capacity``)."""
    if isinstance(value, dict) and isinstance(value.get("capacity"), dict):
        return value["capacity"]
    if not isinstance(value, dict):
        raise PlanError("{0} must be a hypervisor's capacity (hypervisor_capacity_info's capacity), not {1}.".format(
            what, type(value).__name__))
    return value


def _count(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError("{0} must be a whole number >= 0, not {1!r}.".format(what, value))
    return value


def check_vms(vms):
    """The VMs as the planner reads them: name, memory_mib, needs {pool: count}; a clear error for anything else."""
    if isinstance(vms, dict) and "capacity" in vms:
        vms = vms["capacity"].get("vms") if isinstance(vms["capacity"], dict) else None
        if vms is None:
            raise PlanError("The source's capacity lists no VMs: read it with hypervisor_capacity_info's list_vms: true.")
    if not isinstance(vms, list):
        raise PlanError("The VMs must be a list (the source's capacity.vms), not {0}.".format(type(vms).__name__))
    found, names = [], set()
    for index, vm in enumerate(vms):
        if not isinstance(vm, dict) or not isinstance(vm.get("name"), str) or not vm["name"]:
            raise PlanError("VM {0} of the list has no name: each VM is a dict with name, memory_mib and needs (the "
                            "source's capacity.vms).".format(index))
        if vm["name"] in names:
            raise PlanError("VM {0} is listed twice.".format(vm["name"]))
        names.add(vm["name"])
        needs = vm.get("needs") or {}
        if not isinstance(needs, dict):
            raise PlanError("needs of VM {0} must be a dict {{pool: count}}, not {1!r}.".format(vm["name"], needs))
        found.append({"name": vm["name"], "memory_mib": _count(vm.get("memory_mib", 0), "memory_mib of VM " + vm["name"]),
                      "needs": dict((pool, _count(n, "needs[{0}] of VM {1}".format(pool, vm["name"])))
                                    for pool, n in sorted(needs.items()) if n)})
    return found


class Destination:  # pylint: disable=too-few-public-methods
    """A destination while the plan fills it: free addresses per pool, pool errors, memory, the VMs placed."""

    def __init__(self, name, capacity):
        capacity = _unwrap(capacity, "The capacity of " + name)
        memory = capacity.get("memory")
        if not isinstance(memory, dict) or not isinstance(memory.get("free_mib"), int):
            raise PlanError("The capacity of {0} has no memory.free_mib: give hypervisor_capacity_info's capacity of "
                            "it.".format(name))
        pools = capacity.get("pools") or {}
        if not isinstance(pools, dict):
            raise PlanError("pools of the capacity of {0} must be a dict, not {1!r}.".format(name, pools))
        self.name = name
        self.free = dict((pool, sorted(entry.get("free") or [])) for pool, entry in pools.items())
        self.errors = dict((pool, entry.get("error")) for pool, entry in pools.items() if entry.get("error"))
        self.free_before = dict((pool, len(addresses)) for pool, addresses in sorted(self.free.items()))
        self.memory_free = memory["free_mib"]
        self.cpu = capacity.get("cpu") or {}
        self.placed_mib = 0
        self.vms = []

    def fit(self, vm, reserve):
        """(the VFs it would take {pool: [addresses]}, memory left, [reasons it does not fit])."""
        taken, used, reasons = {}, set(), []
        for pool, count in sorted(vm["needs"].items()):
            if pool not in self.free:
                reasons.append("no VF pool {0} here".format(pool_label(pool)))
            elif pool in self.errors:
                reasons.append("VF pool {0} unusable: {1}".format(pool_label(pool), self.errors[pool]))
            else:
                available = [address for address in self.free[pool] if address not in used]
                if len(available) < count:
                    reasons.append("no free VF of {0} ({1} free, {2} needed)".format(pool_label(pool), len(available), count))
                else:
                    taken[pool] = available[:count]
                    used.update(taken[pool])
        available_mib = self.memory_free - reserve - self.placed_mib
        if available_mib < vm["memory_mib"]:
            detail = " (of {0} MiB free: {1} MiB kept in reserve, {2} MiB planned here)".format(
                self.memory_free, reserve, self.placed_mib) if reserve or self.placed_mib else ""
            reasons.append("{0} MiB free, {1} MiB needed{2}".format(max(available_mib, 0), vm["memory_mib"], detail))
        cpu = self.cpu.get(vm["name"])
        if isinstance(cpu, dict) and not cpu.get("compatible", True):
            reasons.append("CPU incompatible: " + str(cpu.get("reason") or "libvirt says so"))
        return taken, available_mib - vm["memory_mib"], reasons

    def vfs_left(self, vm, taken):
        """Free VFs left in the VM's pools once it took ``taken`` (an address in two pools leaves both)."""
        gone = set(address for addresses in taken.values() for address in addresses)
        return sum(len([a for a in self.free.get(pool, []) if a not in gone]) for pool in vm["needs"])

    def take(self, vm, taken):
        gone = set(address for addresses in taken.values() for address in addresses)
        self.free = dict((pool, [a for a in addresses if a not in gone]) for pool, addresses in self.free.items())
        self.placed_mib += vm["memory_mib"]
        self.vms.append(vm["name"])

    def summary(self):
        return {"vms": list(self.vms), "free_before": dict(self.free_before),
                "free_after": dict((pool, len(addresses)) for pool, addresses in sorted(self.free.items())),
                "memory_free_before_mib": self.memory_free, "memory_free_after_mib": self.memory_free - self.placed_mib}


def _why(best, others):
    """Why ``best`` (name, vfs_left, memory_left) won over the other candidates."""
    if not others:
        return "the only destination that fits"
    runner_up = others[0]
    if best[1] != runner_up[1]:
        return "leaves the most free VFs in the VM's pools ({0}; {1}: {2})".format(best[1], runner_up[0], runner_up[1])
    if best[2] != runner_up[2]:
        return "as many free VFs left as {0} ({1}), the most memory left ({2} MiB; {0}: {3} MiB)".format(
            runner_up[0], best[1], best[2], runner_up[2])
    return "ties with {0} on free VFs left ({1}) and memory left ({2} MiB): the first by name".format(
        runner_up[0], best[1], best[2])


def plan(vms, capacities, memory_reserve_mib=0):
    """The evacuation plan: placements, unplaced VMs with each destination's reasons, and each destination's figures."""
    vms = check_vms(vms)
    reserve = _count(memory_reserve_mib, "memory_reserve_mib")
    if not isinstance(capacities, dict):
        raise PlanError("The capacities must be a dict {{hypervisor: capacity}} of the destinations, not "
                        "{0}.".format(type(capacities).__name__))
    destinations = [Destination(str(name), capacities[name]) for name in sorted(capacities, key=str)]
    placements, unplaced = [], []
    for vm in sorted(vms, key=lambda vm: (-sum(vm["needs"].values()), -vm["memory_mib"], vm["name"])):
        candidates, reasons = [], {}
        for destination in destinations:
            taken, memory_left, why_not = destination.fit(vm, reserve)
            if why_not:
                reasons[destination.name] = "; ".join(why_not)
            else:
                candidates.append((destination.name, destination.vfs_left(vm, taken), memory_left, taken, destination))
        if not candidates:
            unplaced.append({"vm": vm["name"], "needs": vm["needs"], "memory_mib": vm["memory_mib"], "reasons": reasons})
            continue
        candidates.sort(key=lambda c: (-c[1], -c[2], c[0]))
        name, _left, _memory, taken, destination = candidates[0]
        destination.take(vm, taken)
        cpu = destination.cpu.get(vm["name"])
        placements.append({"vm": vm["name"], "destination": name, "vfs": taken, "memory_mib": vm["memory_mib"],
                           "reason": _why(candidates[0][:3], [c[:3] for c in candidates[1:]]),
                           "cpu": cpu.get("reason") if isinstance(cpu, dict) else "not compared",
                           "rejected": reasons})
    return {"placements": placements, "unplaced": unplaced,
            "destinations": dict((d.name, d.summary()) for d in destinations)}
