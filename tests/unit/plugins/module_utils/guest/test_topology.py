# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import (
    DEFAULT_SYSFS_ROOT,
    SYSFS_WALK_SCRIPT,
    WALK_KEYS,
    describe_failover_roles,
    parse_sysfs_walk,
    read_local_topology,
)
from ansible_collections.netfailover.standby.tests.unit.plugins import guest_samples as g

FIXTURES = Path(__file__).parents[1] / 'fixtures' / 'topologies'
FIXTURE_FILES = sorted(FIXTURES.glob('*.txt'))
# Each shell the walk must run under; those missing on this machine are skipped.
SHELLS = [('/bin/sh',), ('dash',), ('bash', '--posix'), ('busybox', 'sh')]
TYPED_KEYS = {'name', 'ifindex', 'address', 'addr_assign_type', 'perm_address', 'operstate', 'carrier', 'flags', 'admin_up',
              'mtu', 'master', 'lower', 'device', 'driver', 'subsystem', 'features', 'standby_feature', 'phys_port_name', 'tx_dropped'}


def load(path):
    return parse_sysfs_walk(path.read_text(encoding='utf-8'))


def build_fake_sysfs(base, topology):
    """Lay out a sysfs-like tree for a topology: class/net/<name> with attributes and symlinks into devices/."""
    net = base / 'class' / 'net'
    net.mkdir(parents=True)
    (net / 'bonding_masters').write_text('\n')  # a plain file in the real class dir; readers must skip it
    for name, nd in topology['netdevs'].items():
        nic = net / name
        (nic / 'statistics').mkdir(parents=True)
        attrs = {key: nd[key] for key in ('ifindex', 'address', 'addr_assign_type', 'operstate', 'mtu', 'phys_port_name')}
        attrs['carrier'] = None if nd['carrier'] is None else int(nd['carrier'])  # absent = unreadable
        attrs['flags'] = None if nd['flags'] is None else f"{nd['flags']:#x}"
        for key, value in attrs.items():
            if value is not None:
                (nic / key).write_text(f'{value}\n')
        if nd['tx_dropped'] is not None:
            (nic / 'statistics' / 'tx_dropped').write_text(f"{nd['tx_dropped']}\n")
        if nd['master']:
            os.symlink(f"../{nd['master']}", nic / 'master')
        for lower in nd['lower']:
            os.symlink(f'../{lower}', nic / f'lower_{lower}')
        if nd['device']:
            dev = base / 'devices' / nd['device']
            dev.mkdir(parents=True, exist_ok=True)
            os.symlink(f"../../../devices/{nd['device']}", nic / 'device')
            links = {'driver': f"../../bus/{nd['subsystem']}/drivers/{nd['driver']}", 'subsystem': f"../../bus/{nd['subsystem']}"}
            for link, target in links.items():
                if nd[link] and not (dev / link).is_symlink():
                    os.symlink(target, dev / link)
            if nd['features'] and not (dev / 'features').exists():
                (dev / 'features').write_text(nd['features'] + '\n')
    return net


def run_walk(shell, sysfs_root=None, env_root=None):
    if not shutil.which(shell[0]):
        pytest.skip(f'{shell[0]} is not installed')
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LC_ALL': 'C'}
    if env_root:
        env['NETFAILOVER_SYSFS_ROOT'] = str(env_root)
    argv = list(shell) + ['-c', SYSFS_WALK_SCRIPT, 'walk'] + ([str(sysfs_root)] if sysfs_root else [])
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, universal_newlines=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    return result.stdout


def host_neutral(text):
    """Blank what a fake tree cannot reproduce: the hostname and permanent MACs (only read on the live root)."""
    return re.sub(r'^(hostname|perm_address)=.*$', r'\1=', text.strip(), flags=re.M)


def test_there_are_fixtures():
    assert len(FIXTURE_FILES) >= 9


@pytest.mark.parametrize('path', FIXTURE_FILES, ids=lambda p: p.stem)
def test_parse_fixture(path):
    topology = load(path)
    assert topology['hostname']
    assert topology['netdevs']
    for name, nd in topology['netdevs'].items():
        assert set(nd) == TYPED_KEYS
        assert nd['name'] == name
        assert isinstance(nd['ifindex'], int) and isinstance(nd['mtu'], int)
        assert isinstance(nd['admin_up'], bool)
        assert nd['carrier'] in (True, False, None)
        assert isinstance(nd['lower'], list)
        assert nd['standby_feature'] in (True, False, None)


