# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The guest's net_failover state machine (states G0..G8 of failover-facts.md section 1.8).

Pure Python: classify a topology from guest_topology, each failover pair on its own (master, standby and primary
joined by MAC), check transitions, and verify the observed states in operator terms. NICs of other MACs belong to no
pair: they never make a pair's state. The migration dances, which say what each step expects: migration/dance.py.
"""

from __future__ import annotations

import enum
from collections import namedtuple
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Optional

from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import describe_failover_roles


class GuestState(enum.Enum):
    NOT_NEGOTIATED = 'not_negotiated'
    STANDBY_ONLY_UP = 'standby_only_up'
    STANDBY_ONLY_DOWN = 'standby_only_down'
    STEADY = 'steady'
    ARMED = 'armed'
    PRIMARY_NO_CARRIER = 'primary_no_carrier'
    BOTH_DOWN = 'both_down'
    PRIMARY_NOT_ENSLAVED = 'primary_not_enslaved'
    MASTER_ADMIN_DOWN = 'master_admin_down'


S = GuestState

# carries_traffic: is there a TX path? None = only if the standby is xmit ready (G7).
StateInfo = namedtuple('StateInfo', 'code tx_path rx_path carries_traffic description')
STATE_INFO = {
    S.NOT_NEGOTIATED: StateInfo('G0', 'virtio', 'virtio', True, 'STANDBY not negotiated: a plain virtio NIC, no failover master'),
    S.STANDBY_ONLY_UP: StateInfo('G1', 'standby', 'standby', True, 'only the standby is enslaved and it has carrier: traffic on virtio'),
    S.STANDBY_ONLY_DOWN: StateInfo('G2', 'none', 'none', False, 'only the standby is enslaved and it has no carrier: outage'),
    S.STEADY: StateInfo('G3', 'primary', 'primary', True, 'the primary carries traffic, the standby link is down (steady state)'),
    S.ARMED: StateInfo('G4', 'primary', 'primary', True, 'the primary carries traffic, the standby link is up (armed)'),
    S.PRIMARY_NO_CARRIER: StateInfo('G5', 'standby', 'none', True, 'primary enslaved without carrier: TX on the standby, RX blind spot'),
    S.BOTH_DOWN: StateInfo('G6', 'none', 'none', False, 'neither slave can transmit: outage'),
    S.PRIMARY_NOT_ENSLAVED: StateInfo('G7', 'standby', 'standby', None, "a NIC with the pair's MAC is present but not enslaved"),
    S.MASTER_ADMIN_DOWN: StateInfo('G8', 'none', 'none', False, 'the failover master is administratively down'),
}

# (primary enslaved, primary xmit ready, standby xmit ready) -> state, once G0, G8 and G7 are ruled out.
_SLAVE_STATES = {
    (False, False, True): S.STANDBY_ONLY_UP,
    (False, False, False): S.STANDBY_ONLY_DOWN,
    (True, True, False): S.STEADY,
    (True, True, True): S.ARMED,
    (True, False, True): S.PRIMARY_NO_CARRIER,
    (True, False, False): S.BOTH_DOWN,
}
# The guest drops frames that arrive on the standby from the moment it enslaves a primary (RX_HANDLER_EXACT):
# in these states inbound traffic must go to the primary's path.
PRIMARY_ENSLAVED_STATES = frozenset(state for (enslaved, _p, _s), state in _SLAVE_STATES.items() if enslaved)

# The states of a failover pair with a path for the guest's traffic (a rollback that keeps a guest on its standby
# waits for one); G7 counts while its standby carries the traffic, which verify() checks per pair.
PATH_STATES = tuple(state for state in GuestState
                    if state is not GuestState.NOT_NEGOTIATED and STATE_INFO[state].carries_traffic is not False)

# Moves one guest event can make without breaking the TX path, plus recoveries out of an outage
# (and moves between outage states, which make nothing worse). Staying put is always legal.
LEGAL_TRANSITIONS = {
    S.NOT_NEGOTIATED: frozenset(),
    S.STEADY: frozenset({S.ARMED}),
    S.ARMED: frozenset({S.STEADY, S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER}),
    S.STANDBY_ONLY_UP: frozenset({S.ARMED, S.PRIMARY_NO_CARRIER}),
    S.PRIMARY_NO_CARRIER: frozenset({S.ARMED, S.STANDBY_ONLY_UP}),
    S.STANDBY_ONLY_DOWN: frozenset({S.STANDBY_ONLY_UP, S.STEADY, S.BOTH_DOWN}),
    S.BOTH_DOWN: frozenset({S.STEADY, S.PRIMARY_NO_CARRIER, S.STANDBY_ONLY_DOWN}),
    S.PRIMARY_NOT_ENSLAVED: frozenset({S.STANDBY_ONLY_UP}),
    S.MASTER_ADMIN_DOWN: frozenset(set(GuestState) - {S.NOT_NEGOTIATED}),
}


def legal_transition(from_state, to_state):
    return from_state == to_state or to_state in LEGAL_TRANSITIONS[from_state]


def xmit_ready(netdev):
    """net_failover's test for a usable slave: running (IFF_UP here) with carrier."""
    return bool(netdev and netdev['admin_up'] and netdev['carrier'])


