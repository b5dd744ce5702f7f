# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import (
    LEGAL_TRANSITIONS,
    STATE_INFO,
    SEVERITY,
    Classification,
    GuestState,
    classify,
    classify_pairs,
    headline,
    is_outage,
    legal_transition,
    verify,
)
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.tests.unit.plugins import guest_samples as g

S = GuestState
FIXTURES = Path(__file__).parents[1] / 'fixtures' / 'topologies'
# Every fixture, hand-written or captured in the lab (lab_ prefix), is named <expected state>__<what>.txt.
FIXTURE_FILES = sorted(FIXTURES.glob('*.txt'))


def expected_state(path):
    stem = path.stem[len('lab_'):] if path.stem.startswith('lab_') else path.stem
    return GuestState(stem.split('__')[0])


def load(name):
    return parse_sysfs_walk((FIXTURES / f'{name}.txt').read_text(encoding='utf-8'))


@pytest.mark.parametrize('path', FIXTURE_FILES, ids=lambda p: p.stem)
def test_classify_fixture(path):
    assert classify(parse_sysfs_walk(path.read_text(encoding='utf-8'))).state == expected_state(path)


def test_every_state_has_a_fixture():
    assert {expected_state(path) for path in FIXTURE_FILES} == set(GuestState)


def test_tables_cover_every_state():
    assert set(STATE_INFO) == set(GuestState) == set(LEGAL_TRANSITIONS)
    assert sorted(info.code for info in STATE_INFO.values()) == [f'G{i}' for i in range(9)]


@pytest.mark.parametrize('fixture, master, standby, primary, orphans, outage', [
    ('steady__eth_names', 'eth0', 'eth1', 'eth2', (), False),
    ('armed__udev_names', 'ens10', 'ens10nsby', 'ens11', (), False),
    ('standby_only_down__eth_names', 'eth0', 'eth1', None, (), True),
    ('both_down__eth_names', 'eth0', 'eth1', 'eth2', (), True),
    ('primary_not_enslaved__pci_nic_with_the_pairs_mac', 'eth0', 'eth1', None, ('eth2',), False),
    ('standby_only_up__unrelated_pci_nic_other_mac', 'eth0', 'eth1', None, (), False),
    ('master_admin_down__eth_names', 'eth0', 'eth1', 'eth2', (), True),
    ('not_negotiated__no_standby', None, None, None, (), False),
])
def test_classification_roles(fixture, master, standby, primary, orphans, outage):
    c = classify(load(fixture))
    assert (c.master, c.standby, c.primary, c.orphans, c.outage) == (master, standby, primary, orphans, outage)
    json.dumps(c.as_dict())


def test_facts_carry_the_master_tx_dropped_counter():
    assert classify(load('standby_only_down__eth_names')).facts['master_tx_dropped'] == 42


@pytest.mark.parametrize('fixture, expected, parts', [
    ('primary_not_enslaved__pci_nic_with_the_pairs_mac', 'armed',
     ["NIC eth2 has the failover master eth0's MAC 52:54:00:00:12:53 but was not enslaved", 'permanent MAC (ethtool -P)',
      'traffic goes over the standby eth1']),
    # a PCI NIC of another MAC is no orphan, but when no primary came, the diagnostic names it in case it is the VF
    ('standby_only_up__unrelated_pci_nic_other_mac', 'armed',
     ['only the standby eth1 is enslaved', 'NIC eth2 has MAC 02:00:00:00:00:01, the failover master eth0 has 52:54:00:00:12:53',
      'belongs to no failover pair', 'the VF was not enslaved', 'set the VF MAC on the PF before attaching it']),
    ('standby_only_up__udev_random_vf_mac', 'steady',
     ['NIC ens11 has MAC 6a:3c:1f:80:4d:a2, the failover master ens10 has 52:54:00:00:12:53']),
    ('primary_not_enslaved__second_virtio_nic', 'standby_only_up',
     ["NIC eth2 has the failover master eth0's MAC 52:54:00:00:12:53", 'virtio bus', 'only takes a PCI device']),
    ('standby_only_down__eth_names', 'standby_only_up',
     ['the standby eth1 has no carrier and no primary is enslaved', 'no network path (outage)',
      'virsh domif-setlink vm1 vnet7 up', 're-attach the VF']),
    ('not_negotiated__no_standby', 'steady',
     ['STANDBY (VIRTIO_NET_F_STANDBY, virtio feature bit 62) was not negotiated by the guest on eth0', 'lacks net_failover',
      "<teaming type='persistent'/> / failover=on"]),
    ('master_admin_down__eth_names', 'steady',
     ['the failover master eth0 is administratively down: bring it up in the guest (ip link set eth0 up)']),
    ('primary_no_carrier__eth_names', 'armed', ['the primary eth2 is enslaved but has no carrier', 'standby eth1', 'RX blind spot']),
    ('both_down__eth_names', 'steady', ['primary eth2 (has no carrier)', 'standby eth1 (has no carrier)', 'outage']),
    ('steady__eth_names', 'armed', ['the standby eth1 has no carrier', 'virsh domif-setlink vm1 vnet7 up']),
    ('armed__eth_names', 'steady', ['the standby eth1 has carrier too', 'virsh domif-setlink vm1 vnet7 down']),
    ('standby_only_up__eth_names', 'armed', ['only the standby eth1 is enslaved', 'attach the VF']),
])
def test_verify_mismatch_message(fixture, expected, parts):
    result = verify(load(fixture), expected, domain='vm1', tap='vnet7')
    assert not result.ok
    assert result.state.value == fixture.split('__')[0]
    assert result.message.startswith(f'expected {expected} but the guest on ')
    for part in parts:
        assert part in result.message


