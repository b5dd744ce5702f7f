# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration_preflight module's runs: everything the migrate role checks on each hypervisor, in one call each.

On the source (``locked_preflight``): the VM's migration lock first (lock.py; the one thing it changes), then, reading
only, where the domain runs (the source, already the destination, or neither), its STANDBY pairs and VFs from its
running definition, whether its guest is ready for the dance's first step, whether the destination's libvirt answers
at the migration URI from here, and whether the PF's bridge port can take the FDB steps. On the destination
(``destination_preflight``, reads only): the PF's bridge port, and which of the standbys' bridges and the VFs' PCI
devices it has not got. Each of these was a task of its own, at 1-2 s of Ansible's cost per task.
"""

from __future__ import annotations

import os

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest import readiness
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import GuestReading, check_level
from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration import lock
from ansible_collections.netfailover.standby.plugins.module_utils.migration import transfer
from ansible_collections.netfailover.standby.plugins.module_utils.migration.live_migrate import active_on_both, find_on_both
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pairs import pairs_of
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    connection_uri,
)

NO_LOCK = {"lock": None, "lock_owner": None, "held_by": None, "taken_over": None}


def running_domains(connection):
    """The names of the domains that run on ``connection``, for a refusal that says what does run there."""
    return sorted(domain.name() for domain in domains.all_domains(connection) if domains.is_active(domain, name=domain.name()))


def locate(source, destination, name):
    """'source', 'destination' or 'neither'; a domain active on both (a migration under way) is refused."""
    here, active_here, _there, active_there = find_on_both(source, destination, name)
    if active_here and active_there:
        raise active_on_both(name, connection_uri(source), connection_uri(destination))
    return ("source" if active_here else "destination" if active_there else "neither"), here


def preflight(source, params, opener=None, reader_factory=None, fdb_entry_for=None, sysfs_root=sriov.SYSFS_ROOT,
              commands_reader=None, script_runner=None, warn=None):
    """Run the checks (``params``: name, destination_uri, verify_timeout, verify_level, audit, audit_severities).
    ``opener(uri, read_only)`` opens the destination; ``fdb_entry_for(mac)`` gives the bridge_fdb.FdbEntry to check on
    the PF port (None: no FDB steps); ``script_runner(domain)`` runs the readiness audit's script (readiness.run_script);
    ``warn(text)`` reports a finding of severity warn. Returns the module result; raises LibvirtCollectionError with what
    to fix (a finding of severity refuse among them). Never changes anything."""
    name = params["name"]
    destination = (opener or transfer.open_destination)(params["destination_uri"], read_only=True)
    try:
        location, domain = locate(source, destination, name)
    finally:
        destination.close()
    result = {"changed": False, "name": name, "location": location, "running_on_source": None, "pairs": [], "vfs": [],
              "guest": None, "fdb": None, "verify_level": None, "guest_os": None, "audit": None}
    if location != "source":
        result["running_on_source"] = running_domains(source) if location == "neither" else None
        return result
    result["pairs"] = pairs_of(dx.parse(domains.read_xml(domain, "live", name=name), "live XML of domain " + name))
    result["vfs"] = sriov.domain_vfs(domain, sysfs_root)
    if not result["pairs"]:
        return result  # the role refuses a VM without a pair, with what to configure
    # the verification level of the whole migration: auto resolved, an explicit one checked against what the agent allows
    checked = check_level(domain, params.get("verify_level") or "auto", commands_reader=commands_reader)
    result["verify_level"] = {"level": checked["level"], "why": checked["why"]}
    result["guest_os"] = checked["os"]
    first = dance.step_expectation({"step": dance.DANCES["manual"][0].name}, phase="before")
    reading = GuestReading(domain, checked["level"], checked["why"], reader_factory=reader_factory)
    observation = reading.observe(list(first.states), params["verify_timeout"])
    result["guest"] = guest_failover.guest_summary(observation)
    if params.get("audit", True):
        audit_guest(reading, result, params, observation.get("topology"), script_runner, warn)
    if fdb_entry_for is not None:
        entry = fdb_entry_for(result["pairs"][0]["mac"])
        entry.port_bridge_or_fail(domain)  # an Open vSwitch port or no bridge port: refused before anything changes
        result["fdb"] = entry.run(check_mode=True)
    return result


def audit_guest(reading, result, params, topology, script_runner=None, warn=None):
    """The readiness audit of the guest after its check (the full level's sysfs walk is the check's own ``topology``),
    in ``result['audit']``: findings of severity warn become warnings, one of severity refuse refuses the migration
    with each finding, its netdev and its fix. At the none level it is skipped, with a note."""
    if reading.level == "none":
        result["audit"] = {"level": "none", "findings": [], "refuse": False, "unchecked": [
            {"check": "audit", "why": "skipped: verify level none, the guest is not read"}],
            "message": "{0}: the readiness audit was skipped (verify level none: the guest is not read)".format(params["name"])}
        return
    macs = [pair["mac"] for pair in result["pairs"] if pair.get("mac")]
    audited = readiness.audit_domain(reading, macs=macs, severities=params.get("audit_severities"), topology=topology,
                                     script_runner=script_runner)
    result["audit"] = {key: audited[key] for key in ("level", "findings", "unchecked", "refuse", "message")}
    for finding in audited["findings"]:
        if finding["severity"] == "warn" and warn is not None:
            warn(readiness.finding_text(finding))
    if audited["refuse"]:
        raise LibvirtCollectionError(readiness.refusal(audited, params["name"]), result=result)


def lock_fields(taken):
    """The lock's part of the result: ``lock_owner`` is this run's owner record while this run holds the lock
    (``taken``: lock.take's result), null when it took none."""
    if taken is None:
        return dict(NO_LOCK)
    return {"lock": taken["lock"], "lock_owner": taken["lock_owner"], "held_by": None, "taken_over": taken["taken_over"]}


def take_lock(params, check_mode, warn):
    """This run's lock of the VM in ``params['lock_directory']`` (None without one). A lock another run holds is
    refused with its owner as ``held_by`` and no ``lock_owner``: this run holds nothing to release."""
    if not params.get("lock_directory"):
        return None
    try:
        taken = lock.take(params["lock_directory"], params["name"], params, params["lock_stale_after"], check_mode=check_mode)
    except LibvirtCollectionError as error:
        refused = dict(NO_LOCK, lock=error.result.get("lock"), held_by=error.result.get("held_by"))
        raise LibvirtCollectionError(error.message, error_code=error.error_code, result=refused) from error
    for note in taken["warnings"]:
        warn(note)
    return taken


def locked_preflight(connect, params, check_mode=False, warn=None, **checks):
    """The source's run: the lock (when ``params`` give lock_directory), then preflight(connect(), params, **checks).

    Once the lock is taken, every result carries it, a failure's too, so that the caller can release it
    (``lock_owner.run_id``); a failure that is no LibvirtCollectionError (a bug) releases it here before it goes on."""
    taken = take_lock(params, check_mode, warn or (lambda _note: None))
    fields = lock_fields(taken)
    try:
        result = preflight(connect(), params, warn=warn, **checks)
    except LibvirtCollectionError as error:
        error.result = dict(error.result, **fields)
        raise
    except Exception:
        if taken is not None and not check_mode:
            lock.release(params["lock_directory"], params["name"], taken["lock_owner"]["run_id"])
        raise
    result.update(fields)
    result["changed"] = bool(taken and taken["changed"])
    return result


def missing_paths(bridges, pci_devices, sysfs_root=sriov.SYSFS_ROOT):
    """What this host has not got, each named with the sysfs path that shows it: the Linux bridges (a standby's bridge,
    an emulated VF's) and the PCI devices (a VF at a fixed host PCI address)."""
    wanted = [("the bridge " + name, os.path.join(sysfs_root, "class", "net", name, "bridge")) for name in bridges] \
        + [("the PCI device " + address, os.path.join(sysfs_root, "bus", "pci", "devices", address)) for address in pci_devices]
    return ["{0} ({1})".format(what, path) for what, path in wanted if not os.path.exists(path)]


def destination_preflight(params, fdb_entry_for=None, sysfs_root=sriov.SYSFS_ROOT):
    """The destination's run (``params``: bridges, pci_devices, mac): the PF's bridge port for the FDB steps through
    ``fdb_entry_for(mac)`` (None: no FDB steps; an Open vSwitch port or a port in no bridge is refused), and the
    bridges and VFs it has not got as ``missing`` (the caller refuses with them). Reads only."""
    result = {"changed": False, "name": params["name"], "missing": missing_paths(params["bridges"], params["pci_devices"], sysfs_root),
              "fdb": None}
    if fdb_entry_for is not None:
        if not params.get("mac"):
            raise LibvirtCollectionError("Checking the port {0} for the FDB steps needs the guest's MAC: give mac.".format(params["fdb_port"]))
        result["fdb"] = fdb_entry_for(params["mac"]).run(check_mode=True)
    return result
