# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness audit's guest side: AUDIT_SCRIPT (POSIX sh, run in the guest through guest-exec) and its parser.

The script only reads: files, /proc, and a few read-only commands when present (``ip -o addr show``, ``nmcli -t ...
device``, ``udevadm --version``, ``systemctl --version``). It needs nothing but the shell's builtins; a busybox guest
answers with what it has, and what is absent is data. Everything is judged on the hypervisor (guest/audit.py).

Output, one record a line: ``=KEY VALUE`` (a fact), ``@file PATH`` / ``@cmd NAME`` / ``@proc PID COMM`` (a section)
followed by its ``|LINE`` lines, ``@truncated NAME`` when a section was cut. Bounds: NETFAILOVER_AUDIT_MAX_LINES lines
a section (200), 300 characters a line, 40 files a directory, 400 processes. Lines that look like secrets (password,
psk, secret, private key, token) are printed as ``<redacted>``.
"""

from __future__ import annotations

import fnmatch
import re

from ansible_collections.netfailover.standby.plugins.module_utils.guest import netconfig
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import GuestState, classify_pairs

# Files are read under $NETFAILOVER_AUDIT_ROOT (default: /), so that tests run the script against a fake root; only the
# live root adds the sbin directories to PATH (guest-exec's PATH may lack them).
AUDIT_SCRIPT = r'''
root=${NETFAILOVER_AUDIT_ROOT:-}
max=${NETFAILOVER_AUDIT_MAX_LINES:-200}
[ -n "$root" ] || PATH=${PATH:-/usr/bin:/bin}:/usr/sbin:/sbin:/usr/bin:/bin
have() { command -v "$1" >/dev/null 2>&1; }
body() {
  _n=0
  while IFS= read -r _l || [ -n "$_l" ]; do
    _n=$((_n + 1))
    if [ "$_n" -gt "$max" ]; then printf '@truncated %s\n' "$1"; break; fi
    case $_l in
      *[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]*|*[Pp][Ss][Kk]*|*[Ss][Ee][Cc][Rr][Ee][Tt]*|*[Pp][Rr][Ii][Vv][Aa][Tt][Ee][Kk][Ee][Yy]*|\
      *[Tt][Oo][Kk][Ee][Nn]*|*wep-key*) _l='<redacted>' ;;
    esac
    printf '|%.300s\n' "$_l"
  done
}
rfile() {
  [ -f "$root$1" ] && [ -r "$root$1" ] || return 0
  printf '@file %s\n' "$1"
  body "$1" < "$root$1"
}
rglob() {
  _c=0
  for _f in "$root"$1; do
    [ -f "$_f" ] || continue
    _c=$((_c + 1))
    if [ "$_c" -gt 40 ]; then printf '@truncated %s\n' "$1"; break; fi
    rfile "${_f#"$root"}"
  done
}
rcmd() {
  _name=$1
  shift
  if have "$1"; then
    printf '@cmd %s\n' "$_name"
    "$@" 2>&1 | body "$_name"
  else
    printf '=missing %s\n' "$1"
  fi
}
v=
{ IFS= read -r v < "$root/proc/sys/kernel/osrelease"; } 2>/dev/null
printf '=kernel %s\n' "$v"
v=
{ IFS= read -r v < "$root/proc/cmdline"; } 2>/dev/null
printf '=cmdline %s\n' "$v"
rel=
{ IFS= read -r rel < "$root/proc/sys/kernel/osrelease"; } 2>/dev/null
if [ -d "$root/sys/module" ]; then
  if [ -d "$root/sys/module/net_failover" ]; then printf '=sys_module yes\n'; else printf '=sys_module no\n'; fi
fi
rfile /proc/modules
if [ -n "$rel" ] && [ -r "$root/lib/modules/$rel/modules.builtin" ]; then
  printf '=builtin_readable yes\n'
  while IFS= read -r v; do
    case $v in */net_failover.ko*) printf '=builtin %s\n' "$v" ;; esac
  done < "$root/lib/modules/$rel/modules.builtin"
fi
for v in "$root/lib/modules/$rel"/kernel/drivers/net/net_failover.ko* "$root/lib/modules"/net_failover.ko*; do
  [ -f "$v" ] && printf '=module_file %s\n' "${v#"$root"}"
done
for t in ip nmcli networkctl netplan cloud-init ifup udevadm systemctl dhclient dhcpcd udhcpc tr; do
  have "$t" && printf '=have %s\n' "$t"
done
rcmd udevadm udevadm --version
rcmd systemctl systemctl --version
if have ip; then
  printf '@cmd ip-addr\n'
  { ip -o addr show 2>/dev/null || ip addr show 2>&1; } | body ip-addr
else
  printf '=missing ip\n'
fi
have nmcli && rcmd nmcli nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device
if [ -d "$root/proc" ]; then
  printf '=proc yes\n'
  _c=0
  for p in "$root"/proc/[0-9]*; do
    [ -r "$p/comm" ] || continue
    c=
    { IFS= read -r c < "$p/comm"; } 2>/dev/null
    case $c in
      NetworkManager|systemd-network*|systemd-udevd|udevd|dhclient|dhcpcd|udhcpc|dhcpcd*|wicked*|connmand|cloud-init|\
      ifplugd|netplan*|networkd-dispat*) ;;
      *) continue ;;
    esac
    _c=$((_c + 1))
    [ "$_c" -gt 400 ] && break
    printf '@proc %s %s\n' "${p##*/}" "$c"
    have tr && tr '\0' ' ' < "$p/cmdline" 2>/dev/null | body proc
  done
fi
rfile /etc/NetworkManager/NetworkManager.conf
rglob '/etc/NetworkManager/conf.d/*.conf'
rglob '/run/NetworkManager/conf.d/*.conf'
rglob '/usr/lib/NetworkManager/conf.d/*.conf'
rglob '/etc/NetworkManager/system-connections/*'
rglob '/run/NetworkManager/system-connections/*'
for d in /etc/systemd/network /run/systemd/network /usr/lib/systemd/network /lib/systemd/network; do
  rglob "$d/*.network"
  rglob "$d/*.link"
done
rglob '/run/systemd/netif/links/*'
rfile /etc/network/interfaces
rglob '/etc/network/interfaces.d/*'
rglob '/etc/netplan/*.yaml'
rglob '/run/netplan/*.yaml'
rglob '/lib/netplan/*.yaml'
rglob '/etc/sysconfig/network-scripts/ifcfg-*'
rglob '/etc/sysconfig/network/ifcfg-*'
rglob '/etc/cloud/cloud.cfg.d/*network*'
rfile /etc/dhcpcd.conf
rglob '/etc/udev/rules.d/*.rules'
rglob '/run/udev/rules.d/*.rules'
_c=0
for f in "$root"/run/udev/data/n[0-9]*; do
  [ -f "$f" ] || continue
  _c=$((_c + 1))
  [ "$_c" -gt 40 ] && break
  printf '@file %s\n' "${f#"$root"}"
  while IFS= read -r v; do
    case $v in E:ID_NET_NAME*|E:ID_NET_DRIVER=*|E:ID_NET_LINK_FILE=*|E:INTERFACE=*) printf '|%.300s\n' "$v" ;; esac
  done < "$f"
done
printf '=end yes\n'
'''


def parse_audit(text):
    """Parse AUDIT_SCRIPT output into {'facts': {key: [values]}, 'files': {path: [lines]}, 'cmds': {name: [lines]},
    'procs': [{'pid', 'comm', 'argv'}], 'truncated': [names]}. Unknown and foreign lines are ignored."""
    facts, files, cmds, procs, truncated = {}, {}, {}, [], []
    current = None
    for line in (text or '').splitlines():
        if line.startswith('|'):
            if current is not None:
                current.append(line[1:])
            continue
        current = None
        if line.startswith('='):
            key, _sep, value = line[1:].partition(' ')
            facts.setdefault(key, []).append(value.strip())
        elif line.startswith('@file '):
            current = files.setdefault(line[len('@file '):].strip(), [])
        elif line.startswith('@cmd '):
            current = cmds.setdefault(line[len('@cmd '):].strip(), [])
        elif line.startswith('@proc '):
            parts = line.split(None, 2)
            lines = []
            procs.append({'pid': parts[1] if len(parts) > 1 else '', 'comm': parts[2] if len(parts) > 2 else '', 'lines': lines})
            current = lines
        elif line.startswith('@truncated '):
            truncated.append(line[len('@truncated '):].strip())
    for proc in procs:
        proc['argv'] = ' '.join(proc.pop('lines')).split()
    return {'facts': facts, 'files': files, 'cmds': cmds, 'procs': procs, 'truncated': truncated}


# ---- judging: findings per failover pair ---------------------------------------------------------

REFUSE, WARN = 'refuse', 'warn'

# id -> (default severity, what it means). The fix and snippet of each finding are built for the guest at hand.
FINDING_IDS = {
    'net_failover_missing': (REFUSE, "the guest kernel has no net_failover (neither loaded nor built in), so no failover master exists"),
    'standby_not_negotiated': (REFUSE, 'the virtio NIC did not negotiate STANDBY (virtio feature bit 62): no failover pair'),
    'address_on_slave': (REFUSE, 'an IP address sits on the standby or the VF instead of the failover master'),
    'dhcp_client_on_slave': (REFUSE, 'a DHCP client process serves the standby or the VF'),
    'slave_managed_by_networkmanager': (REFUSE, 'NetworkManager manages the standby or the VF'),
    'slave_managed_by_networkd': (REFUSE, 'a systemd-networkd .network file configures the standby or the VF'),
    'slave_configured_by_ifupdown': (REFUSE, 'an ifupdown iface stanza configures the standby or the VF'),
    'slave_configured_by_netplan': (REFUSE, 'a netplan ethernets entry configures the standby or the VF'),
    'slave_configured_by_cloud_init': (REFUSE, "cloud-init's rendered network configuration configures the standby or the VF"),
    'slave_configured_by_ifcfg': (REFUSE, 'a sysconfig ifcfg file configures the standby or the VF'),
    'config_matches_by_mac': (REFUSE, "a configuration matches the pair's MAC, which the master, the standby and the VF share"),
    'mtu_mismatch': (REFUSE, "the standby's or the VF's MTU differs from the failover master's"),
    'names_unstable_after_replug': (WARN, 'udev (systemd 250-253) does not rename a VF that net_failover already brought up: '
                                          'after a re-plug the VF keeps its kernel name'),
}
SEVERITIES = (WARN, REFUSE)

_DHCP_CLIENTS = ('dhclient', 'dhcpcd', 'udhcpc')
_KERNEL_NAME = re.compile(r'^eth\d+$')
_RENAME_REFUSED = range(250, 254)  # systemd PR 21109 (v250) until the rename is tried again (53584e7b61, v254)
# Distribution builds of 250-253 that carry 53584e7b61 ("udev: attempt device rename even if interface is up"):
# dist tag -> first release with it (RHEL 9: systemd 252-20, RHEL-5988).
_RENAME_BACKPORTS = {'el9': 20}


def rename_refused(version, systemctl_lines):
    """True when this systemd-udevd skips renaming an interface that is up (250-253 without the backport)."""
    if version not in _RENAME_REFUSED:
        return False
    for line in systemctl_lines or ():
        build = re.search(r'\(\d+-(\d+)[^)]*\.(el\d+)', line)
        if build and build.group(2) in _RENAME_BACKPORTS and int(build.group(1)) >= _RENAME_BACKPORTS[build.group(2)]:
            return False
    return True


def _first_int(lines, prefix=''):
    """The first number of 2 to 4 digits after ``prefix`` (a regular expression) in lines (a systemd version)."""
    for line in lines or ():
        match = re.search(prefix + r'(\d{2,4})\b', line)
        if match:
            return int(match.group(1))
    return None


def _is_cloud_init_file(path, lines):
    base = path.rsplit('/', 1)[-1]
    return ('cloud-init' in base or base.startswith('50-cloud-init')
            or any('cloud-init' in line and line.lstrip().startswith('#') for line in lines[:5]))


def _from_netplan(path):
    base = path.rsplit('/', 1)[-1]
    return base.startswith(('10-netplan-', 'netplan-'))


def parse_addresses(lines):
    """{netdev: [address/prefix]} from ``ip -o addr show`` or ``ip addr show`` (iproute2 or busybox); link-local IPv6 left out."""
    found = {}
    current = None
    for line in lines or ():
        head = re.match(r'^\d+:\s+([^\s:@]+)(?:@\S+?)?:?\s+(.*)$', line)
        if head:
            current = head.group(1)
            rest = head.group(2)
        elif line[:1] in ' \t':
            rest = line.strip()
        else:
            continue
        addr = re.match(r'^(inet6?)\s+(\S+)', rest)
        if addr and current and not addr.group(2).lower().startswith('fe80:'):
            found.setdefault(current, []).append(addr.group(2))
        elif current:
            found.setdefault(current, [])
    return found


def net_failover_status(facts, files):
    """'loaded', 'builtin', 'available' (a module file, not loaded), 'missing', or None (cannot tell)."""
    proc_modules = files.get('/proc/modules')
    if 'yes' in facts.get('sys_module', ()) or any(line.split()[:1] == ['net_failover'] for line in proc_modules or ()):
        return 'loaded'
    if facts.get('builtin'):
        return 'builtin'
    if facts.get('module_file'):
        return 'available'
    if facts.get('builtin_readable') and (proc_modules is not None or facts.get('sys_module')):
        return 'missing'
    return None


class _Guest:  # pylint: disable=too-many-instance-attributes
    """What the audit output says about the guest's userspace, read once."""

    def __init__(self, audit):
        self.facts, self.files, self.cmds, self.procs = audit['facts'], audit['files'], audit['cmds'], audit['procs']
        self.truncated = audit['truncated']
        self.kernel = (self.facts.get('kernel') or [''])[0] or None
        self.cmdline = (self.facts.get('cmdline') or [''])[0]
        self.have = set(self.facts.get('have', ()))
        self.udev_version = _first_int(self.cmds.get('udevadm')[:1] if self.cmds.get('udevadm') else None, '^')
        self.systemd_version = _first_int(self.cmds.get('systemctl'), 'systemd ')
        comms = {p['comm'] for p in self.procs}
        self.udev_running = bool(comms & {'systemd-udevd', 'udevd'})
        if self.udev_version is None and self.udev_running and self.systemd_version:
            self.udev_version = self.systemd_version
        self.nm_running = 'NetworkManager' in comms
        self.networkd_running = any(c.startswith('systemd-network') for c in comms)
        self.addresses = parse_addresses(self.cmds['ip-addr']) if 'ip-addr' in self.cmds else None
        self.nmcli = netconfig.nmcli_devices(self.cmds['nmcli']) if 'nmcli' in self.cmds else None
        self.net_failover = net_failover_status(self.facts, self.files)
        self.proc_readable = 'yes' in self.facts.get('proc', ())
        self.ifnames_off = 'net.ifnames=0' in self.cmdline.split()

    def under(self, *prefixes, suffix=''):
        return [(path, lines) for path, lines in sorted(self.files.items())
                if path.startswith(prefixes) and path.endswith(suffix)]

    def networkd_files(self, suffix):
        """(path, lines) of .network/.link files in the order networkd reads them: by file name, /etc before /run before
        /usr/lib (the same name in an earlier directory hides the later)."""
        chosen = {}
        for directory in ('/etc/systemd/network/', '/run/systemd/network/', '/usr/lib/systemd/network/', '/lib/systemd/network/'):
            for path, lines in self.under(directory, suffix=suffix):
                chosen.setdefault(path[len(directory):], (path, lines))
        return [chosen[name] for name in sorted(chosen)]

    def netif_link(self, ifindex):
        lines = self.files.get(f'/run/systemd/netif/links/{ifindex}') if ifindex is not None else None
        return netconfig.shell_assignments(lines) if lines is not None else None

    def udev_db(self, ifindex):
        lines = self.files.get(f'/run/udev/data/n{ifindex}') if ifindex is not None else None
        return {k[2:]: v for k, _s, v in (line.partition('=') for line in lines or ()) if k.startswith('E:')}


