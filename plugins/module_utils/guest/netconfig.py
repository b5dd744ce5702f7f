# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tolerant readers of a guest's network configuration files, for the readiness audit (guest/audit.py).

Each reader takes the lines of one file (as AUDIT_SCRIPT printed them) and returns the entries that say which netdevs
it configures and how; ``matches`` tells whether an entry catches a netdev, given as a dict with ``name``, ``mac``,
``driver`` (as ``ethtool -i`` names it: ``net_failover`` for the master) and ``type`` (``ether``). An answer of None
means the entry matches on something the audit cannot see. Pure Python; no YAML library (the guest's netplan files are
read here, on the hypervisor, with a small reader for the subset netplan files use).
"""

from __future__ import annotations

import fnmatch
import re

MAC_RE = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')


def _glob_any(patterns, value):
    return value is not None and any(fnmatch.fnmatchcase(value, p) for p in patterns)


def ini_sections(lines):
    """[(section, {key: [values]})] of an INI-like file (systemd units, NetworkManager keyfiles); repeated sections kept."""
    sections = []
    current = None
    for raw in lines:
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            current = {}
            sections.append((line[1:-1].strip(), current))
            continue
        key, sep, value = line.partition('=')
        if sep and current is not None:
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


# ---- systemd-networkd .network / .link -------------------------------------------------------------

_NETWORKD_KNOWN = {'Name', 'OriginalName', 'MACAddress', 'PermanentMACAddress', 'Driver', 'Type', 'Kind'}


def _networkd_list(values):
    """A [Match] key's value: the last assignment wins, an empty one resets; '!' negates the whole list."""
    words = []
    for value in values:
        words = value.split() if value else []
    invert = bool(words) and words[0].startswith('!')
    if invert:
        words[0] = words[0][1:]
        words = [w for w in words if w]
    return invert, words


def networkd_file(lines):
    """{'match': {key: (invert, [words])}, 'name', 'dhcp', 'addresses', 'unmanaged', 'mtu'} of a .network or .link file."""
    match, network, link, addresses = {}, {}, {}, []
    for section, keys in ini_sections(lines):
        if section == 'Match':
            for key, values in keys.items():
                match[key] = _networkd_list(values)
        elif section == 'Network':
            network.update(keys)
            addresses.extend(v for v in keys.get('Address', ()) if v)
        elif section == 'Address':
            addresses.extend(v for v in keys.get('Address', ()) if v)
        elif section == 'Link':
            link.update(keys)
    dhcp = (network.get('DHCP') or [''])[-1].lower()
    return {
        'match': match,
        'name': (link.get('Name') or [''])[-1] or None,
        'dhcp': dhcp if dhcp in ('yes', 'true', 'ipv4', 'ipv6', 'on', '1') else None,
        'addresses': addresses,
        'unmanaged': (link.get('Unmanaged') or ['no'])[-1].lower() in ('yes', 'true', 'on', '1'),
        'mtu': (link.get('MTUBytes') or [''])[-1] or None,
    }


def networkd_matches(entry, netdev):
    """True / False, or None when the [Match] uses keys the audit cannot evaluate (Path=, Property=, ...) and the rest match."""
    unknown = False
    for key, (invert, words) in entry['match'].items():
        if not words:
            continue
        if key in ('Name', 'OriginalName'):
            hit = _glob_any(words, netdev['name'])
        elif key in ('MACAddress', 'PermanentMACAddress'):
            hit = (netdev['mac'] or '') in {w.lower() for w in words}
        elif key == 'Driver':
            hit = _glob_any(words, netdev.get('driver'))
        elif key == 'Type':
            hit = _glob_any(words, netdev.get('type', 'ether'))
        elif key == 'Kind':
            hit = False  # a failover netdev has no rtnl_link_ops, hence no kind
        else:
            unknown = True
            continue
        if hit == invert:
            return False
    return None if unknown else True


