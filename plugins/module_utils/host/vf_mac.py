# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The administrative MAC address of an SR-IOV VF, as its PF reports it (``ip -j link show dev PF``, ``vfinfo_list``)
and as ``ip link set dev PF vf N mac MAC`` sets it.

The guest's VF driver reads this MAC when it probes, and net_failover enslaves the VF only when that MAC is the
standby's: set it before the VF is plugged in; clear it (00:00:00:00:00:00) after the VF was unplugged.

The VF is named by its PCI address (resolved to PF and VF number through sysfs, sriov.vf_identity) or, in the seed's
style, by PF and VF number. Before anything is changed, the domains that use the VF (sriov.vf_owners) are checked: a VF
that another domain uses is refused.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.host.commands import (
    ZERO_MAC,
    CommandError,
    normalize_mac,
    parse_json,
    run_checked,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.plugins.module_utils.host.sriov import SYSFS_ROOT, pf_vfs, vf_identity


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


def admin_macs(run_command, pf, ip="ip"):
    """{VF number: admin MAC} of every VF the PF reports in its vfinfo_list."""
    argv = show_argv(pf, ip)
    link = parse_link(run_checked(run_command, argv, "read PF {0}".format(pf)), pf, argv)
    return {entry.get("vf"): vf_address(entry) for entry in vf_list(link)}


def describe_vf(address, pf, vf):
    """'VF 0000:3b:02.1 (enp59s0f0 vf 1)', or 'VF 1 on enp59s0f0' while the PCI address is not known."""
    return "VF {0} ({1} vf {2})".format(address, pf, vf) if address else "VF {0} on {1}".format(vf, pf)


def refuse_foreign_owners(address, pf, vf, owners, domain=None, result=None):
    """Raise when a domain other than ``domain`` uses the VF (``owners``: sriov.vf_owners); nothing was changed."""
    others = [name for name in owners.get(address, []) if name != domain]
    if not others:
        return
    users = "domain{0} {1}".format("s" if len(others) > 1 else "", ", ".join(others))
    if domain:
        advice = "It is not {0}'s VF: pick a free VF for {0} (netfailover.standby.vf_info lists them).".format(domain)
    else:
        advice = ("If it is {0}'s own VF, say so with domain={0}; otherwise pick a free VF (netfailover.standby.vf_info "
                  "lists them).").format(others[0])
    raise LibvirtCollectionError("{0} is used by {1}; nothing was changed. {2}".format(describe_vf(address, pf, vf), users, advice),
                                 result=result)


class VfMac:
    """One run of vf_mac: ``run_command(argv) -> (rc, out, err)``; ``ip`` is the path of iproute2's ip.

    Give the VF as ``address`` (its PCI address) or as ``pf`` and ``vf``. ``owners`` is None (no check) or a callable
    returning sriov.vf_owners' map; a VF that a domain other than ``domain`` uses is refused before anything changes.
    """

    def __init__(self, run_command, pf=None, vf=None, state="present", mac=None, ip="ip", address=None, owners=None,
                 domain=None, sysfs_root=SYSFS_ROOT):
        self.run_command = run_command
        self.pf = pf
        self.vf = vf
        self.state = state
        self.mac = ZERO_MAC if state == "absent" else normalize_mac(mac)
        self.ip = ip
        self.address = address
        self.owners = owners
        self.domain = domain
        self.sysfs_root = sysfs_root

    def identify(self):
        """PF and VF number from the PCI address (sysfs), or the PCI address from PF and VF number when owners are checked."""
        if self.address is not None:
            identity = vf_identity(self.address, self.sysfs_root)
            self.address, self.pf, self.vf = identity["address"], identity["pf"], identity["vf"]
        elif self.owners is not None:
            found = [entry["address"] for entry in pf_vfs(self.pf, self.sysfs_root) if entry["vf"] == self.vf]
            if not found:
                raise LibvirtCollectionError("{0} has no VF {1} in sysfs ({2}/class/net/{0}/device/virtfn{1}).".format(
                    self.pf, self.vf, self.sysfs_root))
            self.address = found[0]

    def read(self):
        argv = show_argv(self.pf, self.ip)
        link = parse_link(run_checked(self.run_command, argv, "read PF {0}".format(self.pf)), self.pf, argv)
        return find_vf(link, self.pf, self.vf)

    def run(self, check_mode=False):
        if self.address is not None:
            self.identify()
        before = vf_address(self.read())  # with pf and vf: the PF's own answer first ("pf0 has no VF 5")
        if self.address is None:
            self.identify()
        commands = [] if before == self.mac else [set_argv(self.pf, self.vf, self.mac, self.ip)]
        result = {"changed": bool(commands), "address": self.address, "pf": self.pf, "vf": self.vf, "state": self.state,
                  "mac_before": before, "mac": self.mac, "commands": commands}
        if self.owners is not None:
            owners = self.owners()
            result["owners"] = list(owners.get(self.address, []))
            refuse_foreign_owners(self.address, self.pf, self.vf, owners, self.domain,
                                  result=dict(result, changed=False, mac=before, commands=[]))
        if check_mode or not commands:
            return result
        try:
            run_checked(self.run_command, commands[0], "set the MAC of {0}".format(describe_vf(self.address, self.pf, self.vf)))
        except CommandError as error:
            error.result = dict(result, mac=before, **error.result)
            raise
        after = vf_address(self.read())
        result["mac"] = after
        if after != self.mac:
            raise LibvirtCollectionError("`{0}` succeeded but {1} reports {2} for VF {3} afterwards.".format(
                " ".join(commands[0]), self.pf, after, self.vf), result=result)
        return result
