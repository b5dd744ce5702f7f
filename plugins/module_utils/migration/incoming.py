# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting on the destination for a domain that is migrating here: a step that must act the moment it arrives.

A step module started (as an async task) before the migration waits here, then acts on the arrived domain at once:
an Ansible task that starts after the migration's task would come a whole task's cost (1-2 s) too late. libvirt's
destination shows the incoming domain paused from the migration's prepare phase and running from its finish; a
migration that fails takes the incoming domain away again, which ends the wait at once, with nothing changed.
"""

from __future__ import annotations

import time

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    connection_uri,
    find_domain,
    libvirt_call,
)

POLL_SECONDS = 0.02  # between two local lookups: the arrival is acted on within this
APPEAR_SECONDS = 120.0  # the incoming domain shows up at the migration's start: a wait that sees nothing by then ends
VIR_DOMAIN_RUNNING = 1
VIR_DOMAIN_SHUTOFF = 5


@libvirt_call("read the state of domain {name}", missing_is_none=True)
def domain_state(domain, name=None):
    """libvirt's state number (1 running, 3 paused, 5 shut off, ...); None when the domain has just gone."""
    return domain.state()[0]


def wait_for_arrival(connection, name, timeout, appear_within=APPEAR_SECONDS, clock=time.monotonic, sleep=time.sleep):
    """The virDomain ``name`` once it runs here (``timeout`` s at most; it must show up within ``appear_within`` s).

    Returns (domain, seconds waited, whether it was seen arriving: False when it ran here already). Raises
    LibvirtCollectionError, having changed nothing, when it does not come, or comes and goes again (a failed migration).
    """
    started = clock()
    seen = False
    while True:
        domain = find_domain(connection, name=name)
        state = domain_state(domain, name=name) if domain is not None else None
        waited = round(clock() - started, 3)
        if state == VIR_DOMAIN_RUNNING:
            return domain, waited, seen
        if state not in (None, VIR_DOMAIN_SHUTOFF):
            seen = True  # the incoming domain, paused until the migration finishes
        elif seen:  # gone, or back to the shut-off definition the destination had
            raise LibvirtCollectionError(
                "Domain {0} came in at {1} and went away again after {2:g} s: the migration failed or was cancelled. "
                "Nothing was changed here.".format(name, connection_uri(connection), waited))
        if waited >= timeout or (not seen and waited >= appear_within):
            raise LibvirtCollectionError(
                "Domain {0} did not {1} at {2} within {3:g} s. Nothing was changed here. Check the migration's own "
                "result (a migration that never started, or one that takes longer than wait_for_arrival).".format(
                    name, "arrive and run" if seen else "start arriving", connection_uri(connection), waited))
        sleep(POLL_SECONDS)