def networkd_matches_by_mac(entry, mac):
    return any(key in ('MACAddress', 'PermanentMACAddress') and not invert and mac in {w.lower() for w in words}
               for key, (invert, words) in entry['match'].items())


# ---- NetworkManager ------------------------------------------------------------------------------

def nm_device_specs(value):
    """The entries of a NetworkManager device list (unmanaged-devices=, match-device=): ';' or ',' separated."""
    return [spec.strip() for spec in re.split(r'[;,]', value or '') if spec.strip()]


def nm_spec_matches(spec, netdev):
    """One device spec of NetworkManager.conf(5) "Device List Format" (bare IFNAME or HWADDR, interface-name:, mac:
    (the permanent MAC), driver: (exact, as nmcli reports it), type:, *) against a netdev; None for kinds not evaluated."""
    if spec == '*':
        return True
    kind, sep, value = spec.partition(':')
    if not sep or MAC_RE.match(spec.lower()):
        return netdev['mac'] == spec.lower() if MAC_RE.match(spec.lower()) else netdev['name'] == spec
    if kind == 'interface-name':
        if value.startswith('='):
            return netdev['name'] == value[1:]
        return _glob_any([value[1:] if value.startswith('~') else value], netdev['name'])
    if kind == 'mac':
        return netdev['mac'] == value.lower()
    if kind == 'driver':
        return netdev.get('driver') == value.split('/')[0]
    if kind == 'type':
        return value == 'ethernet'
    return None


def nm_specs_match(specs, netdev):
    """A device list against a netdev: an except: entry that matches wins; with only except: entries, the rest match."""
    positive = [s for s in specs if not s.startswith('except:')]
    if any(nm_spec_matches(s[len('except:'):], netdev) for s in specs if s.startswith('except:')):
        return False
    return any(nm_spec_matches(s, netdev) for s in positive) if positive else bool(specs)


def nm_unmanaged_specs(files):
    """[(path, spec)] that make NetworkManager leave devices alone: [keyfile] unmanaged-devices= and [device*] sections
    with managed=0/false and their match-device=."""
    found = []
    for path, lines in files:
        for section, keys in ini_sections(lines):
            if section == 'keyfile':
                for value in keys.get('unmanaged-devices', ()):
                    found.extend((path, spec) for spec in nm_device_specs(value))
            elif section == 'device' or section.startswith('device-'):
                managed = (keys.get('managed') or [''])[-1].lower()
                if managed in ('0', 'false', 'no'):
                    found.extend((path, spec) for spec in nm_device_specs((keys.get('match-device') or [''])[-1]))
    return found


def nm_connection(lines):
    """{'interface_name', 'mac', 'method4', 'method6', 'type'} of a NetworkManager keyfile connection."""
    result = {'interface_name': None, 'mac': None, 'method4': None, 'method6': None, 'type': None}
    for section, keys in ini_sections(lines):
        if section == 'connection':
            result['interface_name'] = (keys.get('interface-name') or [None])[-1] or None
            result['type'] = (keys.get('type') or [None])[-1]
        elif section in ('ethernet', '802-3-ethernet'):
            mac = (keys.get('mac-address') or [''])[-1].lower()
            result['mac'] = mac or None
        elif section == 'ipv4':
            result['method4'] = (keys.get('method') or [None])[-1]
        elif section == 'ipv6':
            result['method6'] = (keys.get('method') or [None])[-1]
    return result


def nmcli_devices(lines):
    """{device: {'type', 'state', 'connection'}} from ``nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device`` (':' escaped as '\\:')."""
    devices = {}
    for line in lines:
        fields = [f.replace('\\:', ':').replace('\\\\', '\\') for f in re.split(r'(?<!\\):', line.strip())]
        if len(fields) >= 3 and fields[0]:
            devices[fields[0]] = {'type': fields[1], 'state': fields[2], 'connection': fields[3] if len(fields) > 3 else ''}
    return devices


# ---- ifupdown, ifcfg, dhcpcd.conf, udev rules -----------------------------------------------------

