# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``interfaces`` verification level: a failover pair seen through ``guest-network-get-interfaces`` alone.

Hardened guest agents block ``guest-exec`` (and with it the sysfs walk of the ``full`` level) but keep
``guest-network-get-interfaces``: each netdev's name, MAC, addresses and counters, and nothing of masters, carrier or
operstate. A failover pair is three netdevs with one MAC (the master, the standby, the VF), so the number of netdevs
with the pair's MAC tells whether the guest has the VF; what the host knows itself (the standby's link state in the
live definition, whether the VF is attached) narrows the rest. The states each view cannot tell apart are named.

What the guest reports is untrusted input: a count the host's own facts rule out (a VF netdev while the host has
no VF attached, more netdevs with the MAC than a pair has) is a failed check, never a reason to move an FDB entry.
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import GuestState, normalise_macs
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

S = GuestState

# (netdevs with the pair's MAC, standby link up per the host) -> the states the guest may be in
_POSSIBLE = {
    (1, True): (S.NOT_NEGOTIATED,),
    (1, False): (S.NOT_NEGOTIATED,),
    (2, True): (S.STANDBY_ONLY_UP, S.MASTER_ADMIN_DOWN),
    (2, False): (S.STANDBY_ONLY_DOWN, S.MASTER_ADMIN_DOWN),
    (3, True): (S.ARMED, S.PRIMARY_NO_CARRIER, S.PRIMARY_NOT_ENSLAVED, S.MASTER_ADMIN_DOWN),
    (3, False): (S.STEADY, S.BOTH_DOWN, S.PRIMARY_NOT_ENSLAVED, S.MASTER_ADMIN_DOWN),
}
# the same without the host's word on the standby's link (a tap given by name only)
_POSSIBLE_ANY_LINK = {
    count: tuple(dict.fromkeys(_POSSIBLE[(count, True)] + _POSSIBLE[(count, False)])) for count in (1, 2, 3)
}

PairView = namedtuple('PairView', 'mac netdevs addressed possible problem')
PairView.__doc__ = """One pair as the interfaces level sees it: ``netdevs`` with its MAC (names), those with addresses
(``addressed``: the master alone, in a guest whose userspace leaves the slaves alone), the ``possible`` states, and a
``problem`` (text) when the report is impossible or ambiguous; then ``possible`` is empty."""


def _addresses(interface):
    return [a.get('ip-address') for a in interface.get('ip-addresses') or () if a.get('ip-address')
            and not str(a.get('ip-address')).lower().startswith('fe80:')]


def view_pairs(interfaces, macs, standby_link_up=None, vf_attached=None):
    """{MAC: PairView} for each of ``macs`` (the pairs of the definition: the host's MACs, never the guest's).

    ``interfaces``: the agent's guest-network-get-interfaces answer. ``standby_link_up`` / ``vf_attached``: {MAC: bool}
    from the live definition (None where the host does not know)."""
    standby_link_up, vf_attached = standby_link_up or {}, vf_attached or {}
    views = {}
    for mac in normalise_macs(macs) or ():
        netdevs = [i for i in interfaces or () if (i.get('hardware-address') or '').lower() == mac]
        names = [str(i.get('name')) for i in netdevs]
        addressed = [str(i.get('name')) for i in netdevs if _addresses(i)]
        count = len(netdevs)
        problem = None
        if count == 0:
            problem = (f'the guest reports no netdev with the MAC {mac}: its virtio_net driver is not loaded, or the agent '
                       'answers for another guest')
        elif count > 3:
            problem = (f'the guest reports {count} netdevs with the MAC {mac} ({", ".join(names)}); a failover pair has 3 '
                       '(master, standby, VF): VLANs or macvlans on the master hide which is which at this level; use the '
                       'full level')
        elif count == 3 and vf_attached.get(mac) is False:
            problem = (f'the guest reports 3 netdevs with the MAC {mac} ({", ".join(names)}) but the host has no VF with '
                       'that MAC attached: an impossible report, taken as a failed check')
        link = standby_link_up.get(mac)
        possible = () if problem else (_POSSIBLE[(count, link)] if link is not None else _POSSIBLE_ANY_LINK[count])
        views[mac] = PairView(mac, names, addressed, possible, problem)
    return views


def cannot_tell(view):
    """What this view cannot tell apart, for the report ('' when one state is possible)."""
    if len(view.possible) < 2:
        return ''
    return 'the interfaces level cannot tell ' + ', '.join(s.value for s in view.possible) + ' apart'