@dataclass
class Classification:  # pylint: disable=too-many-instance-attributes
    """The state of one failover pair (master, standby, primary joined by ``mac``), or of a guest without one."""
    state: GuestState
    master: Optional[str] = None
    standby: Optional[str] = None
    primary: Optional[str] = None
    orphans: tuple = ()
    problems: tuple = ()
    facts: dict = field(default_factory=dict)
    mac: Optional[str] = None

    @property
    def outage(self):
        carries = STATE_INFO[self.state].carries_traffic
        return not self.facts.get('standby_ready') if carries is None else not carries

    def as_dict(self):
        return {'state': self.state.value, 'code': STATE_INFO[self.state].code, 'outage': self.outage,
                'description': STATE_INFO[self.state].description, 'mac': self.mac, 'master': self.master, 'standby': self.standby,
                'primary': self.primary, 'orphans': list(self.orphans), 'problems': list(self.problems), 'facts': self.facts}

    def summary(self):
        """The pair's entry in a module's ``pairs`` result."""
        return {'mac': self.mac, 'master': self.master, 'standby': self.standby, 'primary': self.primary, 'state': self.state.value,
                'code': STATE_INFO[self.state].code, 'outage': self.outage, 'orphans': list(self.orphans),
                'problems': list(self.problems)}


def is_outage(state_or_classification):
    """True when the guest has no TX path. For G7 only a Classification knows (it depends on the standby)."""
    if isinstance(state_or_classification, Classification):
        return state_or_classification.outage
    return STATE_INFO[GuestState(state_or_classification)].carries_traffic is False


_NIC_FACT_KEYS = ('name', 'address', 'perm_address', 'admin_up', 'carrier', 'operstate', 'mtu', 'driver', 'subsystem', 'device')


def _nic_facts(netdev):
    if not netdev:
        return None
    facts = {key: netdev[key] for key in _NIC_FACT_KEYS}
    facts['xmit_ready'] = xmit_ready(netdev)
    return facts


def _slave_problems(netdevs, pair):
    master = netdevs[pair['master']]
    problems = []
    if not pair['standby']:
        problems.append(f"the failover master {pair['master']} has no standby slave")
    for role in ('standby', 'primary'):
        nd = netdevs.get(pair[role] or '')
        if not nd:
            continue
        if nd['admin_up'] is False and master['admin_up']:  # closing the master closes the slaves too
            problems.append(f"the {role} {nd['name']} is administratively down: net_failover cannot use it; "
                            f"bring it up in the guest (ip link set {nd['name']} up)")
        if nd['mtu'] and master['mtu'] and nd['mtu'] != master['mtu']:
            problems.append(f"the {role} {nd['name']} has MTU {nd['mtu']}, the failover master {master['name']} has {master['mtu']}")
    primary = netdevs.get(pair['primary'] or '')
    if primary and primary['perm_address'] and primary['perm_address'] != master['address']:
        problems.append(f"the primary {primary['name']} has permanent MAC {primary['perm_address']}, the failover master has {master['address']}")
    if primary:
        for name in pair['orphans']:
            problems.append(f"NIC {name} has the failover master's MAC {master['address']} but is not enslaved (a second primary?)")
    return problems


def _guest_facts(topology, roles):
    """What every classification of one guest carries: its host name, failover masters, plain virtio NICs, unrelated NICs."""
    netdevs = topology['netdevs']
    return {'hostname': topology.get('hostname'), 'failover_masters': [p['master'] for p in roles['pairs']],
            'virtio_nics': [{'name': n, 'address': netdevs[n]['address'], 'standby_feature': netdevs[n]['standby_feature']}
                            for n in roles['virtio_nics']],
            'unrelated': [_nic_facts(netdevs[n]) for n in roles['unrelated']]}


