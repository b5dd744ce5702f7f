# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bridge forwarding database (FDB) entry for one MAC on one port, read and changed with iproute2's ``bridge``.

The seed's ``bridge fdb del $MAC dev $PF master``: while the VF carries the guest's traffic, the host bridge
learns the guest's MAC on the PF's port; before the VF goes away that entry is removed so the bridge floods
and then learns the MAC on the standby's tap.

An entry is keyed by (MAC, VLAN). A bridge with ``vlan_filtering`` 1 looks frames up in the VLAN they are in (for the
guest's untagged frames, the PVID of its tap), so a pin must name that VLAN: without ``vlan`` the kernel writes the
entry into every VLAN of the port and VLAN 0. A bridge without filtering looks up VLAN 0 only (a kernel built with
VLAN filtering still keeps the port's default VLAN 1, and adds the entry there too). ``bridge fdb del`` without
``vlan`` deletes the MAC in every VLAN of the port. Recorded outputs: tests/unit/plugins/module_utils/fixtures/iproute2.

Open vSwitch ports (master ``ovs-system``, slave kind ``openvswitch``) have no Linux bridge FDB: refused.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.virt import devices as domain_devices
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.host.commands import (
    CommandError,
    normalize_mac,
    parse_json,
    run_checked,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

# flavour (module option) -> the "state" that `bridge -j fdb show` prints for such an entry
FLAVOUR_STATES = {"static": "static", "permanent": "permanent", "dynamic": ""}
ANY_VLAN = "any"  # matching_entries: the MAC's entries in every VLAN (and in none)
OVS_DATAPATH = "ovs-system"


def show_argv(port, bridge="bridge"):
    return [bridge, "-j", "fdb", "show", "dev", port]


def bridge_show_argv(bridge_name, bridge="bridge"):
    return [bridge, "-j", "fdb", "show", "br", bridge_name]


def link_argv(port, ip="ip"):
    """``-d``: the details say what the port's master is (linkinfo info_slave_kind) and whether a bridge filters VLANs."""
    return [ip, "-d", "-j", "link", "show", "dev", port]


def vlan_show_argv(port, bridge="bridge"):
    return [bridge, "-j", "vlan", "show", "dev", port]


def _linkinfo(link):
    return (link or {}).get("linkinfo") or {}


def is_ovs_port(link):
    """A port of an Open vSwitch datapath (``ip -d -j link show``): master ovs-system, or slave kind openvswitch."""
    return (link or {}).get("master") == OVS_DATAPATH or _linkinfo(link).get("info_slave_kind") == "openvswitch"


def vlan_filtering(bridge_link):
    """Whether a bridge (its ``ip -d -j link show`` entry) filters VLANs; a kernel without VLAN filtering says 0."""
    return bool((_linkinfo(bridge_link).get("info_data") or {}).get("vlan_filtering"))


def port_vlans(vlan_output, port):
    """The VLAN entries of ``port`` in ``bridge -j vlan show dev PORT``, in either shape iproute2 prints:
    ``[{"ifname": PORT, "vlans": [{"vlan": 10, "flags": ["PVID", "Egress Untagged"]}]}]`` (newer iproute2, 6.1 here),
    or ``{PORT: [{"vlan": 10, "flags": [...]}]}`` (older iproute2, 4.x)."""
    if isinstance(vlan_output, dict):
        return list(vlan_output.get(port) or [])
    found = []
    for item in vlan_output or []:
        if item.get("ifname", port) != port:
            continue
        found.extend(item["vlans"] if "vlans" in item else [item] if "vlan" in item else [])
    return found


def pvid(vlan_output, port):
    """The port's PVID (the VLAN its untagged frames are in), or None."""
    for entry in port_vlans(vlan_output, port):
        if "pvid" in [str(flag).lower() for flag in entry.get("flags") or []]:
            return entry.get("vlan")
    return None


def check_vlan(vlan):
    if vlan is not None and not 1 <= vlan <= 4094:
        raise LibvirtCollectionError("vlan must be a VLAN ID from 1 to 4094, not {0}.".format(vlan))
    return vlan


def standby_tap(domain, mac):
    """The guest's standby tap: the virtio ``<interface>`` with this MAC in the domain's live XML (the VF, which shares
    the MAC, is no virtio interface)."""
    name = domain.name()
    root = dx.parse(domains.read_xml(domain, "live", name=name), "live XML of domain " + name)
    for interface in dx.interfaces(root):
        facts = domain_devices.describe_interface(interface)
        if facts["model"] == "virtio" and (facts["mac"] or "").lower() == mac and facts["tap"]:
            return facts["tap"]
    raise LibvirtCollectionError(
        "Domain {0} has no running virtio interface with MAC {1} (its interfaces: {2}), so the VLAN of its standby's tap "
        "cannot be read. Check the MAC (fdb_mac) and that the domain runs here.".format(
            name, mac, domain_devices.interface_summary(root)))


def _table(master):
    return "master" if master else "self"


def delete_argv(mac, port, master=True, vlan=None, bridge="bridge"):
    argv = [bridge, "fdb", "del", mac, "dev", port, _table(master)]
    if vlan is not None:
        argv += ["vlan", str(vlan)]
    return argv


def replace_argv(mac, port, master=True, flavour="static", bridge="bridge", sticky=False, vlan=None):
    """``replace`` (create or update), not ``add``: ``add`` fails with "File exists" when the bridge has the MAC
    on another port (for example learned on the standby's tap), ``replace`` moves it to this port.
    ``sticky``: the bridge does not move the entry to another port when it sees the MAC there (learning)."""
    argv = [bridge, "fdb", "replace", mac, "dev", port, _table(master), flavour] + (["sticky"] if sticky else [])
    if vlan is not None:
        argv += ["vlan", str(vlan)]
    return argv


def flavour_of(entry):
    """static, permanent or dynamic (a learned or user-added ageing entry)."""
    state = entry.get("state") or ""
    for flavour, shown in FLAVOUR_STATES.items():
        if shown == state:
            return flavour
    return state


def matching_entries(entries, mac, master=True, vlan=ANY_VLAN):
    """Entries for ``mac`` in the bridge's FDB (``master``) or in the port device's own FDB (``self``); with ``vlan``
    (a VLAN ID, or None for no VLAN) only that VLAN's."""
    found = []
    for entry in entries:
        if (entry.get("mac") or "").lower() != mac or (vlan != ANY_VLAN and entry.get("vlan") != vlan):
            continue
        in_bridge = "master" in entry
        if in_bridge == master or (not master and "self" in entry.get("flags", [])):
            found.append(entry)
    return found


def plan(entries, mac, port, state, master=True, flavour="static", bridge="bridge", sticky=False, vlan=None):
    """The commands that bring the entry for (``mac``, ``vlan``) to the wanted state (empty when it is there already).
    ``entries``: the port's entries for the MAC. Absent without a VLAN: one delete, which removes the MAC in every VLAN
    (one delete per VLAN would fail with "No such file or directory" after the first)."""
    if state == "absent":
        return [delete_argv(mac, port, master, vlan, bridge)] if entries else []
    mine = [entry for entry in entries if entry.get("vlan") == vlan]
    if len(mine) == 1 and flavour_of(mine[0]) == flavour and ("sticky" in mine[0].get("flags", [])) == sticky:
        return []
    return [replace_argv(mac, port, master, flavour, bridge, sticky, vlan)]


def describe(entries):
    return [{"mac": e.get("mac"), "flavour": flavour_of(e), "vlan": e.get("vlan"), "bridge": e.get("master"),
             "flags": e.get("flags", [])} for e in entries]


class FdbEntry:
    """One run of fdb_entry: ``run_command(argv) -> (rc, out, err)``; ``bridge`` and ``ip`` are the tools' paths.

    ``vlan``: the VLAN of the entry (None: none, or derived); ``vlan_from``: a port of the same bridge (usually the
    standby's tap) whose PVID gives the VLAN when the bridge filters VLANs. ``self.vlan`` is the VLAN in use once
    port_bridge_or_fail() has checked the port.
    """

    def __init__(self, run_command, mac, port, state, master=True, flavour="static", bridge="bridge", ip="ip", sticky=False,
                 vlan=None, vlan_from=None):
        self.sticky = sticky
        self.run_command = run_command
        self.mac = normalize_mac(mac)
        self.port = port
        self.state = state
        self.master = master
        self.flavour = flavour
        self.bridge = bridge
        self.ip = ip
        self.wanted_vlan = check_vlan(vlan)
        self.vlan_from = vlan_from
        self.vlan = self.wanted_vlan
        self.warnings = []  # the module passes them to AnsibleModule.warn
        self.bridge_name = None
        self.port_checked = False

    def link(self, device):
        """The device's ``ip -d -j link show`` entry; fails clearly when the device is missing."""
        argv = link_argv(device, self.ip)
        links = parse_json(run_checked(self.run_command, argv, "read port {0}".format(device)), argv)
        return links[0] if links else {}

    def port_bridge_or_fail(self, guest=None):
        """Check the port once, before anything changes, and settle the VLAN: fails when an entry in a bridge's FDB is
        wanted on a non-port or on an Open vSwitch port, or when the bridge filters VLANs and the VLAN is unknown.
        ``guest``: the domain whose standby tap (the virtio interface with the MAC) gives the VLAN when neither vlan nor
        vlan_from was given (the step modules)."""
        if self.port_checked:
            return self.bridge_name
        if self.vlan_from and not self.master:
            raise LibvirtCollectionError("vlan_from reads a bridge's VLANs, so it needs master: true. With master: false "
                                         "give vlan, or neither.")
        link = self.link(self.port)
        self.bridge_name = link.get("master")
        if self.master:
            if is_ovs_port(link):
                raise LibvirtCollectionError(
                    "{0} is a port of an Open vSwitch datapath (master {1}). Open vSwitch is not supported for the FDB "
                    "steps: it forwards by its own flow tables, not by a Linux bridge's FDB, so nothing was changed. Steer "
                    "the guest's MAC with OpenFlow rules yourself (ovs-ofctl), or run without migrate_pf (no fdb_mac/"
                    "fdb_port) so that the FDB steps are skipped.".format(self.port, self.bridge_name))
            if not self.bridge_name:
                raise LibvirtCollectionError(
                    "{0} is not a bridge port (it has no master), so it has no entry in a bridge's FDB. Give the bridge "
                    "port (for example the PF's port on the host bridge), or set master: false for the device's own "
                    "FDB.".format(self.port))
            self.vlan = self.bridge_vlan(guest)
        self.port_checked = True
        return self.bridge_name

    def bridge_vlan(self, guest):
        """The VLAN of the entry on this bridge: None when it does not filter VLANs (its FDB lookups use no VLAN)."""
        if not vlan_filtering(self.link(self.bridge_name)):
            if self.wanted_vlan is not None:
                raise LibvirtCollectionError(
                    "Bridge {0} does not filter VLANs (vlan_filtering 0): it looks every frame up without a VLAN, so an "
                    "entry in VLAN {1} would never steer a frame. Omit vlan (vlan_from applies only to bridges that "
                    "filter VLANs).".format(self.bridge_name, self.wanted_vlan))
            return None
        if self.wanted_vlan is not None:
            return self.wanted_vlan
        source = self.vlan_from or (standby_tap(guest, self.mac) if guest is not None else None)
        if source is None:
            if self.state == "absent":
                return None  # the delete without a VLAN removes the MAC in every VLAN of the port
            raise LibvirtCollectionError(
                "Bridge {0} filters VLANs (vlan_filtering 1), so the entry for {1} must be in the VLAN of the guest's "
                "traffic, and nothing says which. Give vlan (the VLAN ID), or vlan_from (a port of {0} whose PVID is "
                "that VLAN, usually the standby's tap).".format(self.bridge_name, self.mac))
        return self.port_pvid(source)

    def port_pvid(self, source):
        """The PVID of ``source``, a port of the same bridge: the VLAN of the guest's untagged frames."""
        master = self.link(source).get("master")
        if master != self.bridge_name:
            raise LibvirtCollectionError(
                "{0} is not a port of bridge {1} (its master is {2}), so its PVID says nothing about the VLANs of {1}. "
                "Give a port of {1} as vlan_from (usually the standby's tap), or vlan.".format(source, self.bridge_name, master))
        argv = vlan_show_argv(source, self.bridge)
        vlans = parse_json(run_checked(self.run_command, argv, "read the VLANs of {0}".format(source)), argv)
        found = pvid(vlans, source)
        if found is None:
            raise LibvirtCollectionError(
                "{0} has no PVID on bridge {1} (`{2}` shows {3}), so the VLAN of the guest's untagged traffic is unknown. "
                "Give vlan.".format(source, self.bridge_name, " ".join(argv), port_vlans(vlans, source) or "no VLAN"))
        return found

    def key(self):
        """The VLAN the entries are matched in: the entry's, or every VLAN without one."""
        return ANY_VLAN if self.vlan is None else self.vlan

    def read(self):
        argv = show_argv(self.port, self.bridge)
        entries = parse_json(run_checked(self.run_command, argv, "read the FDB of {0}".format(self.port)), argv)
        return matching_entries(entries, self.mac, self.master, self.key())

    def pinned_elsewhere(self):
        """The other ports of the bridge that hold a static or permanent entry for the MAC in the entry's VLAN (where an
        earlier step pinned it), read from the whole bridge's FDB."""
        bridge_name = self.port_bridge_or_fail()
        argv = bridge_show_argv(bridge_name, self.bridge)
        entries = parse_json(run_checked(self.run_command, argv, "read the FDB of {0}".format(bridge_name)), argv)
        return [e["ifname"] for e in matching_entries(entries, self.mac, self.master, self.vlan)
                if e.get("ifname") and e["ifname"] != self.port and flavour_of(e) in ("static", "permanent")]

    def on_port(self, port):
        """The same entry (same VLAN) on another port of the same bridge (to move it back where it was)."""
        return FdbEntry(self.run_command, self.mac, port, self.state, self.master, self.flavour, self.bridge, self.ip,
                        self.sticky, vlan=self.vlan if self.port_checked else self.wanted_vlan,
                        vlan_from=None if self.port_checked else self.vlan_from)

    def run(self, check_mode=False):
        bridge_name = self.port_bridge_or_fail()
        before = self.read()
        commands = plan(before, self.mac, self.port, self.state, self.master, self.flavour, self.bridge, self.sticky, self.vlan)
        result = {"changed": bool(commands), "mac": self.mac, "port": self.port, "bridge": bridge_name if self.master else None,
                  "vlan": self.vlan, "state": self.state, "entries_before": describe(before), "commands": commands}
        if check_mode or not commands:
            result["entries_after"] = result["entries_before"] if not commands else self.predicted(before)
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

    def predicted(self, before):
        if self.state == "absent":
            return []
        others = [entry for entry in describe(before) if entry["vlan"] != self.vlan]
        return others + [{"mac": self.mac, "flavour": self.flavour, "vlan": self.vlan,
                          "bridge": self.bridge_name if self.master else None, "flags": ["sticky"] if self.sticky else []}]

    def verify(self, after, result):
        if self.state == "present":
            if not any(flavour_of(entry) == self.flavour and entry.get("vlan") == self.vlan for entry in after):
                raise LibvirtCollectionError("`{0}` succeeded but {1} has no {2} entry for {3}{4} afterwards.".format(
                    " ".join(result["commands"][-1]), self.port, self.flavour, self.mac,
                    "" if self.vlan is None else " in VLAN {0}".format(self.vlan)), result=result)
        elif after:
            self.warnings.append(
                "The FDB entry for {0} on {1} was deleted but is there again ({2}): the bridge learned it back from "
                "traffic that still arrives on {1}. Remove the source of that traffic (for example unplug the VF) right "
                "after the delete, or add a static entry on the standby's tap.".format(
                    self.mac, self.port, ", ".join(flavour_of(e) or "dynamic" for e in after)))


def pinned_entry(ansible_module, mac, port, state="present"):
    """The static, sticky entry the step modules move (their fdb_mac and fdb_port options), with the tools found on
    the host; None without a MAC. The step passes its domain to port_bridge_or_fail(), whose standby tap gives the VLAN
    on a bridge that filters VLANs."""
    if not mac:
        return None
    return FdbEntry(ansible_module.run_command, mac, port, state, flavour="static", sticky=True,
                    bridge=ansible_module.get_bin_path("bridge", required=True), ip=ansible_module.get_bin_path("ip", required=True))