Check = namedtuple('Check', 'ok message pairs')


def verify_interfaces(views, expected_states, domain='DOMAIN'):
    """Every pair's possible states meet ``expected_states`` (any overlap: the level cannot tell more), and no report
    is impossible. The message says what was seen and what the level cannot tell."""
    wanted = tuple(GuestState(state) for state in expected_states or ())
    expected = ' or '.join(s.value for s in wanted) or 'any state'
    bad, good = [], []
    for mac, view in views.items():
        seen = f'{len(view.netdevs)} netdev(s) with the MAC {mac} ({", ".join(view.netdevs) or "none"})'
        if view.problem:
            bad.append(f'{view.problem}')
        elif wanted and not set(view.possible) & set(wanted):
            bad.append(f'{seen}: the guest is {" or ".join(s.value for s in view.possible)}, not {expected}')
        else:
            maybe = expected if wanted else ' or '.join(s.value for s in view.possible)
            good.append(f'{seen}, possibly {maybe}' + (f' ({cannot_tell(view)})' if cannot_tell(view) else ''))
    level = f'guest {domain}, interfaces level (guest-network-get-interfaces only)'
    if bad:
        return Check(False, f'{level}: expected {expected} but ' + '; '.join(bad), views)
    return Check(True, f'{level}: ' + '; '.join(good), views)


def slave_addresses(views):
    """Netdevs of a pair other than one (the master) that carry addresses: a finding of the readiness audit (an address
    or a DHCP client on a slave sends traffic out of the wrong netdev)."""
    return {mac: view.addressed for mac, view in views.items() if len(view.addressed) > 1}


def host_facts(pairs):
    """({MAC: standby link up}, {MAC: VF attached}) from the live definition's pairs (standby/pairs.pairs_of). A teaming
    pair's VF is in the definition while QEMU hides it from the guest: whether the guest has it is not the host's word."""
    link_up = {p["mac"]: (p["standby"].get("link_state") or "up") != "down" for p in pairs if p.get("mac")}
    attached = {p["mac"]: p["primary"] is not None for p in pairs if p.get("mac") and p.get("variant") != "teaming"}
    return link_up, attached


def observe_interfaces(list_interfaces, read_pairs, macs, expect, timeout=0.0, interval=0.5, clock=time.monotonic,
                       sleep=time.sleep, domain="DOMAIN"):
    """The interfaces level's observe (guest/failover.observe's counterpart): reads until every pair of ``macs`` may be
    in one of ``expect`` or ``timeout`` passes. ``list_interfaces()``: the agent's guest-network-get-interfaces answer;
    ``read_pairs()``: the live definition's pairs (host_facts). Returns the module result with ``level: interfaces``,
    each pair's ``possible_states`` and what the level cannot tell; raises LibvirtCollectionError with the check's
    message when the states do not come (or the guest's report is impossible)."""
    started = clock()
    reads = 0
    while True:
        try:
            listing = list_interfaces()
        except LibvirtCollectionError as error:
            if clock() - started >= timeout:
                raise LibvirtCollectionError("{0} (waited {1:.1f} s)".format(error.message, clock() - started)) from error
            sleep(interval)
            continue
        reads += 1
        link_up, attached = host_facts(read_pairs())
        views = view_pairs(listing, macs, standby_link_up=link_up, vf_attached=attached)
        check = verify_interfaces(views, expect, domain=domain)
        if check.ok or clock() - started >= timeout:
            break
        sleep(interval)
    wanted = [GuestState(state) for state in expect or ()]
    pairs = [{"mac": mac, "netdevs": view.netdevs, "addressed": view.addressed,
              "possible_states": [s.value for s in view.possible], "cannot_tell": cannot_tell(view), "problem": view.problem}
             for mac, view in views.items()]
    # one state for the result: the expected one the guest may be in (the level cannot tell more), else the first possible
    lead = next((s for s in wanted for view in views.values() if s in view.possible), None)
    lead = lead or next((view.possible[0] for view in views.values() if view.possible), None)
    result = {"changed": False, "level": "interfaces", "state": lead.value if lead else None, "message": check.message,
              "pairs": pairs, "reads": reads, "elapsed_seconds": round(clock() - started, 3)}
    if not check.ok:
        raise LibvirtCollectionError(check.message, result=result)
    return result