def _netdev_view(topology, name, role):
    nd = topology['netdevs'].get(name) or {}
    driver = 'net_failover' if role == 'master' else nd.get('driver')
    return {'name': name, 'mac': nd.get('address'), 'driver': driver, 'type': 'ether', 'role': _ROLE_LABELS[role],
            'mtu': nd.get('mtu'), 'ifindex': nd.get('ifindex')}


_ROLE_LABELS = {'master': 'failover master', 'standby': 'standby', 'primary': 'VF', 'orphan': 'VF (not enslaved)'}


def make_finding(fid, netdev, what, fix, snippet=''):
    """One finding of ``fid`` (an id of FINDING_IDS) with its default severity."""
    return {'id': fid, 'severity': FINDING_IDS[fid][0], 'netdev': netdev, 'what': what, 'fix': fix, 'snippet': snippet}


# ---- snippets, one per tool ----------------------------------------------------------------------

def snippet_networkmanager(pair):
    specs = [f'interface-name:{pair["standby"]}'] if pair['standby'] else []
    if pair.get('primary_driver'):
        specs.append(f'driver:{pair["primary_driver"]}')
    elif pair['primary']:
        specs.append(f'interface-name:{pair["primary"]}')
    return ('# /etc/NetworkManager/conf.d/90-netfailover-slaves.conf\n[keyfile]\n'
            f'unmanaged-devices={";".join(specs)}\n')


