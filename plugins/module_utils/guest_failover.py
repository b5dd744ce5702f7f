# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a guest's failover topology (through the guest agent or locally) and waiting for a state."""

from __future__ import annotations

import time

from ansible_collections.netfailover.standby.plugins.module_utils import guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.failover_state import GuestState, classify, verify
from ansible_collections.netfailover.standby.plugins.module_utils.guest_topology import (
    SYSFS_WALK_SCRIPT,
    parse_sysfs_walk,
    read_local_topology,
)
from ansible_collections.netfailover.standby.plugins.module_utils.libvirt_connection import LibvirtCollectionError

STATE_NAMES = [state.value for state in GuestState]


def agent_reader(domain, exec_timeout=10.0):
    """A reader for a libvirt domain: a read-only sysfs walk run by the guest agent (busybox sh is enough)."""

    def read():
        code, out, err = guest_agent.execute(domain, "/bin/sh", ["-c", SYSFS_WALK_SCRIPT], timeout=exec_timeout)
        if code != 0:
            raise guest_agent.GuestAgentError("The sysfs walk failed in domain {0} (exit code {1}): {2}".format(
                domain.name(), code, err.strip()))
        return parse_sysfs_walk(out)

    return read


def local_reader(sysfs_root="/sys/class/net"):
    """A reader for the machine the module runs on (the module runs inside the guest)."""
    return lambda: read_local_topology(sysfs_root)


def observe(read, expect=None, timeout=0.0, interval=0.5, classify_options=None,
            clock=time.monotonic, sleep=time.sleep, domain="DOMAIN", tap="TAP"):
    """Read and classify the topology, polling until it is in one of ``expect`` or ``timeout`` passes.

    Returns the module result. Raises LibvirtCollectionError with the operator diagnostic (and the
    last observation as its partial result) when the expected state does not come.
    """
    classify_options = classify_options or {}
    started = clock()
    reads = 0
    while True:
        read_started = clock()
        try:
            topology = read()
        except LibvirtCollectionError as error:
            # a guest agent that is not up yet (the guest is booting) is worth waiting for, up to the timeout
            if clock() - started >= timeout:
                raise LibvirtCollectionError("{0} (waited {1:.1f} s)".format(error.message, clock() - started),
                                             error_code=error.error_code) from error
            sleep(interval)
            continue
        reads += 1
        read_seconds = clock() - read_started
        classification = classify(topology, **classify_options)
        verification = verify(classification, expect, domain=domain, tap=tap) if expect else None
        done = verification is None or verification.ok
        if done or clock() - started >= timeout:
            break
        sleep(interval)
    result = {
        "changed": False,
        "state": classification.state.value,
        "failover": classification.as_dict(),
        "topology": topology,
        "reads": reads,
        "last_read_seconds": round(read_seconds, 3),
        "elapsed_seconds": round(clock() - started, 3),
    }
    if verification is not None:
        result["message"] = verification.message
        if not verification.ok:
            raise LibvirtCollectionError(
                "{0} (waited {1:.1f} s)".format(verification.message, result["elapsed_seconds"]), result=result)
    return result
