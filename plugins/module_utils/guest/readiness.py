# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness audit of a running domain, at the verification level its agent allows (guest/levels.py).

``full``: AUDIT_SCRIPT and the sysfs walk through ``guest-exec``, judged by guest/audit.audit_findings. ``interfaces``:
only ``guest-network-get-interfaces``, which tells one thing, whether more than one netdev with a pair's MAC carries
addresses (interfaces.slave_addresses); every other check is listed as ``unchecked``. ``none``: nothing is read, and
the result says so. The MACs of the pairs are the host's (the live definition), never the guest's.

Used by guest_readiness_info, by migration_preflight (source side) and, through that module, by the configure role.
"""

from __future__ import annotations

import time

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest import audit
from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest import interfaces as guest_interfaces
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

SEVERITY_CHOICES = ('warn', 'refuse', 'ignore')
SCRIPT_TIMEOUT = 20.0
INTERFACES_WHY = ('the interfaces level reads only guest-network-get-interfaces (names, MACs, addresses): the audit '
                  'needs guest-exec, which the agent does not allow here')


def checked_severities(severities, option='severities'):
    """``severities`` ({finding id: warn | refuse | ignore}) checked before anything is read or changed."""
    severities = dict(severities or {})
    unknown = sorted(str(fid) for fid in severities if fid not in audit.FINDING_IDS)
    if unknown:
        raise LibvirtCollectionError(
            f"{option}: {', '.join(unknown)} {'is no finding' if len(unknown) == 1 else 'are no findings'} of the readiness "
            f"audit; its findings are {', '.join(sorted(audit.FINDING_IDS))}. Nothing was changed.")
    bad = [f'{fid}: {value!r}' for fid, value in sorted(severities.items()) if value not in SEVERITY_CHOICES]
    if bad:
        raise LibvirtCollectionError(f"{option}: a severity is warn, refuse or ignore (got {', '.join(bad)}). Nothing was changed.")
    return severities


def run_script(domain, timeout=SCRIPT_TIMEOUT):
    """AUDIT_SCRIPT's output, run in the guest through guest-exec (busybox sh is enough)."""
    code, out, err = guest_agent.execute(domain, '/bin/sh', ['-c', audit.AUDIT_SCRIPT], timeout=timeout)
    if not out.strip():
        raise guest_agent.GuestAgentError(
            f'The readiness audit printed nothing in domain {domain.name()} (exit code {code}): {err.strip() or "no message"}')
    return out


def finding_text(finding):
    """One finding in a line: severity, id, where, what, and the fix."""
    where = finding.get('netdev') or ('the pair ' + finding['mac'] if finding.get('mac') else 'the guest')
    return f"[{finding['severity']}] {finding['id']} on {where}: {finding['what']}. Fix: {finding['fix']}"


def describe(result, domain='DOMAIN'):
    """The audit in words: each finding with its fix, or that it found nothing, and what it could not check."""
    head = f"{domain}: the readiness audit ({result['level']} level)"
    if result['level'] == 'none':
        return f"{head} did not read the guest: {result['why']}"
    not_checked = sorted({u['check'] for u in result['unchecked']})
    tail = f" Not checked: {', '.join(not_checked)} (see unchecked)." if not_checked else ''
    if not result['findings']:
        return f'{head} found nothing that breaks failover.{tail}'
    count = len(result['findings'])
    return (f"{head} found {count} problem{'s' if count > 1 else ''}: "
            + ' '.join(finding_text(f).rstrip('.') + '.' for f in result['findings']) + tail)


def _pair_entries(pairs):
    return [{'mac': mac, 'master': p.get('master'), 'standby': p.get('standby'), 'primary': p.get('primary'),
             'state': p.get('state'), 'netdevs': p.get('netdevs'), 'findings': [dict(f, mac=mac) for f in p['findings']]}
            for mac, p in pairs.items()]


def audit_full(domain, macs, severities, topology=None, reader_factory=None, script_runner=None):
    """The full level: the sysfs walk (``topology``, when the caller has just read it) and AUDIT_SCRIPT, judged."""
    if topology is None:
        topology = (reader_factory or guest_failover.agent_reader)(domain)()
    text = (script_runner or run_script)(domain)
    judged = audit.audit_findings(text, topology, macs, severities)
    unchecked = list(judged['unchecked'])
    if '=end yes' not in text.splitlines():
        unchecked.append({'check': 'incomplete', 'why': 'the audit script stopped before its end: what it did not print was '
                                                        'not checked'})
    return {'findings': judged['findings'], 'unchecked': unchecked, 'pairs': _pair_entries(judged['pairs']),
            'guest': judged['guest']}


