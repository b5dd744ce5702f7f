# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read a guest's netdev topology from sysfs and find the net_failover roles.

Two readers give the same dict: SYSFS_WALK_SCRIPT (POSIX sh, run in the guest through the
guest agent, parsed here with parse_sysfs_walk) and read_local_topology (Python, for code
that runs inside the guest).
"""

from __future__ import annotations

import os
import shutil
import subprocess

DEFAULT_SYSFS_ROOT = '/sys/class/net'

# Index of VIRTIO_NET_F_STANDBY in the 64-char device/features string (cloud-init uses the same test).
STANDBY_FEATURE_BIT = 62
IFF_UP = 0x1

# Raw keys printed per netdev, in output order. Both readers produce exactly these.
WALK_KEYS = (
    'name', 'ifindex', 'address', 'addr_assign_type', 'perm_address', 'operstate', 'carrier',
    'flags', 'mtu', 'master', 'lower', 'device', 'driver', 'subsystem', 'features',
    'phys_port_name', 'tx_dropped',
)

# Root: first argument, else $NETFAILOVER_SYSFS_ROOT, else /sys/class/net. Only the live root is
# asked for permanent MACs (ethtool -P): a fake tree's names may exist on the machine running it.
# Reads use the `read` builtin, so an unreadable attribute (carrier of a down NIC,
# phys_port_name without driver support) prints an empty value.
SYSFS_WALK_SCRIPT = r'''
root=${1:-${NETFAILOVER_SYSFS_ROOT:-/sys/class/net}}
rd() { _v=; { IFS= read -r _v < "$1"; } 2>/dev/null; printf '%s=%s\n' "$2" "$_v"; }
rl() { _v=$(readlink "$1" 2>/dev/null); printf '%s=%s\n' "$2" "${_v##*/}"; }
hn=
{ IFS= read -r hn < /proc/sys/kernel/hostname; } 2>/dev/null
[ -n "$hn" ] || hn=$(uname -n 2>/dev/null)
printf 'hostname=%s\n' "$hn"
for d in "$root"/*; do
  [ -d "$d" ] || continue
  n=${d##*/}
  printf '[netdev %s]\nname=%s\n' "$n" "$n"
  rd "$d/ifindex" ifindex
  rd "$d/address" address
  rd "$d/addr_assign_type" addr_assign_type
  p=
  if [ "$root" = /sys/class/net ] && command -v ethtool >/dev/null 2>&1; then
    p=$(ethtool -P "$n" 2>/dev/null)
    p=${p##* }
  fi
  printf 'perm_address=%s\n' "$p"
  rd "$d/operstate" operstate
  rd "$d/carrier" carrier
  rd "$d/flags" flags
  rd "$d/mtu" mtu
  rl "$d/master" master
  lw=
  for l in "$d"/lower_*; do
    [ -L "$l" ] && lw="$lw${lw:+ }${l##*/lower_}"
  done
  printf 'lower=%s\n' "$lw"
  rl "$d/device" device
  rl "$d/device/driver" driver
  rl "$d/device/subsystem" subsystem
  rd "$d/device/features" features
  rd "$d/phys_port_name" phys_port_name
  rd "$d/statistics/tx_dropped" tx_dropped
done
'''


def _to_int(text, base=10):
    try:
        return int(text, base)
    except (TypeError, ValueError):
        return None


def typed_netdev(raw):
    """Turn one netdev's raw key=value strings into typed fields (None = unknown or unreadable)."""
    def text(key):
        return (raw.get(key) or '').strip() or None

    flags = _to_int(text('flags'), 16)
    carrier = text('carrier')
    features = text('features')
    address = text('address')
    perm = text('perm_address')
    return {
        'name': text('name'),
        'ifindex': _to_int(text('ifindex')),
        'address': address.lower() if address else None,
        'addr_assign_type': _to_int(text('addr_assign_type')),
        'perm_address': perm.lower() if perm else None,
        'operstate': text('operstate'),
        'carrier': None if carrier is None else carrier == '1',
        'flags': flags,
        'admin_up': None if flags is None else bool(flags & IFF_UP),
        'mtu': _to_int(text('mtu')),
        'master': text('master'),
        'lower': sorted((raw.get('lower') or '').split()),
        'device': text('device'),
        'driver': text('driver'),
        'subsystem': text('subsystem'),
        'features': features,
        'standby_feature': features[STANDBY_FEATURE_BIT] == '1' if features and len(features) > STANDBY_FEATURE_BIT else None,
        'phys_port_name': text('phys_port_name'),
        'tx_dropped': _to_int(text('tx_dropped')),
    }


def _topology(hostname, raw_netdevs):
    netdevs = {}
    for name, raw in raw_netdevs.items():
        netdevs[name] = typed_netdev(raw)
        netdevs[name]['name'] = netdevs[name]['name'] or name
    return {'hostname': hostname or None, 'netdevs': netdevs}