def _classify_pair(netdevs, pair, guest_facts):
    problems = _slave_problems(netdevs, pair)
    m_nd, s_nd, p_nd = (netdevs.get(pair[role] or '') for role in ('master', 'standby', 'primary'))
    facts = dict(guest_facts, mac=pair['mac'], master=_nic_facts(m_nd), standby=_nic_facts(s_nd), primary=_nic_facts(p_nd),
                 orphans=[_nic_facts(netdevs[o]) for o in pair['orphans']], standby_ready=xmit_ready(s_nd),
                 primary_ready=xmit_ready(p_nd), master_tx_dropped=m_nd['tx_dropped'])
    if m_nd['admin_up'] is False:
        state = S.MASTER_ADMIN_DOWN
    elif p_nd is None and pair['orphans']:
        state = S.PRIMARY_NOT_ENSLAVED
    else:
        state = _SLAVE_STATES[(p_nd is not None, xmit_ready(p_nd), xmit_ready(s_nd))]
    return Classification(state, pair['master'], pair['standby'], pair['primary'], tuple(pair['orphans']), tuple(problems), facts,
                          pair['mac'])


def _no_pair(guest_facts, roles, mac=None, master=None):
    """not_negotiated: the guest has no failover master (with ``mac``: none with that MAC; with ``master``: none of that name)."""
    nics = [n for n in guest_facts['virtio_nics'] if mac is None or n['address'] == mac]
    problems = [f"STANDBY (virtio feature bit 62) is not negotiated on {n['name']}" for n in nics if not n['standby_feature']]
    if master:
        problems.append(f'no failover master named {master}')
    if mac and not nics and roles['pairs']:
        problems.append('the failover pairs of the guest: ' + ', '.join(f"{p['master']} ({p['mac']})" for p in roles['pairs']))
    return Classification(S.NOT_NEGOTIATED, problems=tuple(problems), facts=dict(guest_facts, virtio_nics=nics, mac=mac), mac=mac)


def normalise_macs(macs):
    """Lower-case MACs without repeats, in the given order; None for none (every pair)."""
    return list(dict.fromkeys(mac.strip().lower() for mac in macs)) if macs else None


def classify_pairs(topology, macs=None, ignore=()):
    """Classify each failover pair of the guest on its own: {MAC: Classification}, in the order of the masters' names.

    A pair is a failover master, its standby and its primary, joined by the master's MAC; a NIC with that MAC (or permanent
    MAC) that is not enslaved is the pair's orphan (primary_not_enslaved). NICs of other MACs belong to no pair and are
    listed as ``unrelated`` in the facts. With ``macs`` only those pairs, in that order; a MAC the guest has no failover
    master for is not_negotiated. A guest without any failover master gives {} (see classify). ``ignore`` names NICs that
    are never taken for an orphan.
    """
    roles = describe_failover_roles(topology, ignore)
    guest_facts = _guest_facts(topology, roles)
    found = {}
    for pair in roles['pairs']:
        key = pair['mac'] or pair['master']
        if key in found:
            first = found[key]
            found[key] = replace(first, problems=first.problems + (
                f"the failover masters {first.master} and {pair['master']} have the same MAC {key}: only {first.master} is classified",))
            continue
        found[key] = _classify_pair(topology['netdevs'], pair, guest_facts)
    wanted = normalise_macs(macs)
    if wanted is None:
        return found
    return {mac: found[mac] if mac in found else _no_pair(guest_facts, roles, mac=mac) for mac in wanted}


# How far a pair is from the steady state, least first: the order headline() uses on a tie of the rest.
SEVERITY = (S.STEADY, S.ARMED, S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER, S.PRIMARY_NOT_ENSLAVED, S.NOT_NEGOTIATED,
            S.STANDBY_ONLY_DOWN, S.BOTH_DOWN, S.MASTER_ADMIN_DOWN)


def headline(classifications, expected_states=None):
    """The classification that speaks for several pairs (a module's top-level ``state``): the pair furthest from
    ``expected_states``. A pair not in them comes before one that is, an outage before a working path, then the order of
    SEVERITY; the first pair on a tie. None when there is none."""
    wanted = _as_states(expected_states) if expected_states else ()
    chosen, chosen_key = None, None
    for classification in classifications:
        key = (bool(wanted) and classification.state not in wanted, classification.outage, SEVERITY.index(classification.state))
        if chosen is None or key > chosen_key:
            chosen, chosen_key = classification, key
    return chosen