def snippet_networkd(pair):
    text = ('# /etc/systemd/network/05-netfailover-standby.network\n'
            f'[Match]\nName={pair["standby"]}\n\n[Link]\nUnmanaged=yes\n')
    if pair.get('primary_driver'):
        text += ('\n# /etc/systemd/network/05-netfailover-vf.network (every ' + pair['primary_driver'] + ' NIC)\n'
                 f'[Match]\nDriver={pair["primary_driver"]}\n\n[Link]\nUnmanaged=yes\n')
    text += ('\n# /etc/systemd/network/10-netfailover-master.network: the master by name, never by MAC\n'
             f'[Match]\nName={pair["master"]}\n\n[Network]\nDHCP=yes\n')
    return text


def snippet_netplan(pair, header='# /etc/netplan/60-netfailover.yaml'):
    return (f'{header}\nnetwork:\n  version: 2\n  ethernets:\n    {pair["master"]}:\n      match:\n'
            f'        name: {pair["master"]}\n      dhcp4: true\n')


def snippet_cloud_init(pair):
    return (snippet_netplan(pair, '# network-config (cloud-init network config version 2) of the instance')
            + '\n# or leave the network to the image:\n# /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg\n'
              'network: {config: disabled}\n')


def snippet_ifupdown(pair):
    return f'# /etc/network/interfaces: only the master\nauto {pair["master"]}\niface {pair["master"]} inet dhcp\n'


