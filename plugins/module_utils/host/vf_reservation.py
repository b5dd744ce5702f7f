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


def release(directory, vm, check_mode=False):
    """Remove every reservation of ``vm`` in ``directory``."""
    mine = held_by(sriov.reservations(directory), vm)
    result = {"changed": bool(mine), "vm": vm, "directory": directory, "released": mine}
    if not check_mode:
        for address in mine:
            shutil.rmtree(reservation_path(directory, address), ignore_errors=True)
    return result
