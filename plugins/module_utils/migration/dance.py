# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two migration dances as data: their steps, the guest states each step starts from, passes through and ends in.

The one place that says what a step expects. A step module takes the step's name (options ``step`` and ``variant``,
STEP_ARGUMENT_SPEC) and reads here which states to wait for and which observed moves the step allows; the migrate role
names steps, never states. Adding a step or a variant is one edit of DANCES (and of MODULE_STEPS when a module runs it).
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import (
    GuestState,
    legal_transition,
    verify,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

S = GuestState

Step = namedtuple('Step', 'name before after transient text precondition optional host only')


def _step(name, before, after, text, transient=(), precondition='', optional=False, host='source', only=''):
    """One step: the states it starts from (``before``), passes through (``transient``) and ends in (``after``); the
    hypervisor it runs on; ``only``: a condition of the plan (fixed_vf: a VF at a fixed host PCI address; release_standby: the standby
    link goes down at the end, not with migrate_keep_standby_up; fdb: the role steers FDB entries)."""
    return Step(name, tuple(before), tuple(after), tuple(transient), text, precondition, optional, host, only)


_STANDBY_UP = _step('standby_link_up', (S.STEADY, S.ARMED), (S.ARMED,),
                    'set the standby link up (virsh domif-setlink DOMAIN TAP up; name the tap, the MAC is shared)', transient=(S.STEADY,))
_STANDBY_DOWN = _step('standby_link_down', (S.ARMED,), (S.STEADY,),
                      'set the standby link down (virsh domif-setlink DOMAIN TAP down); TX stays on the primary', transient=(S.ARMED,),
                      host='destination', only='release_standby')
# A plugged VF's netdev registers an instant before net_failover enslaves it: one read may catch primary_not_enslaved
# (G7), which no step allows (a VF with a wrong MAC stays there); the two-reads rule of guest/failover.observe lets it pass.
_PLUG_TRANSIENT = (S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER)

DANCES = {
    # The seed's dance (kernel Documentation/networking/net_failover.rst), as the collection performs it: the seed's
    # "bridge fdb del" becomes the pin of standby_link_up, and the VF's MAC is set on the destination before the plug.
    'manual': (
        _STANDBY_UP,
        _step('primary_detach', (S.ARMED,), (S.STANDBY_ONLY_UP,),
              'detach the VF (virsh detach-device-alias DOMAIN ALIAS --live) and wait for DEVICE_REMOVED',
              transient=(S.ARMED, S.PRIMARY_NO_CARRIER), precondition='the standby link is up, or the guest loses its path'),
        _step('vf_mac_clear', (S.STANDBY_ONLY_UP,), (S.STANDBY_ONLY_UP,),
              'zero the VF MAC on the source PF (ip link set PF vf N mac 00:00:00:00:00:00), only after DEVICE_REMOVED', only='fixed_vf'),
        _step('migrate', (S.STANDBY_ONLY_UP,), (S.STANDBY_ONLY_UP,),
              'live-migrate the domain; the guest now runs on the destination, still on the standby'),
        _step('vf_mac_set', (S.STANDBY_ONLY_UP,), (S.STANDBY_ONLY_UP,),
              "set the guest's MAC on the destination VF (ip link set PF vf N mac MAC) before it is plugged", host='destination',
              only='fixed_vf'),
        _step('primary_attach', (S.STANDBY_ONLY_UP,), (S.ARMED,),
              'attach the destination VF (virsh attach-device DOMAIN vf.xml --live) and wait until it is enslaved with carrier',
              transient=_PLUG_TRANSIENT, host='destination',
              precondition="the VF MAC on the destination PF equals the guest's MAC, or it is not enslaved (primary_not_enslaved)"),
        _STANDBY_DOWN,
    ),
    # libvirt <teaming>: QEMU unplugs the primary at migration setup and re-plugs it on the destination.
    'teaming': (
        _STANDBY_UP._replace(optional=True, text=_STANDBY_UP.text + '; skip when the standby link is kept up (armed)'),
        _step('migrate', (S.ARMED,), (S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER, S.ARMED),
              'live-migrate; QEMU unplugs the primary (wait-unplug) and re-plugs it on the destination by itself, '
              'so the guest may already be past standby_only_up',
              transient=(S.ARMED, S.PRIMARY_NO_CARRIER, S.STANDBY_ONLY_UP),
              precondition='the standby link is up: with it down the guest is in standby_only_down (outage) for the whole migration'),
        _step('primary_replug', (S.STANDBY_ONLY_UP, S.PRIMARY_NO_CARRIER, S.ARMED), (S.ARMED,),
              'wait until the primary that QEMU re-plugged is enslaved and has carrier (attach the reserved VF when QEMU has none); '
              'started on the destination before the migration, it acts the moment the guest arrives',
              transient=_PLUG_TRANSIENT, host='destination'),
        _STANDBY_DOWN._replace(optional=True, text=_STANDBY_DOWN.text + '; skip when the standby link is kept up (armed)'),
    ),
}

# Which module runs which step (with the option ``state`` it takes for it); a step no module runs is done in the role.
MODULE_STEPS = {
    'standby_link': {'standby_link_up': 'up', 'standby_link_down': 'down'},
    'primary_device': {'primary_detach': 'absent', 'primary_attach': 'present', 'primary_replug': 'present'},
    'live_migrate': {'migrate': None},
}
STEP_NAMES = sorted({step.name for steps in DANCES.values() for step in steps})

# The options of a step module, and of guest_failover_info (which checks a step's start or end).
STEP_ARGUMENT_SPEC = {
    'step': {'type': 'str', 'choices': STEP_NAMES},
    'variant': {'type': 'str', 'choices': sorted(DANCES), 'default': 'manual'},
}


def get_step(variant, step):
    for candidate in DANCES[variant]:
        if candidate.name == step:
            return candidate
    raise KeyError(f'no step {step!r} in the {variant!r} dance')


def expected_after(variant, step):
    return get_step(variant, step).after


def ready_for(variant, step, subject, domain='DOMAIN', tap='TAP', macs=None):
    """Verify every pair (or those of ``macs``) is in a state the step may start from; the step's precondition explains a refusal."""
    found = get_step(variant, step)
    result = verify(subject, found.before, domain, tap, macs=macs)
    if result.ok or not found.precondition:
        return result
    return result._replace(message=f'{step} needs: {found.precondition}; {result.message}')


# The state the migration leaves the guest in: steady, or armed when the standby link is kept up.
def final_step(keep_standby_up):
    """The step whose end state is the migration's: the guest is steady after it, or armed with the standby kept up."""
    return 'standby_link_up' if keep_standby_up else 'standby_link_down'


class StepExpectation(namedtuple('StepExpectation', 'step variant states start')):
    """What a step module waits for (``states``, values) and from where the guest may move (``start``: the step's
    ``before`` states). ``allows(previous, observed)`` tells a move the step may make: legal in the state machine, or
    into a state the step passes through or ends in."""

    def allows(self, previous, observed):
        return (legal_transition(previous, observed) or observed in self.step.transient or observed in self.step.after)


def step_expectation(params, module_name=None, phase='after'):
    """The expectation of ``params['step']`` in ``params['variant']`` (None without a step), checked against the module.

    ``phase='before'`` (guest_failover_info only) expects the states the step starts from. A step of another module or
    another variant, or a step given together with explicit states, is refused with what to give instead.
    """
    name, variant = params.get('step'), params.get('variant') or 'manual'
    if not name:
        return None
    explicit = [option for option in ('verify_states', 'expect_states', 'expect') if params.get(option)]
    if explicit:
        raise LibvirtCollectionError(f"step: {name} says which states to expect; remove {' and '.join(explicit)}.")
    try:
        step = get_step(variant, name)
    except KeyError:
        raise LibvirtCollectionError(f"step: the {variant} dance has no step {name}; its steps: "
                                     f"{', '.join(s.name for s in DANCES[variant])}.") from None
    if module_name is not None:
        runs = MODULE_STEPS[module_name]
        if name not in runs:
            raise LibvirtCollectionError(f"step: {name} is not a step of this module; it runs {', '.join(sorted(runs))}.")
        wanted = runs[name]
        if wanted is not None and params.get('state') not in (None, wanted):
            raise LibvirtCollectionError(f"step: {name} is state={wanted}, not state={params.get('state')}.")
    states = step.before if phase == 'before' else step.after
    return StepExpectation(step, variant, tuple(state.value for state in states), step.before)