def ifupdown_stanzas(lines):
    """[{'name', 'family', 'method', 'auto'}] of /etc/network/interfaces(.d): iface lines, with auto/allow-hotplug."""
    autos, stanzas = set(), []
    for raw in lines:
        words = raw.split('#', 1)[0].split()
        if not words:
            continue
        if words[0] == 'auto' or words[0].startswith('allow-'):
            autos.update(words[1:])
        elif words[0] == 'iface' and len(words) >= 4:
            stanzas.append({'name': words[1], 'family': words[2], 'method': words[3]})
    for stanza in stanzas:
        stanza['auto'] = stanza['name'] in autos
    return stanzas


def shell_assignments(lines):
    """{KEY: value} of a sysconfig ifcfg file (quotes removed)."""
    values = {}
    for raw in lines:
        key, sep, value = raw.strip().partition('=')
        if sep and key and not key.startswith('#'):
            values[key.strip()] = value.strip().strip('"\'')
    return values


def dhcpcd_interface_lists(lines):
    """(allowinterfaces globs or None, denyinterfaces globs) of dhcpcd.conf."""
    allow, deny = None, []
    for raw in lines:
        words = raw.split('#', 1)[0].split()
        if words and words[0] == 'allowinterfaces':
            allow = (allow or []) + words[1:]
        elif words and words[0] == 'denyinterfaces':
            deny.extend(words[1:])
    return allow, deny


_UDEV_PAIR = re.compile(r'([A-Za-z_]+(?:\{[^}]*\})?)\s*(==|!=|\+=|:=|=)\s*"([^"]*)"')


def udev_rename_rules(lines):
    """[{'line', 'name', 'address', 'kernel', 'drivers'}] of udev rules that assign NAME= to net devices."""
    rules = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        pairs = _UDEV_PAIR.findall(line)
        name = next((v for k, op, v in pairs if k == 'NAME' and op in ('=', ':=')), None)
        if not name:
            continue
        get = {k: v for k, op, v in pairs if op == '=='}
        rules.append({'line': line, 'name': name, 'address': (get.get('ATTR{address}') or '').lower() or None,
                      'kernel': get.get('KERNEL'), 'drivers': get.get('DRIVERS') or get.get('DRIVER')})
    return rules


# ---- a small YAML reader for netplan ------------------------------------------------------------

def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '"\'':
        return text[1:-1]
    if text.startswith('[') and text.endswith(']'):
        return [_scalar(part) for part in _split_flow(text[1:-1]) if part.strip()]
    if text.startswith('{') and text.endswith('}'):
        result = {}
        for part in _split_flow(text[1:-1]):
            key, sep, value = part.partition(':')
            if sep:
                result[_scalar(key)] = _scalar(value)
        return result
    return text


def _split_flow(text):
    parts, depth, current, quote = [], 0, '', None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in '"\'':
            quote = char
        elif char in '[{':
            depth += 1
        elif char in ']}':
            depth -= 1
        elif char == ',' and depth == 0:
            parts.append(current)
            current = ''
            continue
        current += char
    parts.append(current)
    return parts


def _strip_comment(line):
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in '"\'':
            quote = char
        elif char == '#' and (index == 0 or line[index - 1] in ' \t'):
            return line[:index].rstrip()
    return line.rstrip()


def _key_value(text):
    """('key', 'rest') for 'key: rest' / 'key:' (quoted keys allowed), else None."""
    match = re.match(r'^("[^"]*"|\'[^\']*\'|[^\s:][^:]*?)\s*:(?:\s+(.*)|$)', text)
    if not match:
        return None
    return _scalar(match.group(1)), (match.group(2) or '')