def parse_sysfs_walk(text):
    """Parse SYSFS_WALK_SCRIPT output; blank, foreign and unknown lines are ignored."""
    hostname = None
    raw_netdevs = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('[netdev ') and line.endswith(']'):
            current = raw_netdevs.setdefault(line[len('[netdev '):-1].strip(), {})
            continue
        key, sep, value = line.partition('=')
        if not sep:
            continue
        if current is None:
            if key == 'hostname':
                hostname = value.strip()
        elif key in WALK_KEYS:
            current[key] = value
    return _topology(hostname, raw_netdevs)


def _read_attr(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.readline().strip()
    except OSError:  # e.g. EINVAL from carrier of a down NIC
        return ''


def _link_name(path):
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return ''


def _perm_address(name):
    """Permanent MAC by `ethtool -P`, as the walk script does; '' when ethtool is missing or fails."""
    ethtool = shutil.which('ethtool')
    if not ethtool:
        return ''
    try:
        result = subprocess.run([ethtool, '-P', name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                universal_newlines=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ''
    words = result.stdout.split()
    return words[-1] if result.returncode == 0 and words else ''


def _read_netdev_raw(path, name, live):
    raw = {'name': name, 'lower': ' '.join(sorted(
        entry[len('lower_'):] for entry in os.listdir(path)
        if entry.startswith('lower_') and os.path.islink(os.path.join(path, entry))))}
    for key in ('ifindex', 'address', 'addr_assign_type', 'operstate', 'carrier', 'flags', 'mtu', 'phys_port_name'):
        raw[key] = _read_attr(os.path.join(path, key))
    raw['features'] = _read_attr(os.path.join(path, 'device', 'features'))
    raw['tx_dropped'] = _read_attr(os.path.join(path, 'statistics', 'tx_dropped'))
    raw['master'] = _link_name(os.path.join(path, 'master'))
    raw['device'] = _link_name(os.path.join(path, 'device'))
    raw['driver'] = _link_name(os.path.join(path, 'device', 'driver'))
    raw['subsystem'] = _link_name(os.path.join(path, 'device', 'subsystem'))
    raw['perm_address'] = _perm_address(name) if live else ''
    return raw


def read_local_topology(sysfs_root=DEFAULT_SYSFS_ROOT):
    """Same result as parse_sysfs_walk(output of SYSFS_WALK_SCRIPT run on this machine)."""
    hostname = _read_attr('/proc/sys/kernel/hostname') or os.uname()[1]
    live = sysfs_root == DEFAULT_SYSFS_ROOT
    raw_netdevs = {}
    for name in sorted(os.listdir(sysfs_root)) if os.path.isdir(sysfs_root) else ():
        path = os.path.join(sysfs_root, name)
        if os.path.isdir(path):  # skips files such as bonding_masters
            raw_netdevs[name] = _read_netdev_raw(path, name, live)
    return _topology(hostname, raw_netdevs)


def describe_failover_roles(topology, ignore=()):
    """Find the failover pairs: each master with its standby, primary and orphan NICs, joined by MAC.

    A master is a virtio_net netdev with no master of its own that has slaves; its MAC names the pair. The standby
    shares the master's device (or has phys_port_name 'sby'); the other slave is the primary. An orphan of a pair is a
    NIC with a device that is neither a master nor a slave and carries the pair's MAC as its MAC or its permanent MAC
    (a VF that failed to enslave). Every other NIC with a device belongs to no pair: it is listed as unrelated, never
    taken for a VF (a management NIC, a second VF of another MAC). ``ignore`` names NICs that are never orphans.
    """
    netdevs = topology['netdevs']
    slaves_of = {}
    for name, nd in netdevs.items():
        if nd['master']:
            slaves_of.setdefault(nd['master'], set()).add(name)
    for name, nd in netdevs.items():
        if nd['lower']:
            slaves_of.setdefault(name, set()).update(nd['lower'])
    masters = sorted(
        name for name, nd in netdevs.items()
        if nd['driver'] == 'virtio_net' and not nd['master'] and slaves_of.get(name))
    enslaved = set()
    for name in masters:
        enslaved.update(slaves_of[name])
    free = [name for name, nd in sorted(netdevs.items())
            if name != 'lo' and name not in masters and name not in enslaved and nd['device']]
    pairs = []
    for name in masters:
        master = netdevs[name]
        mac = master['address']
        slaves = sorted(s for s in slaves_of[name] if s in netdevs)
        standby = next((s for s in slaves if netdevs[s]['device'] == master['device']), None) or \
            next((s for s in slaves if netdevs[s]['phys_port_name'] == 'sby'), None)
        primary = next((s for s in slaves if s != standby), None)
        orphans = [o for o in free if o not in ignore and mac and mac in (netdevs[o]['address'], netdevs[o]['perm_address'])]
        pairs.append({'master': name, 'mac': mac, 'standby': standby, 'primary': primary, 'slaves': slaves, 'orphans': orphans})
    orphans = sorted({o for pair in pairs for o in pair['orphans']})
    virtio_nics = sorted(
        name for name, nd in netdevs.items()
        if nd['driver'] == 'virtio_net' and name not in masters and name not in enslaved)
    return {
        'pairs': pairs,
        'orphans': orphans,
        'unrelated': [name for name in free if name not in orphans],
        'virtio_nics': virtio_nics,
    }