def snippet_ifcfg(pair):
    return (f'# /etc/sysconfig/network-scripts/ifcfg-{pair["master"]} (no ifcfg file for {pair["standby"]} or the VF)\n'
            f'DEVICE={pair["master"]}\nBOOTPROTO=dhcp\nONBOOT=yes\n')


_TOOL_FIX = {
    'slave_managed_by_networkmanager': (
        'NetworkManager', snippet_networkmanager,
        'make NetworkManager leave the standby and the VF alone (unmanaged-devices) and keep its connection on the failover '
        'master {master} only; driver: matches every NIC of that driver, so use interface-name: instead if another NIC of that '
        'driver must stay managed (the VF may come back under another name after a re-plug)'),
    'slave_managed_by_networkd': (
        'systemd-networkd', snippet_networkd,
        'give the standby and the VF a .network file with Unmanaged=yes that sorts before the one that matches them now, and '
        'match the failover master {master} by Name= (not by MACAddress=, which the slaves share)'),
    'slave_configured_by_ifupdown': (
        'ifupdown', snippet_ifupdown, 'remove the iface stanza of the slave and configure only the failover master {master}'),
    'slave_configured_by_netplan': (
        'netplan', snippet_netplan,
        'configure only the failover master {master} in netplan, matched by name (match: name:), and run netplan apply'),
    'slave_configured_by_cloud_init': (
        'cloud-init', snippet_cloud_init,
        "change the network config cloud-init is given so that it names only the failover master {master} (version 2, "
        "match by name), or disable cloud-init's network configuration; editing the rendered file does not last"),
    'slave_configured_by_ifcfg': (
        'ifcfg', snippet_ifcfg, 'remove the ifcfg file of the slave (or set ONBOOT=no) and configure only the failover master {master}'),
}


def _config_finding(fid, pair, netdev, what):
    _tool, snippet, fix = _TOOL_FIX[fid]
    return make_finding(fid, netdev, what, fix.format(master=pair['master']), snippet(pair))


# ---- the checks ----------------------------------------------------------------------------------