@pytest.mark.parametrize('path', FIXTURE_FILES, ids=lambda p: p.stem)
def test_verify_match(path):
    state = expected_state(path)
    topology = parse_sysfs_walk(path.read_text(encoding='utf-8'))
    # a fixture's name gives its headline state: with several pairs, the state of the least healthy one
    mac = classify(topology).mac
    result = verify(topology, [state, S.NOT_NEGOTIATED], macs=[mac] if mac else None)
    assert result.ok and result.state == state
    assert 'as expected' in result.message


def test_verify_accepts_a_classification_and_strings():
    c = classify(load('armed__eth_names'))
    assert verify(c, ('steady', 'armed')).ok
    assert verify(c, S.ARMED).classification is c


def test_standby_down_turns_g7_into_an_outage():
    topology = load('primary_not_enslaved__pci_nic_with_the_pairs_mac')
    topology['netdevs']['eth1']['carrier'] = False
    result = verify(topology, 'standby_only_up')
    assert result.state == S.PRIMARY_NOT_ENSLAVED and result.classification.outage
    assert 'the standby eth1 has no carrier, so the guest has no network path (outage)' in result.message


def test_ignore_unrelated_pci_nic():
    assert classify(load('primary_not_enslaved__pci_nic_with_the_pairs_mac'), ignore=('eth2',)).state == S.STANDBY_ONLY_UP


@pytest.mark.parametrize('change, problem', [
    (('eth2', 'mtu', 9000), 'the primary eth2 has MTU 9000, the failover master eth0 has 1500'),
    (('eth2', 'flags', 0x1002), 'the primary eth2 is administratively down'),
    (('eth2', 'perm_address', '02:00:00:00:00:09'), 'the primary eth2 has permanent MAC 02:00:00:00:00:09'),
])
def test_problems(change, problem):
    topology = load('armed__eth_names')
    name, key, value = change
    topology['netdevs'][name][key] = value
    topology['netdevs'][name]['admin_up'] = bool(topology['netdevs'][name]['flags'] & 1)
    assert any(problem in text for text in classify(topology).problems)


def test_slaves_closed_with_the_master_are_not_extra_problems():
    assert classify(load('master_admin_down__eth_names')).problems == ()


def test_named_master_that_does_not_exist():
    c = classify(load('steady__eth_names'), master='eth7')
    assert c.state == S.NOT_NEGOTIATED and 'no failover master named eth7' in c.problems


# ---- several pairs, each on its own -----------------------------------------------------------------

EXTRA_PCI_NIC = [g.nic('eth9', g.OTHER_MAC, '0000:09:00.0', driver='igb')]
SECOND_VF_WITH_MAC_A = [g.nic('eth8', g.MAC_A, '0000:08:00.0')]


