# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Talking to the QEMU guest agent of a libvirt domain: ping, and running a read-only command.

guest-exec works with no guest network and no Python in the guest, which is why the topology of a
guest is read through it from the hypervisor.
"""

from __future__ import annotations

import base64
import json
import time

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    libvirt_call,
    require_libvirt,
)

try:
    import libvirt_qemu
except ImportError:
    libvirt_qemu = None  # reported by require_libvirt: libvirt_qemu ships with libvirt-python

AGENT_TIMEOUT_SECONDS = 5


class GuestAgentError(LibvirtCollectionError):
    """The guest agent did not answer or the command it ran failed."""


@libvirt_call("talk to the guest agent of domain {domain_name}")
def agent_command(domain, command, arguments=None, timeout=AGENT_TIMEOUT_SECONDS, domain_name=None):
    """Send one guest agent command and return its ``return`` value."""
    require_libvirt()
    request = {"execute": command}
    if arguments is not None:
        request["arguments"] = arguments
    reply = libvirt_qemu.qemuAgentCommand(domain, json.dumps(request), timeout, 0)
    return json.loads(reply).get("return")


def ping(domain, timeout=AGENT_TIMEOUT_SECONDS):
    """Return True when the agent answers guest-ping."""
    agent_command(domain, "guest-ping", timeout=timeout, domain_name=domain.name())
    return True


def netdev_names(domain, timeout=AGENT_TIMEOUT_SECONDS):
    """The guest's network interface names (guest-network-get-interfaces): one agent call, no process in the guest."""
    interfaces = agent_command(domain, "guest-network-get-interfaces", timeout=timeout, domain_name=domain.name()) or []
    return {interface.get("name") for interface in interfaces}


def netdev_macs(domain, timeout=AGENT_TIMEOUT_SECONDS):
    """{name: MAC (lower case)} of the guest's network interfaces, from the same one agent call as netdev_names."""
    interfaces = agent_command(domain, "guest-network-get-interfaces", timeout=timeout, domain_name=domain.name()) or []
    return {interface.get("name"): (interface.get("hardware-address") or "").lower() for interface in interfaces}


def execute(domain, path, arguments=(), timeout=10.0, poll_interval=0.02, clock=time.monotonic, sleep=time.sleep):
    """Run ``path arguments...`` in the guest through guest-exec and wait for it.

    Returns (exit code, stdout text, stderr text). Raises GuestAgentError on timeout.
    """
    name = domain.name()
    started = agent_command(domain, "guest-exec", {"path": path, "arg": list(arguments), "capture-output": True},
                            domain_name=name)
    pid = started["pid"]
    deadline = clock() + timeout
    while True:
        status = agent_command(domain, "guest-exec-status", {"pid": pid}, domain_name=name)
        if status.get("exited"):
            return status.get("exitcode"), _decode(status.get("out-data")), _decode(status.get("err-data"))
        if clock() >= deadline:
            raise GuestAgentError("The command {0} did not finish within {1} s in domain {2} (guest agent pid {3}).".format(
                path, timeout, name, pid))
        sleep(poll_interval)


def _decode(data):
    return base64.b64decode(data).decode("utf-8", "replace") if data else ""
