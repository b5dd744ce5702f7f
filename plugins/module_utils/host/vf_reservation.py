# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reserving a free VF of a PF for one VM, for the length of a migration run.

A reservation is a directory ``vf-<PCI address>`` in the lock folder (sriov.RESERVATION_PREFIX) with a file ``owner``
naming the VM. ``mkdir`` is atomic (migration/lock.py): of two runs that pick the same free VF at once, exactly one gets it and the other
takes the next. A VF is free when no domain, defined or running, uses it (sriov.vf_owners) and no run has reserved it.
"""

from __future__ import annotations

import os
import shutil

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.migration import lock
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError


def reservation_path(directory, address):
    return os.path.join(directory, sriov.RESERVATION_PREFIX + address)


def held_by(reserved, vm):
    """The addresses reserved for ``vm``, sorted."""
    return sorted(address for address, owner in reserved.items() if owner == vm)


def _describe(vf, owners, reserved):
    why = []
    if owners.get(vf["address"]):
        why.append("used by " + ", ".join(owners[vf["address"]]))
    if vf["address"] in reserved:
        why.append("reserved for " + (reserved[vf["address"]] or "an unnamed run"))
    return "{0} (vf {1}: {2})".format(vf["address"], vf["vf"], "; ".join(why) or "free")


def _try_reserve(directory, address, vm):
    """mkdir the reservation; False when another run made it first."""
    return lock.create(reservation_path(directory, address), vm + "\n", "reserve VF " + address)


def reserve(vfs, owners, directory, vm, check_mode=False):
    """Reserve the first free VF of ``vfs`` for ``vm`` (or keep the one it holds already). Returns the result."""
    reserved = sriov.reservations(directory)
    candidates = {vf["address"]: vf for vf in vfs}
    mine = [address for address in held_by(reserved, vm) if address in candidates]
    result = {"changed": False, "vm": vm, "directory": directory, "reserved": None, "address": None, "pf": None, "vf": None}

    def held(vf, changed):
        return dict(result, changed=changed, address=vf["address"], pf=vf["pf"], vf=vf["vf"],
                    reserved=reservation_path(directory, vf["address"]))

    if mine:
        return held(candidates[mine[0]], False)
    free = sriov.free_vfs(vfs, owners, reserved)
    if check_mode and free:
        return held(free[0], True)
    if free:
        lock.make_folder(directory, "reservation folder")
    for vf in free:
        if _try_reserve(directory, vf["address"], vm):
            return held(vf, True)
    pf_names = ", ".join(sorted({vf["pf"] for vf in vfs})) or "the PF"
    raise LibvirtCollectionError(
        "No free VF on {0} for {1}: {2}. Free one (shut down or undefine a domain that holds it, or remove a stale "
        "reservation folder {3}/vf-* of a run that no longer runs), enable more VFs (sriov_numvfs), or choose another "
        "hypervisor. Nothing was changed.".format(
            pf_names, vm, "; ".join(_describe(vf, owners, sriov.reservations(directory)) for vf in vfs) or "it has no VFs",
            directory), result=result)


def reserve_addresses(vfs, owners, directory, vm, addresses, check_mode=False):
    """Reserve exactly ``addresses`` (VFs of ``vfs``, a plan's choice) for ``vm``, all or none: refused, with nothing
    changed, when one is not among ``vfs``, a domain uses it or another owner's reservation holds it. The VM keeps the
    ones it holds; its other reservations on these VFs are released (it ends up holding exactly these)."""
    wanted = sorted(set(sriov.normalize_pci(address, "Each of addresses") for address in addresses))
    pf_names = ", ".join(sorted({vf["pf"] for vf in vfs})) or "the PF"
    if not wanted:
        raise LibvirtCollectionError("addresses is empty: give the PCI addresses of the VFs of {0} to reserve for {1}, or "
                                     "leave it out to reserve the first free one.".format(pf_names, vm))
    candidates = {vf["address"]: vf for vf in vfs}
    reserved = sriov.reservations(directory)
    problems = []
    for address in wanted:
        if address not in candidates:
            problems.append("{0} is not a VF of {1} (its VFs: {2})".format(address, pf_names, ", ".join(sorted(candidates)) or "none"))
        elif owners.get(address) or (address in reserved and reserved[address] != vm):
            problems.append(_describe(candidates[address], owners, reserved))
    if problems:
        raise LibvirtCollectionError(
            "Cannot reserve {0} for {1}: {2}. Choose free VFs (netfailover.standby.vf_info lists them), plan again, or "
            "remove a stale reservation folder {3}/vf-* of a run that no longer runs. Nothing was changed.".format(
                ", ".join(wanted), vm, "; ".join(problems), directory))
    mine = [address for address in held_by(reserved, vm) if address in candidates]
    new = [address for address in wanted if address not in mine]
    stale = [address for address in mine if address not in wanted]
    first = candidates[wanted[0]]
    result = {"changed": bool(new or stale), "vm": vm, "directory": directory, "addresses": wanted, "released": stale,
              "address": first["address"], "pf": first["pf"], "vf": first["vf"],
              "reserved": reservation_path(directory, first["address"])}
    if check_mode or not result["changed"]:
        return result
    lock.make_folder(directory, "reservation folder")
    made = []
    for address in new:
        if not _try_reserve(directory, address, vm):
            for done in made:
                shutil.rmtree(reservation_path(directory, done), ignore_errors=True)
            raise LibvirtCollectionError(
                "Cannot reserve {0} for {1}: another run reserved {2} meanwhile ({3}). Plan again. Nothing was "
                "changed.".format(", ".join(wanted), vm, address,
                                  sriov.reservations(directory).get(address) or "an unnamed run"), result=dict(result, changed=False))
        made.append(address)
    for address in stale:
        shutil.rmtree(reservation_path(directory, address), ignore_errors=True)
    return result


def release(directory, vm, check_mode=False):
    """Remove every reservation of ``vm`` in ``directory``."""
    mine = held_by(sriov.reservations(directory), vm)
    result = {"changed": bool(mine), "vm": vm, "directory": directory, "released": mine}
    if not check_mode:
        for address in mine:
            shutil.rmtree(reservation_path(directory, address), ignore_errors=True)
    return result
