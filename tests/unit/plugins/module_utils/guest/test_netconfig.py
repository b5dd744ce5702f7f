# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readers of guest network configuration the readiness audit uses (netplan YAML subset, networkd [Match],
NetworkManager device lists, ifupdown, ifcfg, udev rules, nmcli)."""

from __future__ import annotations

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import netconfig as nc

MAC = '52:54:00:00:12:53'
MASTER = {'name': 'ens10', 'mac': MAC, 'driver': 'net_failover', 'type': 'ether'}
STANDBY = {'name': 'ens10nsby', 'mac': MAC, 'driver': 'virtio_net', 'type': 'ether'}
VF = {'name': 'ens11', 'mac': MAC, 'driver': 'iavf', 'type': 'ether'}


def lines(text):
    return text.strip('\n').splitlines()


NETPLAN = '''
# generated
network:
    version: 2
    renderer: networkd
    ethernets:
        ens10:                 # the master
            match: {name: "ens10"}
            dhcp4: yes
            addresses: [192.0.2.5/24, "2001:db8::5/64"]
        vf:
            match:
                driver: ["iavf", ixgbevf]
            dhcp4: false
            mtu: 9000
        "by-mac":
            match:
                macaddress: '52:54:00:00:12:53'
            set-name: lan0
            addresses:
              - 198.51.100.7/24
              - 198.51.100.8/24
            routes:
              - to: default
                via: 198.51.100.1
    bonds:
        bond0:
            interfaces: [ens3, ens4]
'''


def test_netplan_reader_and_entries():
    doc = nc.read_yaml(lines(NETPLAN))
    assert doc['network']['renderer'] == 'networkd'
    assert doc['network']['bonds']['bond0']['interfaces'] == ['ens3', 'ens4']
    assert doc['network']['ethernets']['by-mac']['routes'] == [{'to': 'default', 'via': '198.51.100.1'}]
    entries = {e['id']: e for e in nc.netplan_ethernets(doc)}
    assert entries['ens10'] == {'id': 'ens10', 'match': {'name': 'ens10'}, 'set_name': None, 'dhcp': True,
                                'addresses': ['192.0.2.5/24', '2001:db8::5/64'], 'mtu': None}
    assert entries['vf']['match'] == {'driver': ['iavf', 'ixgbevf']} and entries['vf']['mtu'] == '9000'
    assert entries['by-mac']['addresses'] == ['198.51.100.7/24', '198.51.100.8/24'] and entries['by-mac']['set_name'] == 'lan0'
    assert [(e['id'], [n['name'] for n in (MASTER, STANDBY, VF) if nc.netplan_matches(e, n)]) for e in entries.values()] == [
        ('ens10', ['ens10']), ('vf', ['ens11']), ('by-mac', ['ens10', 'ens10nsby', 'ens11'])]


@pytest.mark.parametrize('text, expected', [
    ('', {}),
    ('- a\n- b\n', {}),  # not a mapping at the top: nothing netplan would read
    ('network:\n  ethernets:\n    eth0: {}\n', {'network': {'ethernets': {'eth0': {}}}}),
    ('network:\n  ethernets:\n    eth0:\n  version: 2\n', {'network': {'ethernets': {'eth0': None}, 'version': '2'}}),
    ("a: 'x # not a comment'  # a comment\n", {'a': 'x # not a comment'}),
])
def test_yaml_reader_edges(text, expected):
    assert nc.read_yaml(text.splitlines()) == expected


@pytest.mark.parametrize('match, expected', [
    ('Name=ens10', ['ens10']),
    ('Name=en*', ['ens10', 'ens10nsby', 'ens11']),
    ('Name=!ens10nsby ens11', ['ens10']),
    ('MACAddress=52:54:00:00:12:53', ['ens10', 'ens10nsby', 'ens11']),
    ('Driver=iavf', ['ens11']),
    ('Type=ether\nName=ens10*', ['ens10', 'ens10nsby']),
    ('Kind=!veth', ['ens10', 'ens10nsby', 'ens11']),
    ('Kind=veth', []),
    ('Name=ens11\nName=', ['ens10', 'ens10nsby', 'ens11']),  # an empty assignment resets the list
])
def test_networkd_match(match, expected):
    entry = nc.networkd_file(lines(f'[Match]\n{match}\n\n[Network]\nDHCP=yes\n'))
    assert [n['name'] for n in (MASTER, STANDBY, VF) if nc.networkd_matches(entry, n)] == expected
    assert entry['dhcp'] == 'yes'


def test_networkd_file_fields_and_unknown_match_keys():
    entry = nc.networkd_file(lines('[Match]\nName=ens11\nPath=pci-0000:00:0b.0\n[Link]\nUnmanaged=yes\nMTUBytes=9000\n'
                                   '[Network]\nAddress=192.0.2.9/24\n[Address]\nAddress=192.0.2.10/24\n'))
    assert nc.networkd_matches(entry, VF) is None and nc.networkd_matches(entry, MASTER) is False
    assert entry['unmanaged'] and entry['mtu'] == '9000' and entry['addresses'] == ['192.0.2.9/24', '192.0.2.10/24']
    assert nc.networkd_file(lines('[Match]\nName=x\n[Link]\nName=lan0\n'))['name'] == 'lan0'


@pytest.mark.parametrize('specs, expected', [
    ('interface-name:ens10nsby;driver:iavf', ['ens10nsby', 'ens11']),
    ('interface-name:ens1*', ['ens10', 'ens10nsby', 'ens11']),
    ('interface-name:=ens1*', []),
    ('ens11', ['ens11']),
    ('mac:52:54:00:00:12:53', ['ens10', 'ens10nsby', 'ens11']),
    ('52:54:00:00:12:53', ['ens10', 'ens10nsby', 'ens11']),
    ('*,except:interface-name:ens10', ['ens10nsby', 'ens11']),
    ('except:driver:net_failover', ['ens10nsby', 'ens11']),
    ('type:ethernet', ['ens10', 'ens10nsby', 'ens11']),
    ('driver:virtio_net/1.0*', ['ens10nsby']),
    ('s390-subchannels:0.0.f5f0', []),
])
def test_networkmanager_device_lists(specs, expected):
    parsed = nc.nm_device_specs(specs)
    assert [n['name'] for n in (MASTER, STANDBY, VF) if nc.nm_specs_match(parsed, n)] == expected


def test_networkmanager_unmanaged_sources_and_connections():
    conf = [('/etc/NetworkManager/conf.d/a.conf', lines('[keyfile]\nunmanaged-devices=interface-name:ens11\n')),
            ('/etc/NetworkManager/conf.d/b.conf', lines('[device-failover]\nmatch-device=driver:virtio_net\nmanaged=0\n')),
            ('/etc/NetworkManager/conf.d/c.conf', lines('[device-x]\nmatch-device=interface-name:ens10\nmanaged=1\n'))]
    assert nc.nm_unmanaged_specs(conf) == [('/etc/NetworkManager/conf.d/a.conf', 'interface-name:ens11'),
                                           ('/etc/NetworkManager/conf.d/b.conf', 'driver:virtio_net')]
    conn = nc.nm_connection(lines('[connection]\nid=uplink\ntype=ethernet\n[ethernet]\nmac-address=52:54:00:00:12:53\n'
                                  '[ipv4]\nmethod=auto\n'))
    assert conn == {'interface_name': None, 'mac': MAC, 'method4': 'auto', 'method6': None, 'type': 'ethernet'}
    assert nc.nmcli_devices(['ens11:ethernet:connected:Wired connection 1', 'br\\:0:bridge:connected:my\\:br', 'x']) == {
        'ens11': {'type': 'ethernet', 'state': 'connected', 'connection': 'Wired connection 1'},
        'br:0': {'type': 'bridge', 'state': 'connected', 'connection': 'my:br'}}


def test_ifupdown_ifcfg_dhcpcd_and_udev_readers():
    stanzas = nc.ifupdown_stanzas(lines('auto lo eth0\niface lo inet loopback\niface eth0 inet dhcp\n'
                                        'allow-hotplug eth2\niface eth2 inet6 auto # ra\niface eth1 inet manual\n'))
    assert stanzas == [{'name': 'lo', 'family': 'inet', 'method': 'loopback', 'auto': True},
                       {'name': 'eth0', 'family': 'inet', 'method': 'dhcp', 'auto': True},
                       {'name': 'eth2', 'family': 'inet6', 'method': 'auto', 'auto': True},
                       {'name': 'eth1', 'family': 'inet', 'method': 'manual', 'auto': False}]
    assert nc.shell_assignments(lines('# c\nDEVICE="ens11"\nBOOTPROTO=dhcp\nHWADDR=\'52:54:00:00:12:53\'\n')) == {
        'DEVICE': 'ens11', 'BOOTPROTO': 'dhcp', 'HWADDR': MAC}
    assert nc.dhcpcd_interface_lists(lines('denyinterfaces ens10nsby ens11 # failover\nallowinterfaces en*\n')) == (
        ['en*'], ['ens10nsby', 'ens11'])
    rules = nc.udev_rename_rules(lines(
        '# persistent\nSUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="52:54:00:00:12:53", NAME="lan0"\n'
        'SUBSYSTEM=="net", NAME=="eth0", RUN+="/bin/true"\nACTION=="add", KERNEL=="eth*", DRIVERS=="iavf", NAME:="vf0"\n'))
    assert [(r['name'], r['address'], r['drivers']) for r in rules] == [('lan0', MAC, '?*'), ('vf0', None, 'iavf')]