def classify(topology, master=None, ignore=(), macs=None):
    """Classify a topology into one Classification: the only pair's, or with several the least healthy (headline).

    ``master`` (a master's name) or ``macs`` pick pairs; ``ignore`` names NICs that are never taken for a VF. A guest with
    no failover master (or none picked) is not_negotiated. Use classify_pairs for every pair."""
    pairs = classify_pairs(topology, macs, ignore)
    if master:
        pairs = {mac: c for mac, c in pairs.items() if c.master == master}
    if pairs:
        return headline(pairs.values())
    roles = describe_failover_roles(topology, ignore)
    return _no_pair(_guest_facts(topology, roles), roles, master=master)


# ---- Operator messages, one builder per observed state --------------------------------------------

def _cause(nic):
    return 'is administratively down' if nic and nic['admin_up'] is False else 'has no carrier'


def _msg_not_negotiated(c, _ctx):
    nics = c.facts['virtio_nics']
    missing = ', '.join(n['name'] for n in nics if not n['standby_feature'])
    if missing:
        return (f'STANDBY (VIRTIO_NET_F_STANDBY, virtio feature bit 62) was not negotiated by the guest on {missing}: the guest kernel '
                "lacks net_failover or the NIC lacks <teaming type='persistent'/> / failover=on")
    if nics:
        return (f"{', '.join(n['name'] for n in nics)} negotiated STANDBY but no failover master exists: "
                "net_failover did not create it; check the guest's dmesg for 'failover'")
    if c.mac:
        return (f"the guest has no failover master and no virtio-net NIC with MAC {c.mac}: check the MAC (the standby's, "
                'as in the domain definition)')
    return 'the guest has no failover master and no virtio-net NIC: STANDBY mode needs a virtio-net NIC'


def _msg_orphan(orphan, master):
    name, m_name, m_mac = orphan['name'], master['name'], master['address']
    if orphan['subsystem'] != 'pci':
        return (f"NIC {name} has the failover master {m_name}'s MAC {m_mac} but sits on the {orphan['subsystem']} bus: "
                'net_failover only takes a PCI device as primary')
    return (f"NIC {name} has the failover master {m_name}'s MAC {m_mac} but was not enslaved: its permanent MAC (ethtool -P) "
            "may differ (a MAC set inside the guest does not count) or the MTU/VLAN checks failed; check the guest's dmesg for 'failover'")


def _hint_unrelated(c):
    """For a pair without a primary: the PCI NICs of other MACs, in case one is its VF attached with a wrong MAC."""
    if c.state not in (S.STANDBY_ONLY_UP, S.STANDBY_ONLY_DOWN) or not c.master:
        return ''
    return ''.join(
        f"; NIC {nic['name']} has MAC {nic['address']}, the failover master {c.master} has {c.mac}, so it belongs to no failover "
        f"pair: if it is the VF attached for {c.master}, the VF was not enslaved; set the VF MAC on the PF before attaching it"
        for nic in c.facts.get('unrelated') or () if nic['subsystem'] == 'pci')


def _msg_primary_not_enslaved(c, _ctx):
    text = '; '.join(_msg_orphan(o, c.facts['master']) for o in c.facts['orphans'])
    if c.facts['standby_ready']:
        return f'{text}; traffic goes over the standby {c.standby} meanwhile'
    return f"{text}; the standby {c.standby} {_cause(c.facts['standby'])}, so the guest has no network path (outage)"


def _msg_standby_only_down(c, ctx):
    return (f"the standby {c.standby} {_cause(c.facts['standby'])} and no primary is enslaved: the guest has no network path (outage); "
            f"set the standby link up (virsh domif-setlink {ctx['domain']} {ctx['tap']} up) or re-attach the VF")


def _msg_both_down(c, ctx):
    return (f"neither the primary {c.primary} ({_cause(c.facts['primary'])}) nor the standby {c.standby} ({_cause(c.facts['standby'])}) "
            f"can transmit: the guest has no network path (outage); set the standby link up (virsh domif-setlink {ctx['domain']} "
            f"{ctx['tap']} up) and check the VF and PF link")


def _msg_primary_no_carrier(c, _ctx):
    return (f"the primary {c.primary} is enslaved but {_cause(c.facts['primary'])}: TX goes over the standby {c.standby}, but inbound "
            'frames on the standby are discarded while a primary is enslaved (RX blind spot); wait for the VF link, check the PF link '
            'and the VF link-state, or detach the VF')


