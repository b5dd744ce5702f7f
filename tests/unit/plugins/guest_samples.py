# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Guest topologies with several failover pairs, written as the sysfs walk prints them (then parsed like the real one).

``pair(0, MAC_A, 'steady')`` gives the netdevs of one pair in a state (eth0 master, eth1 standby, eth2 VF on PCI);
``pair(1, ...)`` uses eth3..eth5. ``nic(...)`` adds any other NIC; ``topology(...)`` parses the walk of them all.
"""

from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import WALK_KEYS, parse_sysfs_walk

MAC_A = "52:54:00:6c:00:01"
MAC_B = "52:54:00:6c:00:02"
OTHER_MAC = "52:54:00:aa:bb:cc"
STANDBY_FEATURES = "1110010111111111111101110000110011000000000000000000000000000010"
PLAIN_FEATURES = STANDBY_FEATURES[:62] + "00"

# state -> (VF present, VF enslaved, VF carrier, standby carrier, master up)
PAIR_STATES = {
    "steady": (True, True, True, False, True),
    "armed": (True, True, True, True, True),
    "standby_only_up": (False, False, False, True, True),
    "standby_only_down": (False, False, False, False, True),
    "primary_no_carrier": (True, True, False, True, True),
    "both_down": (True, True, False, False, True),
    "primary_not_enslaved": (True, False, True, True, True),
    "master_admin_down": (True, True, True, False, False),
}


def nic(name, mac, device, driver="iavf", subsystem="pci", master="", lower=(), up=True, carrier=True, perm="", features="",
        port="", mtu=1500):
    """One netdev's raw walk values (what a closed NIC shows: no carrier file, operstate down)."""
    return {"name": name, "address": mac, "addr_assign_type": "0", "perm_address": perm,
            "operstate": ("up" if carrier else "down") if up else "down", "carrier": ("1" if carrier else "0") if up else "",
            "flags": "0x1003" if up else "0x1002", "mtu": str(mtu), "master": master, "lower": " ".join(sorted(lower)),
            "device": device, "driver": driver, "subsystem": subsystem, "features": features, "phys_port_name": port,
            "tx_dropped": "0"}


def pair(index, mac, state):
    """The netdevs of failover pair ``index`` in ``state``: master eth(3i), standby eth(3i+1), VF eth(3i+2) on PCI bus 3+i."""
    vf, enslaved, vf_carrier, standby_carrier, master_up = PAIR_STATES[state]
    master, standby, primary = ("eth{0}".format(3 * index + offset) for offset in range(3))
    virtio = "virtio{0}".format(index)
    lower = [standby] + ([primary] if vf and enslaved else [])
    found = [nic(master, mac, virtio, "virtio_net", "virtio", lower=lower, up=master_up, carrier=standby_carrier or vf_carrier,
                 features=STANDBY_FEATURES),
             nic(standby, mac, virtio, "virtio_net", "virtio", master=master, up=master_up, carrier=standby_carrier,
                 features=STANDBY_FEATURES, port="sby")]
    if vf:
        found.append(nic(primary, mac, "0000:{0:02x}:00.0".format(3 + index), master=master if enslaved else "",
                         up=master_up, carrier=vf_carrier))
    return found


def walk_text(*parts, hostname="vm2"):
    """The walk's output for the netdevs of ``parts`` (lists of nic()), lo included, in the walk's (C locale) order."""
    netdevs = [nd for part in parts for nd in part] + [nic("lo", "00:00:00:00:00:00", "", "", "", features="")]
    netdevs[-1].update(operstate="unknown", flags="0x9", mtu="65536")
    lines = ["hostname=" + hostname]
    for ifindex, nd in enumerate(sorted(netdevs, key=lambda n: n["name"].encode()), start=1):
        values = dict(nd, ifindex=str(ifindex))
        lines.append("[netdev {0}]".format(nd["name"]))
        lines.extend("{0}={1}".format(key, values[key]) for key in WALK_KEYS)
    return "\n".join(lines) + "\n"


def topology(*parts, hostname="vm2"):
    return parse_sysfs_walk(walk_text(*parts, hostname=hostname))
