# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where each step of a dance points the bridge FDB entry of a pair's MAC, and when: the one steering policy.

The guest takes inbound frames only through the path it uses: through the standby until it enslaves the VF, through the
VF from then on (net_failover's RX handler drops what the standby brings meanwhile). The entry is pinned (static,
sticky) to the PF's bridge port while the standby link is up, moved to the standby's tap the moment the guest releases
the VF, back to the PF on the first guest read that shows the VF enslaved, and unpinned once the standby link is down.
A step module given ``step`` and ``fdb_pf`` reads its move here (step_fdb_entry); the role passes the PF port only.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.netfailover.standby.plugins.module_utils.host.bridge_fdb import pinned_entry, standby_tap
from ansible_collections.netfailover.standby.plugins.module_utils.migration.dance import step_expectation
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

# port: 'pf' (the PF's bridge port, fdb_pf) or 'tap' (the pair's standby tap); state: present (pinned there) or absent
# (unpinned); when: before the step's change, when the guest releases the VF, when it enslaves the VF, after the change.
FdbMove = namedtuple('FdbMove', 'port state when')
PIN_TO_PF = FdbMove('pf', 'present', 'before')
TO_TAP_ON_RELEASE = FdbMove('tap', 'present', 'release')
TO_PF_ON_ENSLAVE = FdbMove('pf', 'present', 'enslave')
UNPIN = FdbMove('pf', 'absent', 'after')

POLICY = {
    ('manual', 'standby_link_up'): (PIN_TO_PF,),
    ('manual', 'primary_detach'): (TO_TAP_ON_RELEASE,),
    ('manual', 'primary_attach'): (TO_PF_ON_ENSLAVE,),
    ('manual', 'standby_link_down'): (UNPIN,),
    ('teaming', 'standby_link_up'): (PIN_TO_PF,),
    # the source's entry: to the tap when QEMU's unplug releases the VF, unpinned after the move
    ('teaming', 'migrate'): (TO_TAP_ON_RELEASE, UNPIN),
    # the destination's entry: learnt on the standby's tap from QEMU's announcement on arrival (the guest's path until
    # it enslaves the VF QEMU plugs back), pinned to the PF the moment the VF's netdev appears; the step runs from
    # before the migration (an async task), so that it watches from the arrival on
    ('teaming', 'primary_replug'): (TO_PF_ON_ENSLAVE,),
    ('teaming', 'standby_link_down'): (UNPIN,),
}

_TEXT = {
    PIN_TO_PF: "pin the entry to the PF (static, sticky) before the change: the standby's link-up announcement would teach the "
               "bridge the standby's tap, where the guest drops frames while the VF is enslaved",
    TO_TAP_ON_RELEASE: "point the entry at the standby's tap the moment the guest releases the VF",
    TO_PF_ON_ENSLAVE: "point the entry at the PF on the first guest read that shows the VF enslaved (the guest drops what the standby brings from then on)",
    UNPIN: 'unpin the entry: the bridge learns the MAC as usual',
}


# The options of the step modules that move an entry (their own docs say what fdb_port means for each).
FDB_ARGUMENT_SPEC = {
    'fdb_mac': {'type': 'str'},
    'fdb_port': {'type': 'str'},
    'fdb_pf': {'type': 'str'},
}


def moves(variant, step):
    """The FDB moves of a step, in order; () when the step steers nothing."""
    return POLICY.get((variant, step), ())


def describe(variant, step):
    """What a step does to the entry, for the plan; None when nothing."""
    found = moves(variant, step)
    return '; then '.join(_TEXT[move] for move in found) or None


def step_fdb_entry(ansible_module, domain, params, module_name, state=None):
    """The bridge_fdb.FdbEntry a step module moves, or None. With ``fdb_pf`` the policy decides the port and the state
    from ``step`` and ``variant`` (the PF, or the standby's tap with ``fdb_mac`` in the domain's live XML); with
    ``fdb_port`` the caller's port and ``state`` are used as given (a module run by hand)."""
    mac = params.get('fdb_mac')
    if not mac:
        return None
    if params.get('fdb_pf') and params.get('fdb_port'):
        raise LibvirtCollectionError('Give fdb_pf (the dance steers the entry) or fdb_port (a port of your own), not both.')
    if not params.get('fdb_pf'):
        if not params.get('fdb_port'):
            raise LibvirtCollectionError('fdb_mac needs fdb_pf (with step) or fdb_port: where the entry goes. Nothing was changed.')
        return pinned_entry(ansible_module, mac, params['fdb_port'], state or 'present')
    expectation = step_expectation(params, module_name)
    if expectation is None:
        raise LibvirtCollectionError('fdb_pf steers the entry by the dance: give step (and variant), or give fdb_port for a port of '
                                     'your own. Nothing was changed.')
    found = moves(expectation.variant, expectation.step.name)
    if not found:
        return None
    move = found[0]  # a module makes a step's first move; a later one (the source's unpin after a teaming move) is a task
    port = params['fdb_pf'] if move.port == 'pf' else standby_tap(domain, mac.lower())
    return pinned_entry(ansible_module, mac, port, move.state)