def audit_interfaces(listing, definition_pairs, macs, severities):
    """The interfaces level: only an address on more than one netdev of a pair can be told (not which one is the
    master); every other check is unchecked, with why."""
    link_up, attached = guest_interfaces.host_facts(definition_pairs)
    views = guest_interfaces.view_pairs(listing, macs, standby_link_up=link_up, vf_attached=attached)
    addressed = guest_interfaces.slave_addresses(views)
    unchecked = [{'check': fid, 'why': INTERFACES_WHY} for fid in sorted(audit.FINDING_IDS) if fid != 'address_on_slave']
    pairs = {}
    for mac, view in views.items():
        found = []
        if view.problem:
            unchecked.append({'check': 'address_on_slave', 'why': view.problem})
        elif mac in addressed:
            names = ', '.join(addressed[mac])
            found.append(audit.make_finding('address_on_slave', None, (
                f'{len(addressed[mac])} netdevs with the MAC {mac} carry addresses ({names}); only the failover master may, '
                'and the interfaces level cannot tell which of them is the master'),
                'remove the addresses from the standby and the VF and keep them on the failover master; the full level\'s '
                'audit (guest-exec) names what set them'))
        found = audit.apply_severities(found, severities)
        pairs[mac] = {'netdevs': view.netdevs, 'state': None, 'findings': found}
    findings = [dict(f, mac=mac) for mac, pair in pairs.items() for f in pair['findings']]
    return {'findings': findings, 'unchecked': unchecked, 'pairs': _pair_entries(pairs), 'guest': {}}


def audit_domain(reading, macs=None, severities=None, topology=None, script_runner=None):
    """The audit of ``reading.domain`` at ``reading.level`` (a guest/reading.GuestReading): {'level', 'why', 'findings'
    (each with id, severity, netdev, mac, what, fix, snippet), 'unchecked' ([{check, why}]), 'pairs', 'guest', 'refuse'
    (a finding of severity refuse), 'message'}. ``macs``: the pairs to audit (default: the live definition's);
    ``severities``: checked_severities' dict. Reads only."""
    domain = reading.domain
    if reading.level == 'none':
        result = {'findings': [], 'unchecked': [{'check': 'audit', 'why': 'verify level none: the guest is not read'}],
                  'pairs': [], 'guest': {}}
    else:
        wanted = list(macs or ()) or [p['mac'] for p in reading.pairs_reader() if p.get('mac')] or None
        if reading.level == 'interfaces':
            result = audit_interfaces(reading.interfaces_lister(domain), reading.pairs_reader(), wanted, severities)
        else:
            result = audit_full(domain, wanted, severities, topology=topology, reader_factory=reading.reader_factory,
                                script_runner=script_runner)
    result.update(level=reading.level, why=reading.why, refuse=any(f['severity'] == audit.REFUSE for f in result['findings']))
    result['message'] = describe(result, domain.name())
    return result


def audit_waiting(reading, timeout, interval=2.0, clock=time.monotonic, sleep=time.sleep, **options):
    """audit_domain, asked again while the guest agent does not answer (a guest still booting), up to ``timeout`` s."""
    started = clock()
    while True:
        try:
            return audit_domain(reading, **options)
        except LibvirtCollectionError as error:
            if clock() - started >= timeout:
                raise LibvirtCollectionError(f'{error.message} (waited {clock() - started:.1f} s)',
                                             error_code=error.error_code) from error
            sleep(interval)


def refusal(result, domain):
    """The refusal message of a migration whose audit has findings of severity refuse (each with its netdev and fix), with
    the options of the migrate role and of migration_preflight that let it through."""
    refused = [f for f in result['findings'] if f['severity'] == audit.REFUSE]
    return (f"{domain} is not migrated: the readiness audit of its guest ({result['level']} level) found what breaks "
            "failover: " + ' '.join(finding_text(f).rstrip('.') + '.' for f in refused)
            + f" Fix the guest; to migrate anyway, make it a warning (migrate_audit_severities: {{{refused[0]['id']}: warn}}; "
            "migration_preflight's audit_severities) or turn the audit off (migrate_audit: false; audit: false). "
            "Nothing was changed.")
