# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verification levels: how much of the guest the collection can read, chosen from what its agent allows.

``full``: the sysfs walk through ``guest-exec`` (every state apart). ``interfaces``: ``guest-network-get-interfaces``
only, which hardened agents keep (see guest/interfaces.py for what it tells apart). ``none``: no guest reads, the
seed's blind dance, for a guest without an agent; the report says so. ``auto`` picks the best one the agent allows,
from its own ``guest-info`` list of enabled commands (qemu-ga's ``--allow-rpcs`` / ``--block-rpcs``).
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

LEVELS = ('full', 'interfaces', 'none')
CHOICES = ('auto',) + LEVELS
NEEDS = {
    'full': ('guest-exec', 'guest-exec-status'),
    'interfaces': ('guest-network-get-interfaces',),
    'none': (),
}
AGENT_CHANNEL = 'org.qemu.guest_agent.0'


def enabled_commands(domain):
    """{command: enabled} from the agent's guest-info (raises LibvirtCollectionError when the agent does not answer)."""
    info = guest_agent.agent_command(domain, 'guest-info', domain_name=domain.name()) or {}
    return {c.get('name'): bool(c.get('enabled')) for c in info.get('supported_commands') or () if c.get('name')}


WINDOWS_NOTE = ("a Windows guest: the full level's sysfs walk needs Linux, so it is verified at the interfaces level; "
                "its failover needs virtio-win's netkvm with the failover protocol driver bound to the VF (virtio-win "
                "0.1.189 or later)")


def guest_os(domain, commands):
    """The agent's guest-get-osinfo (id, name, version, kernel-release, ...), {} when the agent does not offer it."""
    if not commands.get('guest-get-osinfo'):
        return {}
    try:
        return guest_agent.agent_command(domain, 'guest-get-osinfo', domain_name=domain.name()) or {}
    except LibvirtCollectionError:
        return {}


def is_windows(osinfo):
    return (osinfo or {}).get('id') == 'mswindows'


def blocked(level, commands, osinfo=None):
    """The commands ``level`` needs that the agent does not offer or has disabled (for a Windows guest, the full level
    is never possible: its walk is a POSIX shell script)."""
    if level == 'full' and is_windows(osinfo):
        return ['a POSIX shell (Windows guest)']
    return [name for name in NEEDS[level] if not commands.get(name)]


def choose(requested, commands, has_agent_channel=True, domain='DOMAIN', osinfo=None):
    """(level, why). ``commands``: enabled_commands(), or None when the agent did not answer.

    ``auto`` takes the best level the agent allows, and ``none`` only for a domain whose definition has no agent channel:
    an agent that is configured but does not answer is an error to fix (or give ``none`` explicitly), not a reason to
    migrate blind. An explicit level the agent does not allow is refused with what to change."""
    if requested not in CHOICES:
        raise LibvirtCollectionError(f"verify_level must be one of {', '.join(CHOICES)}, not {requested!r}.")
    if requested == 'none':
        return 'none', 'asked for: the guest is not read (the seed\'s blind dance)'
    if commands is None:
        if requested == 'auto' and not has_agent_channel:
            return 'none', (f'{domain} has no guest agent channel ({AGENT_CHANNEL}) in its definition: the guest is not read')
        raise LibvirtCollectionError(
            f'The guest agent of {domain} does not answer, so the guest cannot be verified at the {requested} level. Start '
            f'qemu-ga in the guest (and give the domain a {AGENT_CHANNEL} channel), or set verify_level: none to migrate '
            'without reading the guest. Nothing was changed.')
    if requested == 'auto':
        for level in LEVELS:
            if not blocked(level, commands, osinfo):
                why = ('the agent allows ' + ', '.join(NEEDS[level])) if NEEDS[level] else 'the agent allows no reads'
                return level, (WINDOWS_NOTE + '; ' + why) if is_windows(osinfo) else why
    missing = blocked(requested, commands, osinfo)
    if missing:
        lower = next((level for level in LEVELS[LEVELS.index(requested) + 1:] if not blocked(level, commands, osinfo)), 'none')
        raise LibvirtCollectionError(
            f"The guest agent of {domain} does not allow {', '.join(missing)}, which the {requested} level needs. Allow it in "
            f"the guest (qemu-ga --allow-rpcs / --block-rpcs, or /etc/sysconfig/qemu-ga), or set verify_level: {lower} "
            "(or auto). Nothing was changed.")
    return requested, 'asked for; the agent allows ' + (', '.join(NEEDS[requested]) or 'it')