def _check_networkmanager(guest, pair, slaves, unchecked):
    if not guest.nm_running:
        return []
    found = []
    if guest.nmcli is not None:
        for nd in slaves:
            device = guest.nmcli.get(nd['name'])
            if device and device['state'] != 'unmanaged':
                connection = f", connection '{device['connection']}'" if device['connection'] not in ('', '--') else ''
                found.append(_config_finding('slave_managed_by_networkmanager', pair, nd['name'], (
                    f"NetworkManager manages the {nd['role']} {nd['name']} (nmcli: {device['state']}{connection}); a managed "
                    'device gets an automatic DHCP connection when it has carrier')))
        return found
    conf = guest.under('/etc/NetworkManager/', '/run/NetworkManager/conf.d/', '/usr/lib/NetworkManager/conf.d/', suffix='.conf')
    lists = {}
    for path, spec in netconfig.nm_unmanaged_specs(conf):
        lists.setdefault(path, []).append(spec)
    unchecked.append({'check': 'slave_managed_by_networkmanager',
                      'why': 'NetworkManager runs but nmcli is absent: judged from its configuration files only'})
    for nd in slaves:
        if not any(netconfig.nm_specs_match(specs, nd) for specs in lists.values()):
            found.append(_config_finding('slave_managed_by_networkmanager', pair, nd['name'], (
                f"NetworkManager runs and no unmanaged-devices entry of its configuration covers the {nd['role']} {nd['name']}, "
                'so it manages it (a managed device gets an automatic DHCP connection when it has carrier)')))
    return found


def _nm_connections_by_mac(guest, pair, mac_hits):
    for path, lines in guest.under('/etc/NetworkManager/system-connections/', '/run/NetworkManager/system-connections/'):
        if _from_netplan(path):
            continue
        conn = netconfig.nm_connection(lines)
        if conn['mac'] == pair['mac'] and not conn['interface_name']:
            mac_hits.append((path, 'NetworkManager connection with mac-address=' + pair['mac'], 'NetworkManager'))


def _check_networkd(guest, pair, slaves, mac_hits):
    found = []
    files = [(path, netconfig.networkd_file(lines), _is_cloud_init_file(path, lines))
             for path, lines in guest.networkd_files('.network')]
    for path, entry, _ci in files:
        if (netconfig.networkd_matches_by_mac(entry, pair['mac']) and not entry['unmanaged'] and not _from_netplan(path)
                and any(netconfig.networkd_matches(entry, nd) is not False for nd in slaves)):
            mac_hits.append((path, f'[Match] MACAddress={pair["mac"]}', 'systemd-networkd'))
    if not guest.networkd_running:
        return found
    for nd in slaves:
        state = guest.netif_link(nd['ifindex'])
        if state is not None and state.get('ADMIN_STATE') in ('unmanaged', 'linger'):
            continue
        hit = next(((path, entry, ci) for path, entry, ci in files if netconfig.networkd_matches(entry, nd) is not False), None)
        if state is not None and state.get('NETWORK_FILE'):
            hit = next(((p, e, c) for p, e, c in files if p == state['NETWORK_FILE']), None) or (state['NETWORK_FILE'], None, False)
        if hit is None or (hit[1] is not None and hit[1]['unmanaged']):
            continue
        path, entry, cloud_init = hit
        if _from_netplan(path) or any(hit_path == path for hit_path, _how, _tool in mac_hits):
            continue  # reported as netplan's, or as config_matches_by_mac
        how = []
        if entry is not None:
            how = ([f'DHCP={entry["dhcp"]}'] if entry['dhcp'] else []) + [f'Address={a}' for a in entry['addresses']]
        what = (f"systemd-networkd configures the {nd['role']} {nd['name']} from {path}" + (f" ({', '.join(how)})" if how else '')
                + (f"; networkd state {state.get('ADMIN_STATE')}" if state else ''))
        found.append(_config_finding('slave_configured_by_cloud_init' if cloud_init else 'slave_managed_by_networkd', pair,
                                     nd['name'], what + (' (rendered by cloud-init)' if cloud_init else '')))
    return found


def _check_ifupdown(guest, pair, slaves):
    found = []
    for path, lines in guest.under('/etc/network/interfaces'):
        cloud_init = _is_cloud_init_file(path, lines)
        for stanza in netconfig.ifupdown_stanzas(lines):
            nd = next((n for n in slaves if n['name'] == stanza['name']), None)
            if nd is None or stanza['method'] in ('manual', 'loopback'):
                continue
            what = (f"{path} configures the {nd['role']} {nd['name']}: iface {stanza['name']} {stanza['family']} {stanza['method']}"
                    + (' (auto)' if stanza['auto'] else ''))
            found.append(_config_finding('slave_configured_by_cloud_init' if cloud_init else 'slave_configured_by_ifupdown',
                                         pair, nd['name'], what + (' (rendered by cloud-init)' if cloud_init else '')))
    return found


def _check_netplan(guest, pair, slaves, mac_hits):
    found = []
    for path, lines in guest.under('/etc/netplan/', '/run/netplan/', '/lib/netplan/', suffix='.yaml'):
        cloud_init = _is_cloud_init_file(path, lines)
        for entry in netconfig.netplan_ethernets(netconfig.read_yaml(lines)):
            by_mac = str(entry['match'].get('macaddress', '')).lower() == pair['mac']
            if by_mac and any(netconfig.netplan_matches(entry, nd) for nd in slaves):
                mac_hits.append((path, f"netplan ethernets.{entry['id']} match: macaddress: {pair['mac']}"
                                 + (f" set-name: {entry['set_name']}" if entry['set_name'] else ''),
                                 'cloud-init' if cloud_init else 'netplan'))
                continue
            if by_mac:
                continue  # the master alone (match: name or driver beside the MAC)
            for nd in slaves:
                if not netconfig.netplan_matches(entry, nd):
                    continue
                how = (['dhcp'] if entry['dhcp'] else []) + entry['addresses']
                what = (f"{path} configures the {nd['role']} {nd['name']} (ethernets.{entry['id']}"
                        + (f": {', '.join(how)}" if how else '') + ')')
                found.append(_config_finding('slave_configured_by_cloud_init' if cloud_init else 'slave_configured_by_netplan',
                                             pair, nd['name'], what + (' (rendered by cloud-init)' if cloud_init else '')))
    return found


