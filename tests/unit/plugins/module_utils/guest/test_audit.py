# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness audit: AUDIT_SCRIPT run over fake roots, and the findings judged from realistic guests' outputs."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import audit as ga
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk

FIXTURES = Path(__file__).parents[1] / 'fixtures'
AUDITS = FIXTURES / 'audit'
MAC = '52:54:00:00:12:53'
LAB_MAC = '52:54:00:6c:00:01'
SHELLS = [('/bin/sh',), ('dash',), ('bash', '--posix'), ('busybox', 'sh')]


def audit_text(name):
    return (AUDITS / name).read_text(encoding='utf-8')


def topology(name, mtu=None, rename=None):
    topo = parse_sysfs_walk((FIXTURES / 'topologies' / name).read_text(encoding='utf-8'))
    topo = copy.deepcopy(topo)
    for netdev, value in (mtu or {}).items():
        topo['netdevs'][netdev]['mtu'] = value
    for old, new in (rename or {}).items():
        nd = topo['netdevs'].pop(old)
        nd['name'] = new
        topo['netdevs'][new] = nd
        for other in topo['netdevs'].values():
            other['lower'] = sorted(new if lower == old else lower for lower in other['lower'])
    return topo


def ids(result):
    return sorted((f['id'], f['netdev']) for f in result['findings'])


