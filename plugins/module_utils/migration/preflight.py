# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration_preflight module's run: everything the migrate role checks on the source, in one call (reads only).

Where the domain runs (the source, already the destination, or neither), its STANDBY pairs and VFs from its running
definition, whether its guest is ready for the dance's first step, whether the destination's libvirt answers at the
migration URI from here, and whether the PF's bridge port can take the FDB steps. Each of these was a task of its own,
at 1-2 s of Ansible's cost per task.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration import transfer
from ansible_collections.netfailover.standby.plugins.module_utils.migration.live_migrate import active_on_both, find_on_both
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pairs import pairs_of
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    connection_uri,
)


def running_domains(connection):
    """The names of the domains that run on ``connection``, for a refusal that says what does run there."""
    return sorted(domain.name() for domain in domains.all_domains(connection) if domains.is_active(domain, name=domain.name()))


def locate(source, destination, name):
    """'source', 'destination' or 'neither'; a domain active on both (a migration under way) is refused."""
    here, active_here, _there, active_there = find_on_both(source, destination, name)
    if active_here and active_there:
        raise active_on_both(name, connection_uri(source), connection_uri(destination))
    return ("source" if active_here else "destination" if active_there else "neither"), here


def preflight(source, params, opener=None, reader_factory=None, fdb_entry_for=None, sysfs_root=sriov.SYSFS_ROOT):
    """Run the checks (``params``: name, destination_uri, verify_timeout). ``opener(uri, read_only)`` opens the
    destination; ``fdb_entry_for(mac)`` gives the bridge_fdb.FdbEntry to check on the PF port (None: no FDB steps).
    Returns the module result; raises LibvirtCollectionError with what to fix. Never changes anything."""
    name = params["name"]
    destination = (opener or transfer.open_destination)(params["destination_uri"], read_only=True)
    try:
        location, domain = locate(source, destination, name)
    finally:
        destination.close()
    result = {"changed": False, "name": name, "location": location, "running_on_source": None, "pairs": [], "vfs": [],
              "guest": None, "fdb": None}
    if location != "source":
        result["running_on_source"] = running_domains(source) if location == "neither" else None
        return result
    result["pairs"] = pairs_of(dx.parse(domains.read_xml(domain, "live", name=name), "live XML of domain " + name))
    result["vfs"] = sriov.domain_vfs(domain, sysfs_root)
    if not result["pairs"]:
        return result  # the role refuses a VM without a pair, with what to configure
    first = dance.step_expectation({"step": dance.DANCES["manual"][0].name}, phase="before")
    observation = guest_failover.observe((reader_factory or guest_failover.agent_reader)(domain), expect=list(first.states),
                                         timeout=params["verify_timeout"], interval=0.25, domain=name)
    result["guest"] = guest_failover.guest_summary(observation)
    if fdb_entry_for is not None:
        entry = fdb_entry_for(result["pairs"][0]["mac"])
        entry.port_bridge_or_fail(domain)  # an Open vSwitch port or no bridge port: refused before anything changes
        result["fdb"] = entry.run(check_mode=True)
    return result