def _check_ifcfg(guest, pair, slaves, mac_hits):
    found = []
    for path, lines in guest.under('/etc/sysconfig/network-scripts/ifcfg-', '/etc/sysconfig/network/ifcfg-'):
        values = netconfig.shell_assignments(lines)
        device = values.get('DEVICE') or path.rsplit('ifcfg-', 1)[-1]
        cloud_init = _is_cloud_init_file(path, lines)
        if values.get('HWADDR', '').lower() == pair['mac'] and not values.get('DEVICE'):
            mac_hits.append((path, f"HWADDR={pair['mac']}", 'cloud-init' if cloud_init else 'ifcfg'))
            continue
        nd = next((n for n in slaves if n['name'] == device), None)
        proto = values.get('BOOTPROTO', '').lower()
        if nd is None or (proto in ('none', '') and not values.get('IPADDR')):
            continue
        what = (f"{path} configures the {nd['role']} {nd['name']} (BOOTPROTO={proto or 'none'}"
                + (f", IPADDR={values['IPADDR']}" if values.get('IPADDR') else '') + ')')
        found.append(_config_finding('slave_configured_by_cloud_init' if cloud_init else 'slave_configured_by_ifcfg', pair,
                                     nd['name'], what + (' (rendered by cloud-init)' if cloud_init else '')))
    return found


def _udev_and_link_by_mac(guest, pair, mac_hits):
    for path, lines in guest.under('/etc/udev/rules.d/', '/run/udev/rules.d/'):
        for rule in netconfig.udev_rename_rules(lines):
            if rule['address'] == pair['mac']:
                mac_hits.append((path, f"udev rule NAME=\"{rule['name']}\" for ATTR{{address}}==\"{pair['mac']}\"", 'udev'))
    for path, lines in guest.networkd_files('.link'):
        entry = netconfig.networkd_file(lines)
        if entry['name'] and netconfig.networkd_matches_by_mac(entry, pair['mac']) and not _from_netplan(path):
            mac_hits.append((path, f"[Match] MACAddress={pair['mac']} with [Link] Name={entry['name']}", 'udev (.link)'))


def _mac_findings(pair, mac_hits):
    found = []
    for path, how, tool in mac_hits:
        if tool == 'cloud-init':
            fix, snippet = (f"give cloud-init a network config that matches the failover master {pair['master']} by name, or "
                            "disable its network configuration"), snippet_cloud_init(pair)
        elif tool in ('udev', 'udev (.link)'):
            fix, snippet = (f"remove the rename by MAC: the three netdevs of the pair ({pair['master']}, {pair['standby']}, the VF) "
                            'share it and race for one name; keep the predictable names, or match by driver and path'), ''
        elif tool == 'systemd-networkd':
            fix, snippet = (f"match the failover master by Name={pair['master']} instead of MACAddress=, and leave the slaves "
                            'unmanaged'), snippet_networkd(pair)
        elif tool == 'NetworkManager':
            fix, snippet = (f"bind the connection to interface-name={pair['master']} instead of the MAC, and make the slaves "
                            'unmanaged'), snippet_networkmanager(pair)
        elif tool == 'netplan':
            fix, snippet = f"match the failover master by name ({pair['master']}) instead of macaddress", snippet_netplan(pair)
        else:
            fix, snippet = f"name the device ({pair['master']}) instead of the MAC", snippet_ifcfg(pair)
        found.append(make_finding('config_matches_by_mac', pair['master'], (
            f"{path}: {how} matches all three netdevs with that MAC (the failover master {pair['master']}, the standby "
            f"{pair['standby']} and the VF{' ' + pair['primary'] if pair['primary'] else ''}), not only the master"), fix, snippet))
    return found


def _dhcp_targets(proc, names, guest):
    """The netdevs a DHCP client process serves: names in its argv, or every netdev when it names none (udhcpc: eth0)."""
    named = []
    for word in proc['argv'][1:]:
        candidates = [word, word.split('=', 1)[-1]]
        if word.startswith('-i') and len(word) > 2:
            candidates.append(word[2:])
        named.extend(c for c in candidates if c in names and c not in named)
    if named:
        return named, False
    comm = proc['comm']
    if comm.startswith('udhcpc'):
        return ['eth0'] if 'eth0' in names else [], False
    if comm.startswith('dhcpcd'):
        allow, deny = netconfig.dhcpcd_interface_lists(guest.files.get('/etc/dhcpcd.conf') or ())
        return [n for n in names if (allow is None or any(fnmatch.fnmatchcase(n, a) for a in allow))
                and not any(fnmatch.fnmatchcase(n, d) for d in deny)], True
    return list(names), True