_MESSAGES = {
    S.NOT_NEGOTIATED: _msg_not_negotiated,
    S.MASTER_ADMIN_DOWN: lambda c, ctx: f'the failover master {c.master} is administratively down: bring it up in the guest (ip link set {c.master} up)',
    S.PRIMARY_NOT_ENSLAVED: _msg_primary_not_enslaved,
    S.STANDBY_ONLY_DOWN: _msg_standby_only_down,
    S.BOTH_DOWN: _msg_both_down,
    S.PRIMARY_NO_CARRIER: _msg_primary_no_carrier,
    S.STANDBY_ONLY_UP: lambda c, ctx: (f'only the standby {c.standby} is enslaved and it has carrier: traffic goes over virtio; '
                                       'attach the VF to get the primary path back'),
    S.STEADY: lambda c, ctx: (f'the primary {c.primary} carries traffic and the standby {c.standby} has no carrier (steady state); '
                              f"set the standby link up (virsh domif-setlink {ctx['domain']} {ctx['tap']} up) before removing the primary"),
    S.ARMED: lambda c, ctx: (f'the primary {c.primary} carries traffic and the standby {c.standby} has carrier too (armed); '
                             f"the primary can be removed, or set the standby link down (virsh domif-setlink {ctx['domain']} {ctx['tap']} down)"),
}

Verification = namedtuple('Verification', 'ok state message problems classification pairs', defaults=(None,))


def _as_states(expected):
    if isinstance(expected, (GuestState, str)):
        expected = (expected,)
    return tuple(GuestState(state) for state in expected)


def _checked(subject, macs, ignore):
    """The classifications verify() checks: one per pair, or the guest's own when it has no failover pair."""
    if isinstance(subject, Classification):
        return [subject]
    if 'netdevs' in subject:  # a topology
        return list(classify_pairs(subject, macs, ignore).values()) or [classify(subject, ignore=ignore)]
    if not subject:
        raise ValueError('verify() needs a topology, a Classification or a non-empty {mac: Classification}')
    return list(subject.values())


def _pair_name(c):
    return f'{c.master} ({c.mac})' if c.master else f'MAC {c.mac}'


def _text(c, domain, tap, several):
    """The state's message for one pair; ``tap`` may map MACs to the standbys' taps (a single tap names one pair's)."""
    tap = tap.get(c.mac, 'TAP') if isinstance(tap, Mapping) else ('TAP' if several else tap)
    return _MESSAGES[c.state](c, {'domain': domain, 'tap': tap})


def verify(subject, expected_states, domain='DOMAIN', tap='TAP', macs=None, ignore=()):
    """Check that every failover pair is in one of expected_states; the message says what is wrong and what to do.

    ``subject``: a topology (every pair, or the pairs of ``macs``; a guest without a failover pair is checked as
    not_negotiated), a Classification (one pair), or a {mac: Classification} from classify_pairs. The message names every
    pair that is not as expected. ``state`` and ``classification`` are the headline pair's (see headline); ``pairs`` maps
    the MACs checked to their classifications.
    """
    wanted = _as_states(expected_states)
    checked = _checked(subject, macs, ignore)
    lead = headline(checked, wanted)
    pairs = {c.mac: c for c in checked if c.mac or c.master}
    bad = [c for c in checked if c.state not in wanted]
    expected = ' or '.join(s.value for s in wanted)
    host = lead.facts.get('hostname')
    if len(checked) == 1:
        text = _text(lead, domain, tap, False)
        if bad:
            message = f'expected {expected} but the guest on {host} is {lead.state.value}: {text}{_hint_unrelated(lead)}'
        else:
            message = f'the guest on {host} is {lead.state.value} as expected: {text}'
        problems = lead.problems
    else:
        good = ', '.join(f'{_pair_name(c)} is {c.state.value}' for c in checked if c.state in wanted)
        if bad:
            message = f'expected {expected} but on the guest on {host} ' + '; '.join(
                f'the pair {_pair_name(c)} is {c.state.value}: {_text(c, domain, tap, True)}{_hint_unrelated(c)}' for c in bad)
            message += f'; as expected: {good}' if good else ''
        else:
            message = f'every failover pair of the guest on {host} is as expected ({expected}): {good}'
        problems = tuple(f'{_pair_name(c)}: {problem}' for c in checked for problem in c.problems)
    if problems:
        message += '; also: ' + '; '.join(problems)
    return Verification(not bad, lead.state, message, tuple(problems), lead, pairs)