@pytest.mark.parametrize('parts, states', [
    ([g.pair(0, g.MAC_A, 'steady'), g.pair(1, g.MAC_B, 'steady')], {g.MAC_A: S.STEADY, g.MAC_B: S.STEADY}),
    ([g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'standby_only_up')], {g.MAC_A: S.ARMED, g.MAC_B: S.STANDBY_ONLY_UP}),
    ([g.pair(0, g.MAC_A, 'standby_only_up'), g.pair(1, g.MAC_B, 'armed')], {g.MAC_A: S.STANDBY_ONLY_UP, g.MAC_B: S.ARMED}),
    ([g.pair(0, g.MAC_A, 'steady'), g.pair(1, g.MAC_B, 'primary_not_enslaved')],
     {g.MAC_A: S.STEADY, g.MAC_B: S.PRIMARY_NOT_ENSLAVED}),
    ([g.pair(0, g.MAC_A, 'standby_only_down'), g.pair(1, g.MAC_B, 'primary_no_carrier')],
     {g.MAC_A: S.STANDBY_ONLY_DOWN, g.MAC_B: S.PRIMARY_NO_CARRIER}),
    ([g.pair(0, g.MAC_A, 'master_admin_down'), g.pair(1, g.MAC_B, 'both_down')], {g.MAC_A: S.MASTER_ADMIN_DOWN, g.MAC_B: S.BOTH_DOWN}),
    # an extra PCI NIC with another MAC belongs to no pair: steady stays steady, and mid-dance (VF out) is no orphan
    ([g.pair(0, g.MAC_A, 'steady'), EXTRA_PCI_NIC], {g.MAC_A: S.STEADY}),
    ([g.pair(0, g.MAC_A, 'standby_only_up'), EXTRA_PCI_NIC], {g.MAC_A: S.STANDBY_ONLY_UP}),
    ([g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'standby_only_up'), EXTRA_PCI_NIC], {g.MAC_A: S.ARMED, g.MAC_B: S.STANDBY_ONLY_UP}),
    # a PCI NIC with the pair's MAC that is not enslaved is that pair's orphan, beside an unrelated one
    ([g.pair(0, g.MAC_A, 'standby_only_up'), SECOND_VF_WITH_MAC_A, EXTRA_PCI_NIC], {g.MAC_A: S.PRIMARY_NOT_ENSLAVED}),
    ([g.pair(0, g.MAC_A, 'standby_only_up'), g.pair(1, g.MAC_B, 'armed'), SECOND_VF_WITH_MAC_A],
     {g.MAC_A: S.PRIMARY_NOT_ENSLAVED, g.MAC_B: S.ARMED}),
    # with a primary enslaved, a second NIC with the MAC keeps the state and is a problem (a second primary?)
    ([g.pair(0, g.MAC_A, 'steady'), SECOND_VF_WITH_MAC_A], {g.MAC_A: S.STEADY}),
], ids=['steady+steady', 'armed+standby_only_up', 'standby_only_up+armed', 'steady+primary_not_enslaved', 'outage+no_carrier',
        'admin_down+both_down', 'steady+extra_nic', 'standby_only_up+extra_nic', 'two_pairs+extra_nic', 'orphan+extra_nic',
        'orphan+other_pair', 'second_primary'])
def test_classify_pairs_each_on_its_own(parts, states):
    pairs = classify_pairs(g.topology(*parts))
    assert {mac: c.state for mac, c in pairs.items()} == states
    assert list(pairs) == sorted(states)  # in the order of the masters' names
    for mac, c in pairs.items():
        assert c.mac == mac and c.facts['mac'] == mac
        assert 'eth9' not in c.orphans  # the NIC of another MAC is never an orphan
        json.dumps(c.as_dict())
        assert set(c.summary()) == {'mac', 'master', 'standby', 'primary', 'state', 'code', 'outage', 'orphans', 'problems'}


def test_unrelated_nics_are_listed_in_the_facts():
    c = classify_pairs(g.topology(g.pair(0, g.MAC_A, 'steady'), EXTRA_PCI_NIC, SECOND_VF_WITH_MAC_A))[g.MAC_A]
    assert [nic['name'] for nic in c.facts['unrelated']] == ['eth9'] and c.orphans == ('eth8',)
    assert any('NIC eth8 has the failover master' in p and 'a second primary?' in p for p in c.problems)


def test_classify_pairs_by_mac_in_the_order_given():
    topology = g.topology(g.pair(0, g.MAC_A, 'steady'), g.pair(1, g.MAC_B, 'standby_only_up'))
    pairs = classify_pairs(topology, macs=[g.MAC_B.upper(), g.OTHER_MAC, g.MAC_B])
    assert list(pairs) == [g.MAC_B, g.OTHER_MAC]
    assert pairs[g.MAC_B].state == S.STANDBY_ONLY_UP and pairs[g.MAC_B].master == 'eth3'
    missing = pairs[g.OTHER_MAC]
    assert (missing.state, missing.master, missing.mac) == (S.NOT_NEGOTIATED, None, g.OTHER_MAC)
    assert missing.problems == (f'the failover pairs of the guest: eth0 ({g.MAC_A}), eth3 ({g.MAC_B})',)
    message = verify(pairs, 'steady').message
    assert f'no virtio-net NIC with MAC {g.OTHER_MAC}' in message and 'the pair eth3' in message


