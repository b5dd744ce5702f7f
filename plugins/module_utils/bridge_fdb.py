# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bridge forwarding database (FDB) entry for one MAC on one port, read and changed with iproute2's ``bridge``.

The seed's ``bridge fdb del $MAC dev $PF master``: while the VF carries the guest's traffic, the host bridge
learns the guest's MAC on the PF's port; before the VF goes away that entry is removed so the bridge floods
and then learns the MAC on the standby's tap.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.host_commands import (
    CommandError,
    normalize_mac,
    parse_json,
    run_checked,
)
from ansible_collections.netfailover.standby.plugins.module_utils.libvirt_connection import LibvirtCollectionError

# flavour (module option) -> the "state" that `bridge -j fdb show` prints for such an entry
FLAVOUR_STATES = {"static": "static", "permanent": "permanent", "dynamic": ""}


def show_argv(port, bridge="bridge"):
    return [bridge, "-j", "fdb", "show", "dev", port]


def bridge_show_argv(bridge_name, bridge="bridge"):
    return [bridge, "-j", "fdb", "show", "br", bridge_name]


def link_argv(port, ip="ip"):
    return [ip, "-j", "link", "show", "dev", port]


def _table(master):
    return "master" if master else "self"


def delete_argv(mac, port, master=True, vlan=None, bridge="bridge"):
    argv = [bridge, "fdb", "del", mac, "dev", port, _table(master)]
    if vlan is not None:
        argv += ["vlan", str(vlan)]
    return argv


def replace_argv(mac, port, master=True, flavour="static", bridge="bridge", sticky=False):
    """``replace`` (create or update), not ``add``: ``add`` fails with "File exists" when the bridge has the MAC
    on another port (for example learned on the standby's tap), ``replace`` moves it to this port.
    ``sticky``: the bridge does not move the entry to another port when it sees the MAC there (learning)."""
    return [bridge, "fdb", "replace", mac, "dev", port, _table(master), flavour] + (["sticky"] if sticky else [])


def flavour_of(entry):
    """static, permanent or dynamic (a learned or user-added ageing entry)."""
    state = entry.get("state") or ""
    for flavour, shown in FLAVOUR_STATES.items():
        if shown == state:
            return flavour
    return state


def matching_entries(entries, mac, master=True):
    """Entries for ``mac`` in the bridge's FDB (``master``) or in the port device's own FDB (``self``)."""
    found = []
    for entry in entries:
        if (entry.get("mac") or "").lower() != mac:
            continue
        in_bridge = "master" in entry
        if in_bridge == master or (not master and "self" in entry.get("flags", [])):
            found.append(entry)
    return found


def plan(entries, mac, port, state, master=True, flavour="static", bridge="bridge", sticky=False):
    """The commands that bring the FDB to the wanted state (empty when it is there already)."""
    if state == "absent":
        return [delete_argv(mac, port, master, entry.get("vlan"), bridge) for entry in entries]
    if len(entries) == 1 and flavour_of(entries[0]) == flavour and entries[0].get("vlan") is None and \
            ("sticky" in entries[0].get("flags", [])) == sticky:
        return []
    return [replace_argv(mac, port, master, flavour, bridge, sticky)]


def describe(entries):
    return [{"mac": e.get("mac"), "flavour": flavour_of(e), "vlan": e.get("vlan"), "bridge": e.get("master"),
             "flags": e.get("flags", [])} for e in entries]