# (audit fixture, topology fixture, macs, topology changes, expected (id, netdev), expected unchecked checks)
CASES = {
    'clean guest': ('clean__ubuntu2404_netplan_master_by_name.txt', 'armed__udev_names.txt', None, {}, [], []),
    'busybox lab guest': ('lab__busybox_initramfs.txt', 'lab_steady__after_migration.txt', [LAB_MAC], {}, [], []),
    'busybox without ip and tr': ('busybox_minimal__no_ip_no_tr.txt', 'lab_steady__after_migration.txt', [LAB_MAC], {}, [],
                                  ['address_on_slave', 'dhcp_client_on_slave']),
    'NetworkManager manages the standby and the VF': (
        'networkmanager__manages_standby_and_vf.txt', 'steady__udev_names.txt', [MAC], {},
        [('address_on_slave', 'ens11'), ('slave_managed_by_networkmanager', 'ens10nsby'),
         ('slave_managed_by_networkmanager', 'ens11')], []),
    'networkd matches the shared MAC': (
        'networkd__matches_the_shared_mac.txt', 'steady__eth_names.txt', None, {},
        [('address_on_slave', 'eth2'), ('config_matches_by_mac', 'eth0')], []),
    'an address on the standby (ifupdown)': (
        'ifupdown__static_address_on_standby.txt', 'steady__eth_names.txt', None, {},
        [('address_on_slave', 'eth1'), ('slave_configured_by_ifupdown', 'eth1')], []),
    'udhcpc on the VF': (
        'lab__busybox_udhcpc_on_vf.txt', 'lab_steady__after_migration.txt', [LAB_MAC], {},
        [('address_on_slave', 'eth2'), ('dhcp_client_on_slave', 'eth2')], []),
    'udev names with systemd 252': (
        'udev_names__debian12_systemd252.txt', 'steady__udev_names.txt', None, {},
        [('names_unstable_after_replug', 'ens11')], []),
    'differing MTUs': (
        'clean__ubuntu2404_netplan_master_by_name.txt', 'armed__udev_names.txt', None, {'mtu': {'ens11': 1400, 'ens10nsby': 9000}},
        [('mtu_mismatch', 'ens10nsby'), ('mtu_mismatch', 'ens11')], []),
    'net_failover missing': (
        'net_failover_missing__custom_kernel.txt', 'not_negotiated__no_standby.txt', [MAC], {},
        [('net_failover_missing', 'eth0'), ('standby_not_negotiated', 'eth0')], []),
    'STANDBY not negotiated': (
        'lab__busybox_initramfs.txt', 'not_negotiated__manual_vf_visible.txt', [MAC], {},
        [('standby_not_negotiated', 'eth0')], []),
    'cloud-init matches the master by MAC': (
        'cloud_init__netplan_matches_mac.txt', 'steady__udev_names.txt', None, {},
        [('config_matches_by_mac', 'ens10')], []),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_findings_of_realistic_guests(case):
    audit_name, topo_name, macs, changes, expected, unchecked = CASES[case]
    result = ga.audit_findings(audit_text(audit_name), topology(topo_name, **changes), macs)
    assert ids(result) == sorted(expected)
    assert sorted({u['check'] for u in result['unchecked']}) == sorted(unchecked)
    assert result['refuse'] == any(ga.FINDING_IDS[fid][0] == 'refuse' for fid, _nd in expected)
    for finding in result['findings']:
        assert set(finding) == {'id', 'severity', 'netdev', 'what', 'fix', 'snippet', 'mac'}
        assert finding['what'] and finding['fix'] and finding['severity'] in ('warn', 'refuse')
        assert finding['netdev'] in finding['what'] or finding['id'] == 'standby_not_negotiated'
    assert result['findings'] == [dict(f, mac=mac) for mac, pair in result['pairs'].items() for f in pair['findings']]


def _finding(result, fid, netdev=None):
    found = [f for f in result['findings'] if f['id'] == fid and netdev in (None, f['netdev'])]
    assert len(found) == 1, result['findings']
    return found[0]


def test_networkmanager_finding_names_the_state_and_gives_unmanaged_devices():
    result = ga.audit_findings(audit_text('networkmanager__manages_standby_and_vf.txt'), topology('steady__udev_names.txt'))
    vf = _finding(result, 'slave_managed_by_networkmanager', 'ens11')
    assert "nmcli: connected, connection 'Wired connection 1'" in vf['what']
    assert 'unmanaged-devices=interface-name:ens10nsby;driver:iavf\n' in vf['snippet']
    assert '[keyfile]' in vf['snippet'] and 'ens10' in vf['fix']
    assert 'nmcli: unavailable' in _finding(result, 'slave_managed_by_networkmanager', 'ens10nsby')['what']
    # RHEL 9 systemd 252-32 carries the udev fix: no names finding
    assert result['guest']['udev_version'] == 252 and not any(f['id'] == 'names_unstable_after_replug' for f in result['findings'])


def test_networkmanager_without_nmcli_is_judged_from_its_configuration():
    text = re.sub(r'@cmd nmcli\n(\|.*\n)*', '', audit_text('networkmanager__manages_standby_and_vf.txt'))
    result = ga.audit_findings(text, topology('steady__udev_names.txt'))
    assert ids(result) == [('address_on_slave', 'ens11'), ('slave_managed_by_networkmanager', 'ens10nsby'),
                           ('slave_managed_by_networkmanager', 'ens11')]
    assert [u['check'] for u in result['unchecked']] == ['slave_managed_by_networkmanager']
    conf = '@file /etc/NetworkManager/conf.d/90-netfailover-slaves.conf\n|[keyfile]\n|unmanaged-devices=interface-name:ens10nsby;driver:iavf\n'
    fixed = text.replace('=end yes', conf + '=end yes')
    assert ids(ga.audit_findings(fixed, topology('steady__udev_names.txt'))) == [('address_on_slave', 'ens11')]


def test_networkd_by_mac_is_one_finding_for_the_file_with_a_name_match_snippet():
    result = ga.audit_findings(audit_text('networkd__matches_the_shared_mac.txt'), topology('steady__eth_names.txt'))
    assert result['guest']['biosdevname'] == '0' and result['guest']['net_ifnames'] is False
    finding = _finding(result, 'config_matches_by_mac')
    assert finding['what'].startswith('/etc/systemd/network/10-uplink.network: [Match] MACAddress=52:54:00:00:12:53')
    assert 'eth1' in finding['what'] and 'eth2' in finding['what']
    assert '[Match]\nName=eth0\n' in finding['snippet'] and 'Unmanaged=yes' in finding['snippet']
    assert '[Match]\nDriver=vmxnet3\n' in finding['snippet']


def test_networkd_by_name_of_a_slave():
    text = audit_text('udev_names__debian12_systemd252.txt').replace(
        '@file /run/systemd/netif/links/7\n|ADMIN_STATE=unmanaged\n', '@file /run/systemd/netif/links/7\n|ADMIN_STATE=configured\n'
        '|NETWORK_FILE=/etc/systemd/network/30-vf.network\n').replace(
        '=end yes', '@file /etc/systemd/network/30-vf.network\n|[Match]\n|Name=ens11 eth*\n|\n|[Network]\n|DHCP=yes\n=end yes')
    result = ga.audit_findings(text, topology('steady__udev_names.txt'))
    finding = _finding(result, 'slave_managed_by_networkd', 'ens11')
    assert '/etc/systemd/network/30-vf.network (DHCP=yes)' in finding['what']
    assert 'networkd state configured' in finding['what']


def test_udev_names_finding_explains_the_refused_rename():
    result = ga.audit_findings(audit_text('udev_names__debian12_systemd252.txt'), topology('steady__udev_names.txt'))
    finding = _finding(result, 'names_unstable_after_replug', 'ens11')
    assert finding['severity'] == 'warn' and not result['refuse']
    assert 'systemd-udevd 252' in finding['what'] and 'comes back as ethN' in finding['what']
    assert 'ens10' in finding['fix'] and '254' in finding['fix']


@pytest.mark.parametrize('udevadm, unchecked', [('3.2.14', []), (None, ['names_unstable_after_replug'])])
def test_udev_names_with_eudev_or_an_unknown_udev(udevadm, unchecked):
    text = audit_text('udev_names__debian12_systemd252.txt')
    text = re.sub(r'@cmd systemctl\n(\|.*\n)*', '', text)
    text = text.replace('@cmd udevadm\n|252\n', f'@cmd udevadm\n|{udevadm}\n' if udevadm else '=missing udevadm\n')
    result = ga.audit_findings(text, topology('steady__udev_names.txt'))
    assert result['findings'] == [] and [u['check'] for u in result['unchecked']] == unchecked


def test_udev_names_after_a_replug_that_kept_the_kernel_name():
    topo = topology('steady__udev_names.txt', rename={'ens11': 'eth0'})
    result = ga.audit_findings(audit_text('udev_names__debian12_systemd252.txt'), topo)
    assert 'kept its kernel name although udev wants ens11' in _finding(result, 'names_unstable_after_replug', 'eth0')['what']


@pytest.mark.parametrize('systemctl, refused', [
    ('systemd 252 (252.31-1~deb12u1)', True),
    ('systemd 252 (252-13.el9_2)', True),
    ('systemd 252 (252-32.el9_4)', False),
    ('systemd 250 (250.3-1)', True),
    ('systemd 254 (254.5-1)', False),
    ('systemd 249 (249.11-0ubuntu3.12)', False),
])
def test_which_udev_refuses_the_rename(systemctl, refused):
    assert ga.rename_refused(int(systemctl.split()[1]), [systemctl]) is refused


def test_dhcp_client_finding_names_the_process_and_the_fix():
    result = ga.audit_findings(audit_text('lab__busybox_udhcpc_on_vf.txt'), topology('lab_steady__after_migration.txt'))
    finding = _finding(result, 'dhcp_client_on_slave', 'eth2')
    assert 'udhcpc (pid 112: udhcpc -b -i eth2' in finding['what']
    assert 'udhcpc -i eth0' in finding['fix']
    address = _finding(result, 'address_on_slave', 'eth2')
    assert '192.0.2.77/24' in address['what'] and 'ip addr del 192.0.2.77/24 dev eth2' in address['snippet']
    assert result['guest']['dhcp_clients'] == [{'pid': '112', 'command': 'udhcpc -b -i eth2 -p /run/udhcpc.eth2.pid -s '
                                                '/usr/share/udhcpc/default.script'}]


@pytest.mark.parametrize('argv, comm, served', [
    ('dhclient -4 -v -i -pf /run/dhclient.eth2.pid -lf /var/lib/dhcp/dhclient.eth2.leases eth2', 'dhclient', ['eth2']),
    ('/sbin/dhclient', 'dhclient', ['eth0', 'eth1', 'eth2']),
    ('dhcpcd -q -b', 'dhcpcd', ['eth0', 'eth1', 'eth2']),
    ('udhcpc --interface=eth1 -b', 'udhcpc', ['eth1']),
    ('udhcpc -ieth2', 'udhcpc', ['eth2']),
    ('udhcpc -b', 'udhcpc', []),  # udhcpc's default interface is eth0: the master
])
def test_which_netdevs_a_dhcp_client_serves(argv, comm, served):
    text = audit_text('lab__busybox_initramfs.txt').replace('=end yes', f'@proc 200 {comm}\n|{argv} \n=end yes')
    result = ga.audit_findings(text, topology('lab_steady__after_migration.txt'))
    assert sorted(f['netdev'] for f in result['findings']) == [n for n in served if n != 'eth0']


def test_dhcpcd_manager_mode_honours_denyinterfaces():
    text = audit_text('lab__busybox_initramfs.txt').replace(
        '=end yes', '@proc 200 dhcpcd\n|dhcpcd -q -b \n@file /etc/dhcpcd.conf\n|denyinterfaces eth1 eth2\n=end yes')
    assert ga.audit_findings(text, topology('lab_steady__after_migration.txt'))['findings'] == []


def test_mtu_finding_sets_the_master():
    result = ga.audit_findings(audit_text('clean__ubuntu2404_netplan_master_by_name.txt'),
                               topology('armed__udev_names.txt', mtu={'ens11': 1400}))
    finding = _finding(result, 'mtu_mismatch', 'ens11')
    assert 'MTU 1400' in finding['what'] and finding['snippet'] == 'ip link set dev ens10 mtu 1500\n'


def test_net_failover_missing_and_available():
    result = ga.audit_findings(audit_text('net_failover_missing__custom_kernel.txt'), topology('not_negotiated__no_standby.txt'), [MAC])
    assert '4.14.336-appliance' in _finding(result, 'net_failover_missing')['what']
    assert result['guest']['net_failover'] == 'missing'
    available = audit_text('net_failover_missing__custom_kernel.txt').replace(
        '=have ip', '=module_file /lib/modules/4.14.336-appliance/kernel/drivers/net/net_failover.ko\n=have ip')
    finding = _finding(ga.audit_findings(available, topology('not_negotiated__no_standby.txt'), [MAC]), 'net_failover_missing')
    assert 'exists but is not loaded' in finding['what'] and finding['snippet'] == 'modprobe net_failover\n'
    unknown = audit_text('net_failover_missing__custom_kernel.txt').replace('=builtin_readable yes\n', '')
    result = ga.audit_findings(unknown, topology('not_negotiated__no_standby.txt'), [MAC])
    assert ids(result) == [('standby_not_negotiated', 'eth0')]
    assert [u['check'] for u in result['unchecked']] == ['net_failover_missing']


def test_standby_not_negotiated_for_a_mac_the_guest_lacks():
    result = ga.audit_findings(audit_text('lab__busybox_initramfs.txt'), topology('lab_steady__after_migration.txt'),
                               [LAB_MAC, '52:54:00:6c:00:99'])
    assert [(f['id'], f['mac'], f['netdev']) for f in result['findings']] == [('standby_not_negotiated', '52:54:00:6c:00:99', None)]
    assert 'no virtio NIC with the MAC 52:54:00:6c:00:99' in result['findings'][0]['what']


def test_cloud_init_by_mac_gives_a_cloud_init_fix():
    result = ga.audit_findings(audit_text('cloud_init__netplan_matches_mac.txt'), topology('steady__udev_names.txt'))
    finding = _finding(result, 'config_matches_by_mac')
    assert finding['what'].startswith('/etc/netplan/50-cloud-init.yaml: netplan ethernets.ens10 match: macaddress')
    assert 'cloud-init' in finding['fix'] and 'network: {config: disabled}' in finding['snippet']
    assert 'match:\n        name: ens10\n' in finding['snippet']


def test_a_mac_match_narrowed_by_name_catches_the_master_only():
    text = audit_text('cloud_init__netplan_matches_mac.txt').replace(
        "|                macaddress: '52:54:00:00:12:53'\n", "|                macaddress: '52:54:00:00:12:53'\n|                name: ens10\n")
    assert ga.audit_findings(text, topology('steady__udev_names.txt'))['findings'] == []
    networkd = audit_text('networkd__matches_the_shared_mac.txt').replace('|MACAddress=52:54:00:00:12:53\n',
                                                                          '|MACAddress=52:54:00:00:12:53\n|Name=eth0\n')
    # networkd's own state still says the file configures the slaves: that is reported
    assert ids(ga.audit_findings(networkd, topology('steady__eth_names.txt'))) == [
        ('address_on_slave', 'eth2'), ('slave_managed_by_networkd', 'eth1'), ('slave_managed_by_networkd', 'eth2')]
    networkd = re.sub(r'@file /run/systemd/netif/links/\d\n(\|.*\n)*', '', networkd)
    assert ids(ga.audit_findings(networkd, topology('steady__eth_names.txt'))) == [('address_on_slave', 'eth2')]


def test_cloud_init_rendered_ifupdown_stanza_on_the_vf():
    text = audit_text('ifupdown__static_address_on_standby.txt').replace(
        '=end yes', '@file /etc/network/interfaces.d/50-cloud-init\n|# This file is generated from information provided by the '
        'datasource.\n|auto eth2\n|iface eth2 inet dhcp\n=end yes')
    result = ga.audit_findings(text, topology('steady__eth_names.txt'))
    finding = _finding(result, 'slave_configured_by_cloud_init', 'eth2')
    assert 'iface eth2 inet dhcp (auto) (rendered by cloud-init)' in finding['what']


def test_severities_can_be_changed_or_ignored():
    text, topo = audit_text('udev_names__debian12_systemd252.txt'), topology('steady__udev_names.txt')
    assert ga.audit_findings(text, topo, severities={'names_unstable_after_replug': 'refuse'})['refuse'] is True
    assert ga.audit_findings(text, topo, severities={'names_unstable_after_replug': 'ignore'})['findings'] == []
    with pytest.raises(ValueError, match='must be warn, refuse or ignore'):
        ga.audit_findings(text, topo, severities={'names_unstable_after_replug': 'fatal'})


def test_every_finding_id_is_documented():
    doc = (Path(__file__).parents[5] / 'docs' / 'guest-readiness.md').read_text(encoding='utf-8')
    for fid, (severity, meaning) in ga.FINDING_IDS.items():
        assert f'`{fid}`' in doc and severity in ('warn', 'refuse') and meaning


# ---- parsers -------------------------------------------------------------------------------------

def test_parse_audit_sections():
    parsed = ga.parse_audit('noise\n=kernel 6.1\n@file /etc/a\n|x=1\n||y\n@proc 7 dhclient\n|dhclient eth1 \n'
                            '@truncated /etc/a\n=have ip\n|orphan line\n')
    assert parsed['facts'] == {'kernel': ['6.1'], 'have': ['ip']}
    assert parsed['files'] == {'/etc/a': ['x=1', '|y']}
    assert parsed['procs'] == [{'pid': '7', 'comm': 'dhclient', 'argv': ['dhclient', 'eth1']}]
    assert parsed['truncated'] == ['/etc/a']


@pytest.mark.parametrize('lines, expected', [
    (['2: eth0    inet 192.0.2.1/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever',
      '3: eth1    inet6 2001:db8::5/64 scope global \\       valid_lft forever preferred_lft forever'],
     {'eth0': ['192.0.2.1/24'], 'eth1': ['2001:db8::5/64']}),
    (['2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP qlen 1000',
      '    link/ether 52:54:00:00:12:53 brd ff:ff:ff:ff:ff:ff',
      '    inet 192.0.2.1/24 scope global eth0',
      '3: eth0.10@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
      '    inet 198.51.100.1/24 scope global eth0.10'],
     {'eth0': ['192.0.2.1/24'], 'eth0.10': ['198.51.100.1/24']}),
])
def test_parse_addresses_oneline_and_multiline(lines, expected):
    assert ga.parse_addresses(lines) == expected


# ---- the script itself, over a fake root ----------------------------------------------------------

FAKE_IP = '''#!/bin/sh
[ "$1" = -o ] || exit 1
printf '%s\\n' '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever'
printf '%s\\n' '2: eth0    inet 192.0.2.11/24 scope global eth0\\       valid_lft forever preferred_lft forever'
printf '%s\\n' '4: eth2    inet 192.0.2.77/24 scope global eth2\\       valid_lft forever preferred_lft forever'
'''
FAKE_UDEVADM = '#!/bin/sh\necho 252\n'
FAKE_NMCLI = '#!/bin/sh\necho "eth0:ethernet:connected:uplink"\necho "eth2:ethernet:connected:Wired connection 1"\n'


def build_root(base):
    files = {
        'proc/sys/kernel/osrelease': '6.1.0-28-cloud-amd64\n',
        'proc/cmdline': 'root=/dev/vda1 ro net.ifnames=0\n',
        'proc/modules': 'net_failover 20480 1 virtio_net, Live 0x0\nfailover 12288 1 net_failover, Live 0x0\n',
        'lib/modules/6.1.0-28-cloud-amd64/modules.builtin': 'kernel/drivers/net/loopback.ko\n',
        'lib/modules/6.1.0-28-cloud-amd64/kernel/drivers/net/net_failover.ko': '',
        'proc/31/comm': 'udhcpc\n', 'proc/31/cmdline': 'udhcpc\0-i\0eth2\0-b\0',
        'proc/32/comm': 'NetworkManager\n', 'proc/32/cmdline': '/usr/sbin/NetworkManager\0--no-daemon\0',
        'proc/33/comm': 'sshd\n', 'proc/33/cmdline': 'sshd: /usr/sbin/sshd\0',
        'etc/NetworkManager/system-connections/wifi.nmconnection':
            '[connection]\nid=wifi\n[wifi-security]\npsk=hunter2\npassword=topsecret\n[ipv4]\nmethod=auto\n',
        'etc/systemd/network/10-uplink.network': '[Match]\nMACAddress=52:54:00:00:12:53\n[Network]\nDHCP=yes',  # no final newline
        'etc/netplan/big.yaml': ''.join(f'# line {n}\n' for n in range(500)),
        'etc/network/interfaces': 'auto eth1\niface eth1 inet dhcp\n',
        'etc/udev/rules.d/70-persistent-net.rules':
            'SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="52:54:00:00:12:53", NAME="lan0"\n',
        'run/udev/data/n4': 'I:123\nE:ID_NET_NAME_SLOT=ens11\nE:ID_NET_DRIVER=vmxnet3\nG:systemd\n',
        'etc/long.conf': 'x' * 5000 + '\n',
    }
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding='utf-8')
    (base / 'sys' / 'module' / 'net_failover').mkdir(parents=True)
    return base