def read_yaml(lines):
    """Block-style YAML as netplan writes it (mappings, lists, flow [..]/{..} scalars) -> nested dicts/lists of strings.
    Anchors, multi-line strings and tags are not understood: such values come back as text or are skipped."""
    tokens = []
    for raw in lines:
        if raw.strip() in ('---', '...'):
            continue
        line = _strip_comment(raw.replace('\t', '  '))
        if line.strip():
            tokens.append((len(line) - len(line.lstrip(' ')), line.strip()))
    value, _end = _read_block(tokens, 0, 0)
    return value if isinstance(value, dict) else {}


def _read_block(tokens, index, indent):
    if index >= len(tokens):
        return None, index
    if tokens[index][1].startswith('- ') or tokens[index][1] == '-':
        return _read_list(tokens, index, tokens[index][0])
    return _read_map(tokens, index, tokens[index][0] if tokens[index][0] >= indent else indent)


def _read_map(tokens, index, indent):
    result = {}
    while index < len(tokens) and tokens[index][0] == indent and not tokens[index][1].startswith('- '):
        pair = _key_value(tokens[index][1])
        index += 1
        if pair is None:
            continue
        key, rest = pair
        if rest:
            result[key] = _scalar(rest)
        elif index < len(tokens) and (tokens[index][0] > indent or (tokens[index][0] == indent and tokens[index][1].startswith('- '))):
            result[key], index = _read_block(tokens, index, tokens[index][0])
        else:
            result[key] = None
    while index < len(tokens) and tokens[index][0] > indent:  # deeper lines that belong to nothing: skipped
        index += 1
    return result, index


def _read_list(tokens, index, indent):
    result = []
    while index < len(tokens) and tokens[index][0] == indent and (tokens[index][1].startswith('- ') or tokens[index][1] == '-'):
        item = tokens[index][1][1:].strip()
        index += 1
        if not item:
            value, index = _read_block(tokens, index, indent + 1) if index < len(tokens) and tokens[index][0] > indent else (None, index)
            result.append(value)
        elif _key_value(item) and not item.startswith(('"', "'", '[', '{')):
            # "- key: value" opens a mapping whose further keys sit at the item's text column
            inner = [(indent + 2, item)]
            while index < len(tokens) and tokens[index][0] > indent:
                inner.append(tokens[index])
                index += 1
            value, _end = _read_map(inner, 0, indent + 2)
            result.append(value)
        else:
            result.append(_scalar(item))
    return result, index


def netplan_ethernets(document):
    """[{'id', 'match': {name, macaddress, driver}, 'set_name', 'dhcp', 'addresses', 'mtu'}] of a netplan document."""
    network = document.get('network') if isinstance(document, dict) else None
    ethernets = network.get('ethernets') if isinstance(network, dict) else None
    entries = []
    for key, conf in (ethernets or {}).items():
        conf = conf if isinstance(conf, dict) else {}
        match = conf.get('match') if isinstance(conf.get('match'), dict) else {}
        addresses = conf.get('addresses') or []
        entries.append({
            'id': str(key),
            'match': {k: v for k, v in match.items() if k in ('name', 'macaddress', 'driver') and v is not None},
            'set_name': conf.get('set-name'),
            'dhcp': any(str(conf.get(k, '')).lower() in ('true', 'yes', 'on') for k in ('dhcp4', 'dhcp6')),
            'addresses': [str(a) for a in addresses] if isinstance(addresses, list) else [str(addresses)],
            'mtu': conf.get('mtu'),
        })
    return entries


def netplan_matches(entry, netdev):
    """netplan semantics: without match: the id is the interface name; with match: every key given must match
    (name and driver are globs; driver may be a list)."""
    match = entry['match']
    if not match:
        return entry['id'] == netdev['name']
    if 'name' in match and not _glob_any([str(match['name'])], netdev['name']):
        return False
    if 'macaddress' in match and str(match['macaddress']).lower() != netdev['mac']:
        return False
    if 'driver' in match:
        drivers = match['driver'] if isinstance(match['driver'], list) else [match['driver']]
        if not _glob_any([str(d) for d in drivers], netdev.get('driver')):
            return False
    return True
