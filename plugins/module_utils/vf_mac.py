# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The administrative MAC address of an SR-IOV VF, as its PF reports it (``ip -j link show dev PF``, ``vfinfo_list``)
and as ``ip link set dev PF vf N mac MAC`` sets it.

The guest's VF driver reads this MAC when it probes, and net_failover enslaves the VF only when that MAC is the
standby's: set it before the VF is plugged in; clear it (00:00:00:00:00:00) after the VF was unplugged.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.host_commands import (
    ZERO_MAC,
    CommandError,
    normalize_mac,
    parse_json,
    run_checked,
)
from ansible_collections.netfailover.standby.plugins.module_utils.libvirt_connection import LibvirtCollectionError


def show_argv(pf, ip="ip"):
    return [ip, "-j", "link", "show", "dev", pf]


def set_argv(pf, vf, mac, ip="ip"):
    return [ip, "link", "set", "dev", pf, "vf", str(vf), "mac", mac]


def parse_link(text, pf, argv=None):
    """The one link object of ``ip -j link show dev PF``."""
    links = parse_json(text, argv or show_argv(pf))
    if not isinstance(links, list) or not links or not isinstance(links[0], dict):
        raise CommandError("`{0}` printed no link for {1}.".format(" ".join(argv or show_argv(pf)), pf))
    return links[0]


def vf_list(link):
    return link.get("vfinfo_list") or []


def vf_address(entry):
    """The VF's MAC: iproute2 prints it as "address" (older releases: "mac")."""
    return normalize_mac(entry.get("address") or entry.get("mac") or ZERO_MAC, option="the VF's MAC")


def find_vf(link, pf, vf):
    """The vfinfo_list entry of VF ``vf``; a clear error when the PF has no such VF."""
    entries = vf_list(link)
    for entry in entries:
        if entry.get("vf") == vf:
            return entry
    if not entries:
        reason = ("{0} reports no VFs: it is not an SR-IOV PF, or SR-IOV is not enabled on it (check "
                  "/sys/class/net/{0}/device/sriov_numvfs and sriov_totalvfs)").format(pf)
    else:
        reason = "{0} has VFs {1}".format(pf, ", ".join(str(e.get("vf")) for e in entries))
    raise LibvirtCollectionError("{0} has no VF {1}: {2}.".format(pf, vf, reason))


class VfMac:
    """One run of vf_mac: ``run_command(argv) -> (rc, out, err)``; ``ip`` is the path of iproute2's ip."""

    def __init__(self, run_command, pf, vf, state="present", mac=None, ip="ip"):
        self.run_command = run_command
        self.pf = pf
        self.vf = vf
        self.state = state
        self.mac = ZERO_MAC if state == "absent" else normalize_mac(mac)
        self.ip = ip

    def read(self):
        argv = show_argv(self.pf, self.ip)
        link = parse_link(run_checked(self.run_command, argv, "read PF {0}".format(self.pf)), self.pf, argv)
        return find_vf(link, self.pf, self.vf)

    def run(self, check_mode=False):
        before = vf_address(self.read())
        commands = [] if before == self.mac else [set_argv(self.pf, self.vf, self.mac, self.ip)]
        result = {"changed": bool(commands), "pf": self.pf, "vf": self.vf, "state": self.state,
                  "mac_before": before, "mac": self.mac, "commands": commands}
        if check_mode or not commands:
            return result
        try:
            run_checked(self.run_command, commands[0], "set the MAC of VF {0} on {1}".format(self.vf, self.pf))
        except CommandError as error:
            error.result = dict(result, mac=before, **error.result)
            raise
        after = vf_address(self.read())
        result["mac"] = after
        if after != self.mac:
            raise LibvirtCollectionError("`{0}` succeeded but {1} reports {2} for VF {3} afterwards.".format(
                " ".join(commands[0]), self.pf, after, self.vf), result=result)
        return result