def fake_bin(base, tools):
    bindir = base / 'bin'
    bindir.mkdir()
    for name, text in tools.items():
        (bindir / name).write_text(text, encoding='utf-8')
        (bindir / name).chmod(0o755)
    for real in ('tr', 'cat', 'sh'):
        found = shutil.which(real)
        if found:
            os.symlink(found, bindir / real)
    return bindir


def run_script(shell, root, bindir, max_lines=None):
    if not shutil.which(shell[0]):
        pytest.skip(f'{shell[0]} is not installed')
    env = {'PATH': str(bindir), 'LC_ALL': 'C', 'NETFAILOVER_AUDIT_ROOT': str(root)}
    if max_lines:
        env['NETFAILOVER_AUDIT_MAX_LINES'] = str(max_lines)
    argv = [shutil.which(shell[0])] + list(shell[1:]) + ['-c', ga.AUDIT_SCRIPT]
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, universal_newlines=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    return result.stdout


@pytest.mark.parametrize('shell', SHELLS, ids=lambda s: s[0])
def test_script_over_a_fake_root(tmp_path, shell):
    root = build_root(tmp_path / 'root')
    bindir = fake_bin(tmp_path, {'ip': FAKE_IP, 'udevadm': FAKE_UDEVADM, 'nmcli': FAKE_NMCLI})
    text = run_script(shell, root, bindir)
    parsed = ga.parse_audit(text)
    facts = parsed['facts']
    assert facts['kernel'] == ['6.1.0-28-cloud-amd64'] and facts['cmdline'] == ['root=/dev/vda1 ro net.ifnames=0']
    assert facts['sys_module'] == ['yes'] and facts['builtin_readable'] == ['yes'] and 'builtin' not in facts
    assert facts['module_file'] == ['/lib/modules/6.1.0-28-cloud-amd64/kernel/drivers/net/net_failover.ko']
    assert set(facts['have']) >= {'udevadm', 'nmcli', 'tr'} and 'systemctl' in facts['missing']
    assert facts['end'] == ['yes']
    assert parsed['cmds']['udevadm'] == ['252']
    assert parsed['cmds']['nmcli'] == ['eth0:ethernet:connected:uplink', 'eth2:ethernet:connected:Wired connection 1']
    if shell[0] != 'busybox':  # busybox sh runs its own ip applet before the PATH's
        assert parsed['cmds']['ip-addr'][1].startswith('2: eth0    inet 192.0.2.11/24')
    assert [(p['comm'], p['argv']) for p in parsed['procs']] == [
        ('udhcpc', ['udhcpc', '-i', 'eth2', '-b']), ('NetworkManager', ['/usr/sbin/NetworkManager', '--no-daemon'])]
    assert parsed['files']['/etc/NetworkManager/system-connections/wifi.nmconnection'] == [
        '[connection]', 'id=wifi', '[wifi-security]', '<redacted>', '<redacted>', '[ipv4]', 'method=auto']
    assert 'hunter2' not in text and 'topsecret' not in text
    assert parsed['files']['/etc/systemd/network/10-uplink.network'][-1] == 'DHCP=yes'
    assert len(parsed['files']['/etc/netplan/big.yaml']) == 200 and '/etc/netplan/big.yaml' in parsed['truncated']
    assert parsed['files']['/run/udev/data/n4'] == ['E:ID_NET_NAME_SLOT=ens11', 'E:ID_NET_DRIVER=vmxnet3']
    assert '/etc/long.conf' not in parsed['files']  # only the files the audit knows
    assert max(len(line) for line in text.splitlines()) <= 301
    # judged with a topology of the same guest: every tool's finding
    result = ga.audit_findings(text, topology('steady__eth_names.txt'))
    assert {f['id'] for f in result['findings']} >= {'dhcp_client_on_slave', 'slave_managed_by_networkmanager',
                                                     'slave_configured_by_ifupdown', 'config_matches_by_mac'}
    assert result['guest']['net_failover'] == 'loaded' and result['guest']['net_ifnames'] is False
    assert result['guest']['biosdevname'] is None