def test_a_mac_on_a_virtio_nic_without_standby_is_not_negotiated():
    plain = [g.nic('eth9', g.OTHER_MAC, 'virtio7', 'virtio_net', 'virtio', features=g.PLAIN_FEATURES)]
    c = classify_pairs(g.topology(g.pair(0, g.MAC_A, 'steady'), plain), macs=[g.OTHER_MAC])[g.OTHER_MAC]
    assert c.state == S.NOT_NEGOTIATED
    assert c.problems == ('STANDBY (virtio feature bit 62) is not negotiated on eth9',)


def test_no_failover_master_gives_no_pairs_and_classify_says_not_negotiated():
    topology = load('not_negotiated__manual_vf_visible')
    assert classify_pairs(topology) == {}
    c = classify(topology)
    assert c.state == S.NOT_NEGOTIATED and c.mac is None
    assert [nic['name'] for nic in c.facts['unrelated']] == ['eth0', 'eth1']


def test_masters_with_the_same_mac():
    topology = g.topology(g.pair(0, g.MAC_A, 'steady'), g.pair(1, g.MAC_A, 'armed'))
    pairs = classify_pairs(topology)
    assert list(pairs) == [g.MAC_A] and pairs[g.MAC_A].master == 'eth0'
    assert f'the failover masters eth0 and eth3 have the same MAC {g.MAC_A}: only eth0 is classified' in pairs[g.MAC_A].problems


@pytest.mark.parametrize('states, expected, chosen', [
    (['steady', 'standby_only_up'], None, 1),
    (['armed', 'steady'], None, 0),
    (['standby_only_up', 'standby_only_down'], None, 1),    # an outage first
    (['standby_only_down', 'armed'], ['standby_only_down'], 1),  # then the pair not as expected, even a working one
    (['armed', 'steady'], ['armed', 'steady'], 0),           # every pair as expected: the least healthy
    (['steady', 'steady'], ['armed'], 0),                    # a tie: the first
    (['primary_no_carrier', 'armed'], ['armed'], 0),
])
def test_headline_is_the_pair_furthest_from_the_expectation(states, expected, chosen):
    classifications = [Classification(S(state), mac=f'mac{i}') for i, state in enumerate(states)]
    assert headline(classifications, expected) is classifications[chosen]


def test_severity_orders_every_state():
    assert sorted(SEVERITY, key=lambda s: s.value) == sorted(GuestState, key=lambda s: s.value)


def test_classify_speaks_for_the_least_healthy_pair():
    c = classify(g.topology(g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'standby_only_up')))
    assert (c.state, c.master, c.mac) == (S.STANDBY_ONLY_UP, 'eth3', g.MAC_B)
    assert classify(g.topology(g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'standby_only_up')), macs=[g.MAC_A]).state == S.ARMED
    assert classify(g.topology(g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'steady')), master='eth3').state == S.STEADY


TWO_PAIRS = g.topology(g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'standby_only_up'), EXTRA_PCI_NIC)


@pytest.mark.parametrize('expected, macs, ok, state, parts, absent', [
    (['armed'], None, False, 'standby_only_up',
     [f'expected armed but on the guest on vm2 the pair eth3 ({g.MAC_B}) is standby_only_up: only the standby eth4 is enslaved',
      f'as expected: eth0 ({g.MAC_A}) is armed', 'NIC eth9 has MAC 52:54:00:aa:bb:cc, the failover master eth3 has'],
     [f'the pair eth0 ({g.MAC_A})']),
    (['armed'], [g.MAC_A], True, 'armed', ['the guest on vm2 is armed as expected: the primary eth2 carries traffic'], [g.MAC_B]),
    (['standby_only_up'], [g.MAC_B], True, 'standby_only_up', ['the guest on vm2 is standby_only_up as expected'], [g.MAC_A]),
    (['armed', 'standby_only_up'], None, True, 'standby_only_up',
     [f'every failover pair of the guest on vm2 is as expected (armed or standby_only_up): eth0 ({g.MAC_A}) is armed, '
      f'eth3 ({g.MAC_B}) is standby_only_up'], ['expected armed but']),
    (['steady'], None, False, 'standby_only_up',
     [f'the pair eth0 ({g.MAC_A}) is armed: ', f'the pair eth3 ({g.MAC_B}) is standby_only_up: ', 'virsh domif-setlink vm2 TAP down'],
     ['as expected:']),
])
def test_verify_every_pair(expected, macs, ok, state, parts, absent):
    result = verify(TWO_PAIRS, expected, domain='vm2', macs=macs)
    assert (result.ok, result.state.value, result.classification.state.value) == (ok, state, state)
    assert sorted(result.pairs) == sorted(macs or [g.MAC_A, g.MAC_B])
    for part in parts:
        assert part in result.message
    for part in absent:
        assert part not in result.message


