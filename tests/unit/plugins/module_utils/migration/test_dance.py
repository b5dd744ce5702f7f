# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration dances as data: the steps chain, each module runs its own steps, and a wait judges the guest's moves."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import GuestState, is_outage, legal_transition
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration import fdb_steering
from ansible_collections.netfailover.standby.plugins.module_utils.migration.plan import plan
from ansible_collections.netfailover.standby.plugins.module_utils.migration.dance import (
    DANCES,
    MODULE_STEPS,
    expected_after,
    ready_for,
    step_expectation,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins import guest_samples as g

S = GuestState
FIXTURES = Path(__file__).parents[1] / 'fixtures' / 'topologies'
STEPS = [(variant, step) for variant, steps in sorted(DANCES.items()) for step in steps]
TWO_PAIRS = g.topology(g.pair(0, g.MAC_A, 'armed'), g.pair(1, g.MAC_B, 'standby_only_up'))


def load(name):
    return parse_sysfs_walk((FIXTURES / f'{name}.txt').read_text(encoding='utf-8'))


def test_ready_for_checks_the_pairs_asked_for():
    assert not ready_for('manual', 'primary_detach', TWO_PAIRS).ok
    assert ready_for('manual', 'primary_detach', TWO_PAIRS, macs=[g.MAC_A]).ok


@pytest.mark.parametrize('variant, step', STEPS, ids=lambda x: getattr(x, 'name', x))
def test_step_moves_are_legal(variant, step):
    assert expected_after(variant, step.name) == step.after
    for before, after in itertools.product(step.before, step.after):
        assert legal_transition(before, after), (before, after)
    for transient in step.transient:
        assert any(legal_transition(before, transient) for before in step.before), transient
        assert any(legal_transition(transient, after) for after in step.after), transient
    assert not any(is_outage(state) for state in step.before + step.after + step.transient)


@pytest.mark.parametrize('variant', sorted(DANCES))
def test_dance_steps_chain_from_steady_back_to_steady(variant):
    steps = DANCES[variant]
    assert S.STEADY in steps[0].before and steps[-1].after == (S.STEADY,)
    for current, following in zip(steps, steps[1:]):
        assert set(current.after) <= set(following.before), (current.name, following.name)


def test_manual_dance_follows_the_seed():
    # the seed's fdb_remove is the pin of standby_link_up; the VF's MAC is set on the destination before the plug
    assert [step.name for step in DANCES['manual']] == [
        'standby_link_up', 'primary_detach', 'vf_mac_clear', 'migrate', 'vf_mac_set', 'primary_attach', 'standby_link_down']
    assert fdb_steering.describe('manual', 'standby_link_up').startswith('pin the entry to the PF')
    assert S.PRIMARY_NO_CARRIER in DANCES['manual'][5].transient


def test_teaming_migration_refused_with_the_standby_link_down():
    result = ready_for('teaming', 'migrate', load('steady__eth_names'))
    assert not result.ok
    assert 'standby_only_down (outage) for the whole migration' in result.message
    assert ready_for('teaming', 'migrate', load('armed__eth_names')).ok


def test_unknown_step():
    with pytest.raises(KeyError):
        expected_after('manual', 'primary_replug')


def test_every_module_step_is_in_a_dance():
    assert {step for steps in MODULE_STEPS.values() for step in steps} <= set(dance.STEP_NAMES)
    assert dance.STEP_ARGUMENT_SPEC['step']['choices'] == dance.STEP_NAMES


@pytest.mark.parametrize('params, module, phase, states', [
    ({'step': 'standby_link_up', 'variant': 'manual', 'state': 'up'}, 'standby_link', 'after', ('armed',)),
    ({'step': 'standby_link_down', 'variant': 'teaming', 'state': 'down'}, 'standby_link', 'after', ('steady',)),
    ({'step': 'primary_detach', 'variant': 'manual', 'state': 'absent'}, 'primary_device', 'after', ('standby_only_up',)),
    ({'step': 'primary_replug', 'variant': 'teaming', 'state': 'present'}, 'primary_device', 'after', ('armed',)),
    ({'step': 'migrate', 'variant': 'manual'}, 'live_migrate', 'after', ('standby_only_up',)),
    ({'step': 'migrate', 'variant': 'teaming'}, 'live_migrate', 'after', ('standby_only_up', 'primary_no_carrier', 'armed')),
    ({'step': 'standby_link_up', 'variant': 'manual'}, None, 'before', ('steady', 'armed')),
    ({'step': None}, 'standby_link', 'after', None),
])
def test_step_expectation_reads_the_dance(params, module, phase, states):
    found = step_expectation(params, module, phase=phase)
    assert (found.states if found else None) == states


@pytest.mark.parametrize('params, module, message', [
    ({'step': 'primary_replug', 'variant': 'manual', 'state': 'present'}, 'primary_device', 'the manual dance has no step primary_replug'),
    ({'step': 'migrate', 'variant': 'manual', 'state': 'up'}, 'standby_link', 'is not a step of this module; it runs standby_link_down'),
    ({'step': 'primary_detach', 'variant': 'manual', 'state': 'present'}, 'primary_device', 'primary_detach is state=absent'),
    ({'step': 'standby_link_up', 'variant': 'manual', 'state': 'up', 'verify_states': ['armed']}, 'standby_link', 'remove verify_states'),
])
def test_step_expectation_refuses_what_does_not_fit(params, module, message):
    with pytest.raises(LibvirtCollectionError, match=message):
        step_expectation(params, module)


def _reader(*states):
    """A guest that shows one pair in these states, one per read (the last one stays)."""
    reads = iter(states)
    last = []

    def read():
        state = next(reads, None)
        last[:] = [state] if state else last
        return g.topology(g.pair(0, g.MAC_A, last[0]))
    return read


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _observe(step, variant, *states, timeout=30.0):
    expectation = step_expectation({'step': step, 'variant': variant})
    clock = FakeClock()
    return guest_failover.observe(_reader(*states), expect=list(expectation.states), timeout=timeout, interval=0.25, clock=clock,
                                  sleep=clock.sleep, allows=expectation.allows, start=expectation.start), clock


def test_a_move_the_step_allows_is_recorded():
    result, _clock = _observe('primary_attach', 'manual', 'standby_only_up', 'primary_no_carrier', 'armed')
    assert result['state'] == 'armed'
    assert [(move['from'], move['to']) for move in result['transitions']] == [
        (None, 'standby_only_up'), ('standby_only_up', 'primary_no_carrier'), ('primary_no_carrier', 'armed')]


def test_a_refused_move_stops_the_wait_at_once_with_the_diagnostic():
    # the standby link went down while the VF was being detached: an outage no step allows
    with pytest.raises(LibvirtCollectionError) as raised:
        _observe('primary_detach', 'manual', 'armed', 'both_down', 'both_down')
    error = raised.value
    assert 'moved from armed to both_down, which the state machine does not allow' in error.message
    assert 'set the standby link up' in error.message  # the state machine's advice for both_down
    assert error.result['reads'] == 3 and error.result['elapsed_seconds'] < 1  # not the 30 s timeout


def test_one_read_mid_change_is_not_a_refusal():
    # a VF's netdev caught an instant before net_failover enslaves it (primary_not_enslaved), then armed
    result, _clock = _observe('primary_attach', 'manual', 'standby_only_up', 'primary_not_enslaved', 'armed')
    assert result['state'] == 'armed'


def test_a_first_read_the_step_cannot_start_from_counts_as_a_move():
    with pytest.raises(LibvirtCollectionError, match='moved from steady to standby_only_down'):
        _observe('standby_link_up', 'manual', 'standby_only_down', 'standby_only_down')


def test_without_a_step_the_wait_runs_to_its_timeout():
    clock = FakeClock()
    with pytest.raises(LibvirtCollectionError, match='waited 2.0 s'):
        guest_failover.observe(_reader('both_down'), expect=['armed'], timeout=2.0, interval=0.25, clock=clock, sleep=clock.sleep)


PAIRS = [{'mac': g.MAC_A, 'standby_alias': 'ua-standby0', 'primary_alias': 'ua-primary0', 'source_vf': '0000:3b:02.1',
          'destination_vf': '0000:3b:02.5'},
         {'mac': g.MAC_B, 'standby_alias': 'ua-standby1', 'primary_alias': 'ua-pool1', 'source_vf': '', 'destination_vf': ''}]


def test_plan_lists_each_step_with_its_host_pairs_states_and_fdb_move():
    steps = plan('manual', PAIRS, 'hv1', 'hv2', fdb=True)
    assert [(s['step'], s['host']) for s in steps] == [
        ('standby_link_up', 'hv1'), ('primary_detach', 'hv1'), ('vf_mac_clear', 'hv1'), ('migrate', 'hv1 -> hv2'),
        ('vf_mac_set', 'hv2'), ('primary_attach', 'hv2'), ('standby_link_down', 'hv2')]
    by_name = {s['step']: s for s in steps}
    assert [p['vf'] for p in by_name['vf_mac_clear']['pairs']] == ['0000:3b:02.1']  # the pool's VF has no MAC to clear
    assert [p['vf'] for p in by_name['primary_attach']['pairs']] == ['0000:3b:02.5', None]
    assert by_name['primary_attach']['expect'] == ['armed'] and by_name['standby_link_down']['expect'] == ['steady']
    assert by_name['primary_detach']['fdb'].startswith("point the entry at the standby's tap")


def test_plan_without_fdb_steering_or_standby_release():
    steps = plan('teaming', PAIRS[:1], 'hv1', 'hv2', keep_standby_up=True, fdb=False)
    assert [s['step'] for s in steps] == ['standby_link_up', 'migrate', 'primary_replug']
    assert all(s['fdb'] is None for s in steps)