def test_script_bounds_lines(tmp_path):
    root = build_root(tmp_path / 'root')
    text = run_script(('/bin/sh',), root, fake_bin(tmp_path, {}), max_lines=3)
    parsed = ga.parse_audit(text)
    assert all(len(lines) <= 3 for lines in parsed['files'].values())
    assert '/etc/NetworkManager/system-connections/wifi.nmconnection' in parsed['truncated']
    assert 'ip' in parsed['facts']['missing']


def test_script_on_an_empty_root_is_all_absence(tmp_path):
    (tmp_path / 'root').mkdir()
    text = run_script(('/bin/sh',), tmp_path / 'root', fake_bin(tmp_path, {}))
    parsed = ga.parse_audit(text)
    assert parsed['files'] == {} and parsed['procs'] == [] and parsed['facts']['end'] == ['yes']
    assert parsed['facts']['kernel'] == ['']


def test_lab_fixture_is_what_the_script_prints_over_a_lab_like_root(tmp_path):
    """The busybox lab guest's fixture, printed again over a root laid out like the lab's initramfs."""
    root = tmp_path / 'root'
    files = {
        'proc/sys/kernel/osrelease': '6.1.0-41-amd64\n',
        'proc/cmdline': 'console=ttyS0 panic=-1 nflab.ip=192.0.2.11/24 nflab.hostname=vm1 nflab.mac=52:54:00:6c:00:01\n',
        'proc/modules': ''.join(line[1:] + '\n' for line in audit_text('lab__busybox_initramfs.txt').splitlines()
                                if line.startswith('|') and ' Live ' in line),
        'proc/1/comm': 'init\n', 'proc/1/cmdline': '/init\0', 'proc/87/comm': 'qemu-ga\n', 'proc/87/cmdline': 'qemu-ga\0-d\0',
    }
    for name in ('failover', 'net_failover', 'virtio_net', 'vmxnet3'):
        files[f'lib/modules/{name}.ko'] = ''
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding='utf-8')
    (root / 'sys' / 'module' / 'net_failover').mkdir(parents=True)
    ip = ['#!/bin/sh'] + [f"printf '%s\\n' '{line[1:]}'" for line in audit_text('lab__busybox_initramfs.txt').splitlines()
                          if line.startswith('|') and ' inet' in line]
    bindir = fake_bin(tmp_path, {'ip': '\n'.join(ip) + '\n', 'ifup': '#!/bin/sh\n', 'udhcpc': '#!/bin/sh\n'})
    assert run_script(('/bin/sh',), root, bindir) == audit_text('lab__busybox_initramfs.txt')


def test_script_is_read_only():
    targets = re.findall(r'(?:^|[\s\d])>\s*([^\s;)&|]+)', ga.AUDIT_SCRIPT)
    assert set(targets) <= {'/dev/null'}
    assert re.findall(r'\b(?:rm|mv|tee|mkdir|ln|chmod|kill|sysctl|modprobe|insmod|ifdown|echo)\b', ga.AUDIT_SCRIPT) == []