def _check_dhcp(guest, pair, slaves, topology, unchecked):
    found = []
    clients = [p for p in guest.procs if p['comm'].startswith(_DHCP_CLIENTS)]
    names = sorted(topology['netdevs'])
    for proc in clients:
        if not proc['argv']:
            unchecked.append({'check': 'dhcp_client_on_slave',
                              'why': f"{proc['comm']} (pid {proc['pid']}) runs but its command line is unreadable (no tr in the guest)"})
            continue
        targets, every = _dhcp_targets(proc, names, guest)
        for nd in slaves:
            if nd['name'] in targets:
                cmd = ' '.join(proc['argv'])
                found.append(make_finding('dhcp_client_on_slave', nd['name'], (
                    f"{proc['comm']} (pid {proc['pid']}: {cmd}) serves the {nd['role']} {nd['name']}"
                    + (' (it names no interface, so it serves every one)' if every else '')),
                    f"stop that client and run the DHCP client on the failover master {pair['master']} only"
                    + (f" (e.g. udhcpc -i {pair['master']})" if proc['comm'].startswith('udhcpc') else '')
                    + ('; for dhcpcd without interfaces, deny the slaves in /etc/dhcpcd.conf' if proc['comm'].startswith('dhcpcd') else ''),
                    (f"# /etc/dhcpcd.conf\ndenyinterfaces {' '.join(n['name'] for n in slaves)}\n"
                     if proc['comm'].startswith('dhcpcd') else '')))
    return found


def _check_addresses(guest, pair, slaves):
    found = []
    for nd in slaves:
        addresses = guest.addresses.get(nd['name']) or []
        if addresses:
            found.append(make_finding('address_on_slave', nd['name'], (
                f"the {nd['role']} {nd['name']} has the address{'es' if len(addresses) > 1 else ''} {', '.join(addresses)}; "
                f"only the failover master {pair['master']} may carry addresses"),
                f"remove the address from {nd['name']} and put it on {pair['master']}; the other findings name what set it",
                ''.join(f'ip addr del {a} dev {nd["name"]}\n' for a in addresses)))
    return found


def _check_mtu(pair, master, slaves):
    found = []
    for nd in slaves:
        if nd['mtu'] and master['mtu'] and nd['mtu'] != master['mtu']:
            found.append(make_finding('mtu_mismatch', nd['name'], (
                f"the {nd['role']} {nd['name']} has MTU {nd['mtu']}, the failover master {master['name']} has {master['mtu']}"),
                f"set the MTU on the failover master only (net_failover passes it to both slaves) and remove any MTU setting "
                f"of {nd['name']} from the guest's network configuration",
                f"ip link set dev {master['name']} mtu {master['mtu']}\n"))
    return found


def _check_names(guest, pair, slaves, unchecked):
    if guest.udev_version is None:
        if guest.cmds.get('udevadm'):  # eudev (3.x) or another udev that never took systemd's rename refusal
            return []
        if guest.udev_running:
            unchecked.append({'check': 'names_unstable_after_replug',
                              'why': 'systemd-udevd runs but neither udevadm nor systemctl tells its version'})
        return []
    if not rename_refused(guest.udev_version, guest.cmds.get('systemctl')):
        return []
    found = []
    for nd in slaves:
        if not nd['role'].startswith('VF'):
            continue
        db = guest.udev_db(nd['ifindex'])
        wanted = db.get('ID_NET_NAME') or db.get('ID_NET_NAME_SLOT') or db.get('ID_NET_NAME_PATH')
        kernel_name = bool(_KERNEL_NAME.match(nd['name']))
        if kernel_name and not (wanted and wanted != nd['name']):
            continue
        rules = [f'{path}: {rule["line"]}' for path, lines in guest.under('/etc/udev/rules.d/', '/run/udev/rules.d/')
                 for rule in netconfig.udev_rename_rules(lines) if rule['name'] == nd['name']]
        if kernel_name:
            seen = f"the VF {nd['name']} kept its kernel name although udev wants {wanted}: the rename was already refused"
        else:
            seen = f"the VF {nd['name']} has a udev name; after a re-plug (a migration) it comes back as ethN"
        found.append(make_finding('names_unstable_after_replug', nd['name'], (
            f"systemd-udevd {guest.udev_version} does not rename an interface that is already up, and net_failover brings a "
            f"re-plugged VF up at once: {seen}; configuration, firewall rules or monitoring that name {wanted or nd['name']} miss it"
            + (f"; rules that name it: {'; '.join(rules)}" if rules else '')),
            f"name only the failover master {pair['master']} (its name is stable) in the guest's configuration, never the VF; or "
            'use systemd 254 or later, whose udev tries the rename of an up interface (failover slaves allow it)', ''))
    return found


def _check_negotiation(guest, classification, mac, unchecked):
    nics = [n for n in classification.facts.get('virtio_nics') or () if n['address'] == mac]
    found = []
    status = guest.net_failover
    negotiated = [n['name'] for n in nics if n['standby_feature']]
    if status in ('missing', 'available'):
        found.append(make_finding('net_failover_missing', nics[0]['name'] if nics else None, (
            f"the guest kernel {guest.kernel or '(release unknown)'} has no net_failover loaded or built in"
            + (f" (the module file {guest.facts['module_file'][0]} exists but is not loaded)" if status == 'available' else '')
            + (f", so the virtio NIC {nics[0]['name']} cannot become a failover pair" if nics else '')),
            'load net_failover (modprobe net_failover, then reload virtio_net or reboot) or boot a kernel with '
            'CONFIG_NET_FAILOVER (Linux 4.17 or later)', 'modprobe net_failover\n' if status == 'available' else ''))
    elif status is None:
        unchecked.append({'check': 'net_failover_missing', 'why': 'neither /sys/module, /proc/modules nor modules.builtin tells '
                                                                  'whether the kernel has net_failover'})
    not_acked = [n['name'] for n in nics if not n['standby_feature']]
    if not_acked or not nics:
        found.append(make_finding('standby_not_negotiated', not_acked[0] if not_acked else None, (
            f"STANDBY (virtio feature bit 62) is not negotiated on {', '.join(not_acked)}" if not_acked
            else f'the guest has no virtio NIC with the MAC {mac}'),
            "give the virtio NIC <teaming type='persistent'/> (QEMU failover=on) in the domain definition and boot a guest kernel "
            'whose virtio_net supports STANDBY (Linux 4.17 or later)', ''))
    elif negotiated and status in ('loaded', 'builtin'):
        found.append(make_finding('standby_not_negotiated', negotiated[0], (
            f"{', '.join(negotiated)} negotiated STANDBY but net_failover made no failover master"),
            "check the guest's dmesg for 'failover'", ''))
    return found