def test_verify_accepts_classify_pairs_and_prefixes_problems_with_the_pair():
    topology = g.topology(g.pair(0, g.MAC_A, 'steady'), g.pair(1, g.MAC_B, 'steady'))
    topology['netdevs']['eth5']['mtu'] = 9000
    result = verify(classify_pairs(topology), ['steady'], domain='vm2', tap={g.MAC_A: 'vnet0', g.MAC_B: 'vnet4'})
    assert result.ok
    assert result.problems == (f'eth3 ({g.MAC_B}): the primary eth5 has MTU 9000, the failover master eth3 has 1500',)
    assert result.message.endswith('; also: ' + result.problems[0])
    armed = verify(classify_pairs(topology), ['armed'], domain='vm2', tap={g.MAC_A: 'vnet0', g.MAC_B: 'vnet4'})
    assert 'virsh domif-setlink vm2 vnet0 up' in armed.message and 'virsh domif-setlink vm2 vnet4 up' in armed.message


@pytest.mark.parametrize('before, after, legal', [
    (S.STEADY, S.ARMED, True),
    (S.ARMED, S.STEADY, True),
    (S.ARMED, S.STANDBY_ONLY_UP, True),
    (S.ARMED, S.PRIMARY_NO_CARRIER, True),
    (S.PRIMARY_NO_CARRIER, S.STANDBY_ONLY_UP, True),
    (S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER, True),
    (S.STANDBY_ONLY_UP, S.ARMED, True),
    (S.STANDBY_ONLY_DOWN, S.STANDBY_ONLY_UP, True),
    (S.PRIMARY_NOT_ENSLAVED, S.STANDBY_ONLY_UP, True),
    (S.MASTER_ADMIN_DOWN, S.STEADY, True),
    (S.STEADY, S.STANDBY_ONLY_DOWN, False),
    (S.STEADY, S.BOTH_DOWN, False),
    (S.STEADY, S.STANDBY_ONLY_UP, False),
    (S.ARMED, S.STANDBY_ONLY_DOWN, False),
    (S.STANDBY_ONLY_UP, S.STANDBY_ONLY_DOWN, False),
    (S.STANDBY_ONLY_UP, S.PRIMARY_NOT_ENSLAVED, False),
    (S.ARMED, S.MASTER_ADMIN_DOWN, False),
    (S.NOT_NEGOTIATED, S.STEADY, False),
    (S.STEADY, S.NOT_NEGOTIATED, False),
])
def test_legal_transition(before, after, legal):
    assert legal_transition(before, after) is legal


def test_staying_put_is_always_legal():
    assert all(legal_transition(state, state) for state in GuestState)


def test_no_legal_move_breaks_a_working_path():
    for before, after in itertools.product(GuestState, repeat=2):
        if legal_transition(before, after) and not is_outage(before):
            assert not is_outage(after), (before, after)


@pytest.mark.parametrize('state, outage', [
    (S.NOT_NEGOTIATED, False), (S.STANDBY_ONLY_UP, False), (S.STANDBY_ONLY_DOWN, True), (S.STEADY, False), (S.ARMED, False),
    (S.PRIMARY_NO_CARRIER, False), (S.BOTH_DOWN, True), (S.MASTER_ADMIN_DOWN, True), ('both_down', True),
])
def test_is_outage(state, outage):
    assert is_outage(state) is outage


def test_classification_outage_for_g7_follows_the_standby():
    c = Classification(S.PRIMARY_NOT_ENSLAVED, facts={'standby_ready': True})
    assert not is_outage(c) and is_outage(Classification(S.PRIMARY_NOT_ENSLAVED, facts={'standby_ready': False}))


def test_path_states_are_the_pairs_states_with_a_working_tx_path():
    from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import PATH_STATES
    assert set(PATH_STATES) == {S.STEADY, S.ARMED, S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER, S.PRIMARY_NOT_ENSLAVED}
    assert not any(is_outage(state) for state in PATH_STATES)
