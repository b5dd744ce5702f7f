# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan check mode shows: the dance (dance.py) and its FDB moves (fdb_steering.py) for a VM's pairs."""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration import fdb_steering


def plan(variant, pairs, source, destination, keep_standby_up=False, fdb=False):
    """The dance for these pairs, as check mode shows it: each step with its host, the pairs it moves, the guest state
    expected after it, what it does and where it steers the FDB entry (``fdb``: the role steers it, given a PF port).

    ``pairs``: the role's plan entries (mac, standby_alias, primary_alias, source_vf, destination_vf, kind).
    """
    hosts = {'source': source, 'destination': destination}
    steps = []
    for step in dance.DANCES[variant]:
        if (step.only == 'release_standby' and keep_standby_up) or (step.only == 'fdb' and not fdb):
            continue
        moved = [pair for pair in pairs if step.only != 'fixed_vf' or pair.get('source_vf' if step.host == 'source' else 'destination_vf')]
        if not moved:
            continue
        steps.append({
            'step': step.name,
            'host': hosts[step.host] if step.name != 'migrate' else f'{source} -> {destination}',
            'pairs': [{'mac': pair.get('mac'), 'standby': pair.get('standby_alias'), 'primary': pair.get('primary_alias'),
                       'vf': pair.get('destination_vf' if step.host == 'destination' else 'source_vf') or None} for pair in moved],
            'expect': [state.value for state in step.after],
            'does': step.text,
            'fdb': fdb_steering.describe(variant, step.name) if fdb else None,
        })
    return steps