@pytest.mark.parametrize('path', FIXTURE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize('shell', SHELLS, ids=lambda s: s[0])
def test_fixture_is_exactly_what_the_walk_prints(tmp_path, path, shell):
    root = build_fake_sysfs(tmp_path, load(path))
    assert host_neutral(run_walk(shell, root)) == host_neutral(path.read_text(encoding='utf-8'))


@pytest.mark.parametrize('path', FIXTURE_FILES, ids=lambda p: p.stem)
def test_local_reader_agrees_with_walk(tmp_path, path):
    root = build_fake_sysfs(tmp_path, load(path))
    assert read_local_topology(str(root)) == parse_sysfs_walk(run_walk(('/bin/sh',), root))


def test_root_from_environment(tmp_path):
    root = build_fake_sysfs(tmp_path, load(FIXTURES / 'steady__eth_names.txt'))
    assert parse_sysfs_walk(run_walk(('/bin/sh',), env_root=root)) == read_local_topology(str(root))


def test_missing_root_gives_no_netdevs(tmp_path):
    walked = parse_sysfs_walk(run_walk(('/bin/sh',), tmp_path / 'absent'))
    assert walked == read_local_topology(str(tmp_path / 'absent'))
    assert walked['netdevs'] == {}


@pytest.mark.skipif(not os.path.isdir(DEFAULT_SYSFS_ROOT), reason='no sysfs on this machine')
def test_readers_agree_on_live_sysfs():
    def stable(topology):  # counters may move between the two reads
        for nd in topology['netdevs'].values():
            nd['tx_dropped'] = None
        return topology
    assert stable(read_local_topology()) == stable(parse_sysfs_walk(run_walk(('/bin/sh',))))


def test_walk_is_read_only():
    targets = re.findall(r'>\s*([^\s;)]+)', SYSFS_WALK_SCRIPT)
    assert targets and set(targets) <= {'/dev/null', '&1'}
    assert re.findall(r'\b(?:echo|write|tee|rm|mv|ip|sysctl)\b', SYSFS_WALK_SCRIPT) == []


@pytest.mark.parametrize('raw, field, expected', [
    ('flags=0x1003', 'admin_up', True),
    ('flags=0x1002', 'admin_up', False),
    ('flags=0x1003', 'flags', 0x1003),
    ('carrier=', 'carrier', None),
    ('carrier=0', 'carrier', False),
    ('carrier=1', 'carrier', True),
    ('features=' + '0' * 62 + '10', 'standby_feature', True),
    ('features=' + '0' * 64, 'standby_feature', False),
    ('features=0101', 'standby_feature', None),
    ('features=', 'standby_feature', None),
    ('lower=eth2 eth1', 'lower', ['eth1', 'eth2']),
    ('lower=', 'lower', []),
    ('address=52:54:00:AA:BB:CC', 'address', '52:54:00:aa:bb:cc'),
    ('master=', 'master', None),
    ('ifindex=7', 'ifindex', 7),
    ('mtu=nonsense', 'mtu', None),
    ('tx_dropped=12', 'tx_dropped', 12),
])
def test_parse_typed_fields(raw, field, expected):
    topology = parse_sysfs_walk(f'hostname=g\n[netdev eth9]\n{raw}\n')
    assert topology['netdevs']['eth9'][field] == expected


def test_parse_tolerates_noise_and_missing_keys():
    text = 'noise before\nhostname=g1\n\n[netdev eth0]\nmtu=9000\nunknown_key=1\ngarbage line\n[netdev lo]\n'
    topology = parse_sysfs_walk(text)
    assert topology['hostname'] == 'g1'
    assert topology['netdevs']['eth0']['mtu'] == 9000
    assert topology['netdevs']['eth0']['name'] == 'eth0'
    assert topology['netdevs']['lo']['carrier'] is None
    assert 'unknown_key' not in topology['netdevs']['eth0']


def test_walk_keys_cover_the_typed_fields():
    assert set(WALK_KEYS) <= TYPED_KEYS


@pytest.mark.parametrize('fixture, master, standby, primary, orphans, unrelated', [
    ('steady__eth_names', 'eth0', 'eth1', 'eth2', [], []),
    ('standby_only_up__eth_names', 'eth0', 'eth1', None, [], []),
    ('primary_not_enslaved__pci_nic_with_the_pairs_mac', 'eth0', 'eth1', None, ['eth2'], []),
    ('primary_not_enslaved__second_virtio_nic', 'eth0', 'eth1', None, ['eth2'], []),
    ('steady__udev_names', 'ens10', 'ens10nsby', 'ens11', [], ['enp1s0']),
    # a PCI NIC of another MAC belongs to no pair, even with no primary enslaved (a VF whose MAC was not set looks the same)
    ('standby_only_up__unrelated_pci_nic_other_mac', 'eth0', 'eth1', None, [], ['eth2']),
    ('standby_only_up__udev_random_vf_mac', 'ens10', 'ens10nsby', None, [], ['enp1s0', 'ens11']),
    ('master_admin_down__eth_names', 'eth0', 'eth1', 'eth2', [], []),
])
def test_describe_failover_roles(fixture, master, standby, primary, orphans, unrelated):
    roles = describe_failover_roles(load(FIXTURES / f'{fixture}.txt'))
    assert len(roles['pairs']) == 1
    pair = roles['pairs'][0]
    assert (pair['master'], pair['standby'], pair['primary'], pair['orphans']) == (master, standby, primary, orphans)
    assert pair['mac'] == load(FIXTURES / f'{fixture}.txt')['netdevs'][master]['address']
    assert (roles['orphans'], roles['unrelated']) == (orphans, unrelated)


@pytest.mark.parametrize('parts, pairs, unrelated', [
    # (master, mac, standby, primary, orphans) per pair
    ([g.pair(0, g.MAC_A, 'steady'), g.pair(1, g.MAC_B, 'armed')],
     [('eth0', g.MAC_A, 'eth1', 'eth2', []), ('eth3', g.MAC_B, 'eth4', 'eth5', [])], []),
    ([g.pair(0, g.MAC_A, 'primary_not_enslaved'), g.pair(1, g.MAC_B, 'standby_only_up')],
     [('eth0', g.MAC_A, 'eth1', None, ['eth2']), ('eth3', g.MAC_B, 'eth4', None, [])], []),
    ([g.pair(0, g.MAC_A, 'standby_only_up'), [g.nic('eth8', g.MAC_A, '0000:08:00.0'), g.nic('eth9', g.OTHER_MAC, '0000:09:00.0')]],
     [('eth0', g.MAC_A, 'eth1', None, ['eth8'])], ['eth9']),
    # found by its permanent MAC though the guest changed its MAC
    ([g.pair(0, g.MAC_A, 'standby_only_up'), [g.nic('eth8', g.OTHER_MAC, '0000:08:00.0', perm=g.MAC_A)]],
     [('eth0', g.MAC_A, 'eth1', None, ['eth8'])], []),
    ([g.pair(0, g.MAC_A, 'steady'), [g.nic('eth9', g.OTHER_MAC, 'virtio7', 'virtio_net', 'virtio', features=g.PLAIN_FEATURES)]],
     [('eth0', g.MAC_A, 'eth1', 'eth2', [])], ['eth9']),
], ids=['two_pairs', 'orphan_of_the_first_only', 'orphan_and_unrelated', 'orphan_by_permanent_mac', 'plain_virtio_nic'])
def test_pairs_joined_by_mac(parts, pairs, unrelated):
    roles = describe_failover_roles(g.topology(*parts))
    assert [(p['master'], p['mac'], p['standby'], p['primary'], p['orphans']) for p in roles['pairs']] == pairs
    assert roles['unrelated'] == unrelated


@pytest.mark.parametrize('fixture, virtio_nics', [
    ('not_negotiated__no_standby', ['eth0']),
    ('not_negotiated__manual_vf_visible', ['eth0']),
    ('steady__udev_names', ['enp1s0']),
])
def test_plain_virtio_nics_are_not_masters(fixture, virtio_nics):
    roles = describe_failover_roles(load(FIXTURES / f'{fixture}.txt'))
    assert roles['virtio_nics'] == virtio_nics
    assert not roles['pairs'] or all(p['master'] not in virtio_nics for p in roles['pairs'])


def test_standby_found_by_port_name_when_devices_differ():
    topology = load(FIXTURES / 'steady__eth_names.txt')
    topology['netdevs']['eth1']['device'] = 'virtio9'
    pair = describe_failover_roles(topology)['pairs'][0]
    assert (pair['standby'], pair['primary']) == ('eth1', 'eth2')


def test_ignored_nic_is_not_an_orphan():
    roles = describe_failover_roles(load(FIXTURES / 'primary_not_enslaved__pci_nic_with_the_pairs_mac.txt'), ignore=('eth2',))
    assert (roles['orphans'], roles['unrelated']) == ([], ['eth2'])