def _pair_netdevs(topology, classification):
    roles = [('master', classification.master), ('standby', classification.standby), ('primary', classification.primary)]
    roles += [('orphan', name) for name in classification.orphans]
    views = {role: _netdev_view(topology, name, role) for role, name in roles if name and role != 'orphan'}
    orphans = [_netdev_view(topology, name, 'orphan') for name in classification.orphans]
    return views, [v for role, v in views.items() if role != 'master'] + orphans


def apply_severities(findings, severities):
    """The findings with the severities given ({id: 'warn' | 'refuse' | 'ignore'}) over their defaults; ignored ones left out."""
    kept = []
    for finding in findings:
        severity = (severities or {}).get(finding['id'], finding['severity'])
        if severity == 'ignore':
            continue
        if severity not in SEVERITIES:
            raise ValueError(f"severity of {finding['id']} must be warn, refuse or ignore, not {severity!r}")
        kept.append(dict(finding, severity=severity))
    return kept


def audit_findings(audit_text, topology, macs=None, severities=None):
    """Judge the audit of one guest: {'pairs': {mac: {'master', 'standby', 'primary', 'state', 'findings'}}, 'findings'
    (all, each with 'mac'), 'unchecked' ([{'check', 'why'}]: what the guest's tools did not allow to check), 'refuse'
    (a finding of severity refuse), 'guest' (the facts read)}.

    ``topology``: the sysfs walk (guest/topology.py) of the same guest; ``macs``: the pairs of the domain definition
    (None: every failover pair the guest has); ``severities``: {finding id: 'warn' | 'refuse' | 'ignore'} over the defaults
    of FINDING_IDS.
    """
    audit = parse_audit(audit_text)
    guest = _Guest(audit)
    unchecked = []
    if guest.addresses is None:
        unchecked.append({'check': 'address_on_slave', 'why': 'no ip command in the guest'})
    if not guest.proc_readable:
        unchecked.append({'check': 'dhcp_client_on_slave', 'why': '/proc is not readable in the guest'})
    unchecked.extend({'check': 'truncated', 'why': f'{name} was longer than the audit reads: its end was not checked'}
                     for name in audit['truncated'])
    pairs = {}
    for mac, classification in classify_pairs(topology, macs).items():
        if classification.state is GuestState.NOT_NEGOTIATED or not classification.master:
            findings = _check_negotiation(guest, classification, mac, unchecked)
        else:
            views, slaves = _pair_netdevs(topology, classification)
            primary = views.get('primary') or next((nd for nd in slaves if nd['role'] != 'standby'), None)
            pair = {'mac': mac, 'master': classification.master, 'standby': classification.standby, 'primary': classification.primary,
                    'primary_driver': primary['driver'] if primary else None}
            mac_hits = []
            findings = []
            if guest.addresses is not None:
                findings += _check_addresses(guest, pair, slaves)
            findings += _check_dhcp(guest, pair, slaves, topology, unchecked)
            findings += _check_networkmanager(guest, pair, slaves, unchecked)
            _nm_connections_by_mac(guest, pair, mac_hits)
            findings += _check_networkd(guest, pair, slaves, mac_hits)
            findings += _check_ifupdown(guest, pair, slaves)
            findings += _check_netplan(guest, pair, slaves, mac_hits)
            findings += _check_ifcfg(guest, pair, slaves, mac_hits)
            _udev_and_link_by_mac(guest, pair, mac_hits)
            findings += _mac_findings(pair, mac_hits)
            findings += _check_mtu(pair, views['master'], slaves)
            findings += _check_names(guest, pair, slaves, unchecked)
        findings = apply_severities(findings, severities)
        pairs[mac] = {'mac': mac, 'master': classification.master, 'standby': classification.standby,
                      'primary': classification.primary, 'state': classification.state.value, 'findings': findings}
    unique = []
    for item in unchecked:
        if item not in unique:
            unique.append(item)
    flat = [dict(f, mac=mac) for mac, pair in pairs.items() for f in pair['findings']]
    return {
        'pairs': pairs,
        'findings': flat,
        'unchecked': unique,
        'refuse': any(f['severity'] == REFUSE for f in flat),
        'guest': {
            'kernel': guest.kernel, 'systemd_version': guest.systemd_version, 'udev_version': guest.udev_version,
            'net_failover': guest.net_failover, 'networkmanager': guest.nm_running, 'networkd': guest.networkd_running,
            'net_ifnames': not guest.ifnames_off,
            'biosdevname': next((w.split('=', 1)[1] for w in guest.cmdline.split() if w.startswith('biosdevname=')), None),
            'dhcp_clients': [{'pid': p['pid'], 'command': ' '.join(p['argv']) or p['comm']} for p in guest.procs
                             if p['comm'].startswith(_DHCP_CLIENTS)],
        },
    }
