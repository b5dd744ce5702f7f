# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a module reads a guest: at the verification level chosen for it once per run (guest/levels.py).

``full`` waits with guest/failover.observe on the sysfs walk, ``interfaces`` with guest/interfaces.observe_interfaces on
``guest-network-get-interfaces``, ``none`` does not read the guest and says so. Every observation carries ``level``.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest import interfaces as guest_interfaces
from ansible_collections.netfailover.standby.plugins.module_utils.guest import levels
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pairs import pairs_of
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError


def live_root(domain):
    name = domain.name()
    return dx.parse(domains.read_xml(domain, "live", name=name), "live XML of domain " + name)


def has_agent_channel(root):
    """Whether the definition gives the domain a guest agent channel (the host's word, not the guest's)."""
    return any(target.get("name") == levels.AGENT_CHANNEL for target in root.findall("devices/channel/target"))


class GuestReading:
    """One module run's way of reading the guest (``level``, and ``why`` that level)."""

    def __init__(self, domain, level="full", why="", reader_factory=None, interfaces_lister=None, pairs_reader=None):
        self.domain = domain
        self.level = level
        self.why = why
        self.reader_factory = reader_factory or guest_failover.agent_reader
        self.interfaces_lister = interfaces_lister or (lambda d: guest_agent.agent_command(
            d, "guest-network-get-interfaces", domain_name=d.name()) or [])
        self.pairs_reader = pairs_reader or (lambda: pairs_of(live_root(domain)))

    @property
    def reads_guest(self):
        return self.level != "none"

    def describe(self):
        return {"level": self.level, "why": self.why}

    def observe(self, expect, timeout, interval=0.25, macs=None, allows=None, start=(), on_classified=None, tap="TAP"):
        """Wait for ``expect`` at this level; the result says the level. ``none`` returns at once with state None."""
        name = self.domain.name()
        if self.level == "none":
            return {"changed": False, "level": "none", "state": None, "pairs": [], "reads": 0, "elapsed_seconds": 0.0,
                    "message": "the guest of {0} was not read (verify level none: {1}); expected {2}, not verified".format(
                        name, self.why, " or ".join(expect))}
        if self.level == "interfaces":
            wanted = macs or [pair["mac"] for pair in self.pairs_reader() if pair.get("mac")]
            return guest_interfaces.observe_interfaces(lambda: self.interfaces_lister(self.domain), self.pairs_reader, wanted,
                                                       expect, timeout=timeout, interval=interval, domain=name)
        try:
            result = guest_failover.observe(self.reader_factory(self.domain), expect=expect, timeout=timeout, interval=interval,
                                            domain=name, macs=macs, allows=allows, start=start, on_classified=on_classified,
                                            tap=tap)
        except LibvirtCollectionError as error:
            if isinstance(error.result, dict):
                error.result["level"] = "full"
            raise
        result["level"] = "full"
        return result


def agent_facts(domain, commands_reader=None):
    """(commands, osinfo): the agent's enabled commands (None when it does not answer) and its guest-get-osinfo."""
    try:
        commands = (commands_reader or levels.enabled_commands)(domain)
    except LibvirtCollectionError:
        return None, {}
    return commands, levels.guest_os(domain, commands)


def reading_for(domain, params, reader_factory=None, commands_reader=None):
    """The GuestReading of ``params['verify_level']`` for ``domain`` (full when the module has no such option).

    An explicit level is used as given (the migrate role's preflight checked it against the agent, see check_level).
    ``auto`` asks the agent's guest-info once which levels it allows; an agent that does not answer yet (a guest still
    booting, or just migrated) gets the full level, whose reads wait for it, and a domain without an agent channel in
    its definition the none level."""
    requested = params.get("verify_level") or "full"
    if requested != "auto":
        return GuestReading(domain, requested, "asked for", reader_factory=reader_factory)
    commands, osinfo = agent_facts(domain, commands_reader)
    if commands is None:
        if has_agent_channel(live_root(domain)):
            return GuestReading(domain, "full", "auto: the agent does not answer yet; the full level waits for it",
                                reader_factory=reader_factory)
        return GuestReading(domain, "none", "auto: the definition has no guest agent channel ({0})".format(levels.AGENT_CHANNEL),
                            reader_factory=reader_factory)
    level, why = levels.choose("auto", commands, domain=domain.name(), osinfo=osinfo)
    return GuestReading(domain, level, "auto: " + why, reader_factory=reader_factory)


def check_level(domain, requested, commands_reader=None):
    """{level, why, os} for a migration's preflight: ``auto`` resolved, an explicit level checked against what the agent
    allows (refused, with what to change, when it does not allow it or does not answer), and the guest's OS as its
    agent names it (guest-get-osinfo; {} when it does not). Never changes anything."""
    if requested == "none":
        return {"level": "none", "why": "asked for: the guest is not read (the seed's blind dance)", "os": {}}
    commands, osinfo = agent_facts(domain, commands_reader)
    channel = has_agent_channel(live_root(domain)) if commands is None else True
    level, why = levels.choose(requested, commands, has_agent_channel=channel, domain=domain.name(), osinfo=osinfo)
    return {"level": level, "why": why, "os": osinfo}