class FdbEntry:
    """One run of fdb_entry: ``run_command(argv) -> (rc, out, err)``; ``bridge`` and ``ip`` are the tools' paths."""

    def __init__(self, run_command, mac, port, state, master=True, flavour="static", bridge="bridge", ip="ip", sticky=False):
        self.sticky = sticky
        self.run_command = run_command
        self.mac = normalize_mac(mac)
        self.port = port
        self.state = state
        self.master = master
        self.flavour = flavour
        self.bridge = bridge
        self.ip = ip
        self.warnings = []  # the module passes them to AnsibleModule.warn
        self.bridge_name = None
        self.port_checked = False

    def port_bridge(self):
        """The bridge the port belongs to (None when it is no bridge port); fails clearly when the port is missing."""
        argv = link_argv(self.port, self.ip)
        out = run_checked(self.run_command, argv, "read port {0}".format(self.port))
        links = parse_json(out, argv)
        return links[0].get("master") if links else None

    def port_bridge_or_fail(self):
        """The port's bridge; fails (before anything changes) when an entry in a bridge's FDB is wanted on a non-port."""
        self.bridge_name = self.port_bridge()
        if self.master and not self.bridge_name:
            raise LibvirtCollectionError(
                "{0} is not a bridge port (it has no master), so it has no entry in a bridge's FDB. Give the bridge port "
                "(for example the PF's port on the host bridge), or set master: false for the device's own FDB.".format(
                    self.port))
        self.port_checked = True
        return self.bridge_name

    def read(self):
        argv = show_argv(self.port, self.bridge)
        entries = parse_json(run_checked(self.run_command, argv, "read the FDB of {0}".format(self.port)), argv)
        return matching_entries(entries, self.mac, self.master)

    def pinned_elsewhere(self):
        """The other ports of the bridge that hold a static or permanent entry for the MAC (where an earlier step
        pinned it), read from the whole bridge's FDB."""
        bridge_name = self.bridge_name if self.port_checked else self.port_bridge_or_fail()
        argv = bridge_show_argv(bridge_name, self.bridge)
        entries = parse_json(run_checked(self.run_command, argv, "read the FDB of {0}".format(bridge_name)), argv)
        return [e["ifname"] for e in matching_entries(entries, self.mac, self.master)
                if e.get("ifname") and e["ifname"] != self.port and flavour_of(e) in ("static", "permanent")]

    def on_port(self, port):
        """The same entry on another port of the same bridge (to move it back where it was)."""
        return FdbEntry(self.run_command, self.mac, port, self.state, self.master, self.flavour, self.bridge, self.ip,
                        self.sticky)

    def run(self, check_mode=False):
        bridge_name = self.bridge_name if self.port_checked else self.port_bridge_or_fail()
        before = self.read()
        commands = plan(before, self.mac, self.port, self.state, self.master, self.flavour, self.bridge, self.sticky)
        result = {"changed": bool(commands), "mac": self.mac, "port": self.port, "bridge": bridge_name if self.master else None,
                  "state": self.state, "entries_before": describe(before), "commands": commands}
        if check_mode or not commands:
            result["entries_after"] = result["entries_before"] if not commands else self.predicted()
            return result
        for argv in commands:
            try:
                run_checked(self.run_command, argv, "change the FDB entry of {0} on {1}".format(self.mac, self.port))
            except CommandError as error:
                error.result = dict(result, **error.result)
                raise
        after = self.read()
        result["entries_after"] = describe(after)
        self.verify(after, result)
        return result

    def predicted(self):
        if self.state == "absent":
            return []
        return [{"mac": self.mac, "flavour": self.flavour, "vlan": None, "bridge": self.bridge_name if self.master else None,
                 "flags": []}]

    def verify(self, after, result):
        if self.state == "present":
            if not any(flavour_of(entry) == self.flavour for entry in after):
                raise LibvirtCollectionError("`{0}` succeeded but {1} has no {2} entry for {3} afterwards.".format(
                    " ".join(result["commands"][-1]), self.port, self.flavour, self.mac), result=result)
        elif after:
            self.warnings.append(
                "The FDB entry for {0} on {1} was deleted but is there again ({2}): the bridge learned it back from "
                "traffic that still arrives on {1}. Remove the source of that traffic (for example unplug the VF) right "
                "after the delete, or add a static entry on the standby's tap.".format(
                    self.mac, self.port, ", ".join(flavour_of(e) or "dynamic" for e in after)))


def pinned_entry(ansible_module, mac, port, state="present"):
    """The static, sticky entry the step modules move (their fdb_mac and fdb_port options), with the tools found on
    the host; None without a MAC."""
    if not mac:
        return None
    return FdbEntry(ansible_module.run_command, mac, port, state, flavour="static", sticky=True,
                    bridge=ansible_module.get_bin_path("bridge", required=True), ip=ansible_module.get_bin_path("ip", required=True))
