# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a guest's failover topology (through the guest agent or locally) and waiting for a state."""

from __future__ import annotations

import time

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domain_xml import valid_mac
from ansible_collections.netfailover.standby.plugins.module_utils.guest.state import (
    PRIMARY_ENSLAVED_STATES,
    GuestState,
    classify,
    classify_pairs,
    headline,
    normalise_macs,
    verify,
)
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import (
    SYSFS_WALK_SCRIPT,
    parse_sysfs_walk,
    read_local_topology,
)
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

STATE_NAMES = [state.value for state in GuestState]


def agent_reader(domain, exec_timeout=10.0):
    """A reader for a libvirt domain: a read-only sysfs walk run by the guest agent (busybox sh is enough)."""

    def read():
        code, out, err = guest_agent.execute(domain, "/bin/sh", ["-c", SYSFS_WALK_SCRIPT], timeout=exec_timeout)
        if code != 0:
            raise guest_agent.GuestAgentError("The sysfs walk failed in domain {0} (exit code {1}): {2}".format(
                domain.name(), code, err.strip()))
        return parse_sysfs_walk(out)

    return read


def local_reader(sysfs_root="/sys/class/net"):
    """A reader for the machine the module runs on (the module runs inside the guest)."""
    return lambda: read_local_topology(sysfs_root)


def checked_macs(macs, option="macs"):
    """The MACs of the pairs to check (lower case), None for every pair; a malformed MAC fails before anything is read."""
    wanted = normalise_macs(macs)
    bad = [mac for mac in wanted or () if not valid_mac(mac)]
    if bad:
        raise LibvirtCollectionError("{0}: {1} is not a unicast MAC address. Give the MAC of a failover pair (its standby's, as "
                                     "in the domain definition), for example 52:54:00:6c:00:01.".format(option, ", ".join(bad)))
    return wanted


def observe(read, expect=None, timeout=0.0, interval=0.5, classify_options=None,
            clock=time.monotonic, sleep=time.sleep, domain="DOMAIN", tap="TAP", on_classified=None, macs=None, allows=None,
            start=()):
    """Read and classify the topology, polling until every failover pair (or each pair of ``macs``) is in one of
    ``expect``, or ``timeout`` passes.

    ``classify_options``: ``ignore`` (NICs never taken for a VF) and ``master`` (one pair by its master's name).
    ``on_classified(classification)`` is called after every read with the headline pair's classification (a step that
    must act the moment the guest changes, for example re-pointing the bridge's FDB entry once the guest enslaved a VF).
    Returns the module result: ``state`` and ``failover`` are the headline pair's (the one pair, or the one furthest from
    ``expect``, see failover_state.headline), ``pairs`` has one entry per pair. Raises LibvirtCollectionError with the
    operator diagnostic (and the last observation as its partial result) when the expected states do not come.

    ``allows(previous, observed)`` (a step's, see migration/dance.py) judges each pair's moves between reads, the first
    from any of ``start``: a move it refuses, seen on two reads in a row (one read may catch the guest mid-change), ends
    the wait at once with the state machine's diagnostic instead of waiting out the timeout. ``transitions`` lists the
    moves seen.
    """
    options = dict(classify_options or {})
    ignore, master = tuple(options.get("ignore") or ()), options.get("master")
    macs = checked_macs(macs if macs is not None else options.get("macs"))
    started = clock()
    reads = 0
    moves = _MoveWatch(allows, start)
    while True:
        read_started = clock()
        try:
            topology = read()
        except LibvirtCollectionError as error:
            # a guest agent that is not up yet (the guest is booting) is worth waiting for, up to the timeout
            if clock() - started >= timeout:
                raise LibvirtCollectionError("{0} (waited {1:.1f} s)".format(error.message, clock() - started),
                                             error_code=error.error_code) from error
            sleep(interval)
            continue
        reads += 1
        read_seconds = clock() - read_started
        pairs = classify_pairs(topology, macs=macs, ignore=ignore)
        if master:
            pairs = {mac: c for mac, c in pairs.items() if c.master == master}
        # a guest without a (picked) failover pair: its own classification, not_negotiated
        classification = headline(pairs.values(), expect) if pairs else classify(topology, master=master, ignore=ignore)
        if on_classified is not None:
            on_classified(classification)
        verification = verify(pairs or classification, expect, domain=domain, tap=tap) if expect else None
        done = verification is None or verification.ok
        refused = moves.see(pairs)
        refused = None if done else refused
        if done or refused or clock() - started >= timeout:
            break
        sleep(interval)
    result = {
        "changed": False,
        "state": classification.state.value,
        "failover": classification.as_dict(),
        "pairs": [pair.summary() for pair in pairs.values()],
        "topology": topology,
        "reads": reads,
        "last_read_seconds": round(read_seconds, 3),
        "elapsed_seconds": round(clock() - started, 3),
        "transitions": moves.seen,
    }
    if verification is not None:
        result["message"] = verification.message
        if refused:
            mac, moved_from, moved_to = refused
            raise LibvirtCollectionError("the pair {0} moved from {1} to {2}, which the state machine does not allow in this step: {3} "
                                         "(after {4:.1f} s)".format(mac, moved_from, moved_to, verification.message,
                                                                    result["elapsed_seconds"]), result=result)
        if not verification.ok:
            raise LibvirtCollectionError(
                "{0} (waited {1:.1f} s)".format(verification.message, result["elapsed_seconds"]), result=result)
    return result


class _MoveWatch:
    """The moves of each pair between reads, judged by a step's ``allows``; refuses a move seen on two reads in a row."""

    def __init__(self, allows, start):
        self.allows = allows
        self.start = tuple(GuestState(state) for state in start)
        self.last = {}  # mac -> the state of the previous read
        self.suspect = {}  # mac -> (from, to) of a refused move seen once
        self.seen = []

    def _allowed(self, previous, observed):
        if previous is None:
            return not self.start or any(self.allows(state, observed) for state in self.start)
        return self.allows(previous, observed)

    def see(self, pairs):
        """Note this read's states; (mac, from, to) of a refused move confirmed by this read, else None."""
        if self.allows is None:
            return None
        for mac, classification in pairs.items():
            observed, previous = classification.state, self.last.get(mac)
            if observed == previous:
                suspect = self.suspect.pop(mac, None)
                if suspect and suspect[1] == observed:
                    return (mac,) + tuple(state.value for state in suspect)
                continue
            self.last[mac] = observed
            self.seen.append({"mac": mac, "from": previous.value if previous else None, "to": observed.value})
            if not self._allowed(previous, observed):
                self.suspect[mac] = (previous or self.start[0], observed)
            else:
                self.suspect.pop(mac, None)
        return None


class ReleaseWatch:
    """Tells, cheaply enough to ask every few tens of milliseconds, whether the guest has let go of its primaries.

    One full read of the topology names the enslaved primaries' netdevs, one per failover pair (or per pair of ``macs``);
    afterwards each check is a single guest-network-get-interfaces call (no process in the guest): the primaries are
    released once all their netdevs are gone, which is when net_failover stops taking frames through them.
    ``primaries`` is empty (and ``primary`` None) when the first read found no enslaved primary (or failed): then the
    watch never fires and the caller relies on DEVICE_REMOVED. ``primary`` names them all, comma-separated.
    """

    def __init__(self, domain, reader_factory=None, lister=None, clock=time.monotonic, macs=None, level="full", mac_lister=None):
        self.domain = domain
        self.lister = lister or guest_agent.netdev_names
        self.clock = clock
        self.checks = 0
        self.failed_checks = 0
        self.slowest_check_seconds = 0.0
        self.last_error = None
        self.released_names = None  # the guest's netdevs when the release was seen
        self.primaries, self.primary = [], None
        self.counted_macs = None  # the interfaces level: the pairs whose third netdev (the VF) must go
        if level == "none":
            return  # the guest is not read: DEVICE_REMOVED (or the migration's end) decides
        if level == "interfaces":
            self._count_watch(mac_lister or guest_agent.netdev_macs, macs)
            return
        try:
            pairs = classify_pairs((reader_factory or agent_reader)(domain)(), macs=normalise_macs(macs))
        except LibvirtCollectionError as error:
            self.last_error = error.message
            return
        self.primaries = [c.primary for c in pairs.values() if c.state in PRIMARY_ENSLAVED_STATES and c.primary]
        self.primary = ", ".join(self.primaries) or None

    def _count_watch(self, mac_lister, macs):
        """The interfaces level names no VF: a pair has let go of it once two netdevs with its MAC are left (master and
        standby). Armed only for pairs that show three now; listed names still tell returned()."""
        wanted = normalise_macs(macs) or []
        try:
            listing = mac_lister(self.domain)
        except LibvirtCollectionError as error:
            self.last_error = error.message
            return
        self.mac_lister = mac_lister
        self.counted_macs = [mac for mac in wanted if sum(1 for m in listing.values() if m == mac) == 3]
        self.primaries = ["the third netdev with the MAC " + mac for mac in self.counted_macs]
        self.primary = ", ".join(self.primaries) or None
        self.lister = lambda domain: set(mac_lister(domain))

    def _netdevs(self):
        """One listing of the guest's netdevs; None when the agent did not answer (a busy agent while the guest unplugs
        or plugs: the next check tries again)."""
        self.checks += 1
        started = self.clock()
        try:
            return self.lister(self.domain)
        except LibvirtCollectionError as error:
            self.failed_checks += 1
            self.last_error = error.message
            return None
        finally:
            self.slowest_check_seconds = max(self.slowest_check_seconds, round(self.clock() - started, 3))

    def released(self):
        if not self.primaries:
            return False
        if self.counted_macs is not None:
            return self._released_by_count()
        names = self._netdevs()
        if names is None or any(primary in names for primary in self.primaries):
            return False
        self.released_names = names
        return True

    def _released_by_count(self):
        self.checks += 1
        try:
            listing = self.mac_lister(self.domain)
        except LibvirtCollectionError as error:
            self.failed_checks += 1
            self.last_error = error.message
            return False
        if any(sum(1 for m in listing.values() if m == mac) > 2 for mac in self.counted_macs):
            return False
        self.released_names = set(listing)
        return True

    def returned(self):
        """After released(): whether a netdev the guest did not have then has appeared (the VF plugged back, which
        net_failover enslaves as it registers, by its MAC). False while the guest agent does not answer."""
        if self.released_names is None:
            return False
        names = self._netdevs()
        return names is not None and bool(set(names) - set(self.released_names))

    def summary(self):
        """What the watch saw, for a module's result: how often it asked, and how long the slowest answer took."""
        return {"primary": self.primary, "checks": self.checks, "failed_checks": self.failed_checks,
                "slowest_check_seconds": self.slowest_check_seconds, "last_error": self.last_error}


class ArrivalWatch:
    """Tells, cheaply enough to ask every few tens of milliseconds, whether a netdev with the pair's MAC has appeared in
    the guest since the watch began (one guest-network-get-interfaces call per check, no process in the guest).

    net_failover enslaves a PCI netdev with the failover master's MAC as the netdev registers, and from then on drops
    what the standby brings: its appearance is the moment inbound frames must take the VF's path, well before a full
    sysfs walk can show it. A netdev with another MAC (a VF whose MAC is wrong) does not count. ``active`` is False when
    the first listing failed: the caller then relies on full reads.
    """

    def __init__(self, domain, mac, lister=None):
        self.domain = domain
        self.mac = (mac or "").lower()
        self.lister = lister or guest_agent.netdev_macs
        self.checks = 0
        self.arrived_name = None
        try:
            listing = self.lister(domain)
        except LibvirtCollectionError:
            listing = None
        self.before = set(listing) if listing is not None else None
        # netdevs with the pair's MAC already there: the failover master and the standby, and a third when the VF is in
        # (or a VLAN on the master): then there is nothing left to watch for
        self.sharing_mac = sum(1 for mac in (listing or {}).values() if mac == self.mac)
        self.active = self.before is not None and bool(self.mac)

    def arrived(self):
        if not self.active or self.arrived_name:
            return bool(self.arrived_name)
        self.checks += 1
        try:
            found = self.lister(self.domain)
        except LibvirtCollectionError:
            return False  # a busy agent while the guest plugs the VF: the next check asks again
        new = sorted(name for name, mac in found.items() if name not in self.before and mac == self.mac)
        self.arrived_name = new[0] if new else None
        return bool(self.arrived_name)


VERIFY_ARGUMENT_SPEC = {
    "verify_states": {"type": "list", "elements": "str", "choices": STATE_NAMES, "default": []},
    "verify_timeout": {"type": "float", "default": 30.0},
    # guest/levels.CHOICES (guest/reading.py reads it; levels imports nothing of this module's)
    "verify_level": {"type": "str", "choices": ["auto", "full", "interfaces", "none"], "default": "auto"},
}


def verify_after_change(domain, params, check_mode, result, what="the change", reader_factory=None, macs=None, expectation=None,
                        reading_factory=None):
    """The guest check a step module runs after its change (options of the guest_verify doc fragment).

    Every failover pair of the guest must reach one of verify_states, or each pair of ``macs`` (the pair the step
    changed, when the guest has several). Sets ``result["guest"]`` to the observation (None when no states were asked
    for, or in check mode, where nothing changed). Raises LibvirtCollectionError, carrying ``result``, saying what was
    done and what the guest shows instead. ``expectation`` (a step's, migration/dance.py) replaces verify_states and
    judges the guest's moves on the way. ``reading_factory()`` gives the guest/reading.GuestReading of the module's
    verification level (called only when the guest is read); without it, the full level through ``reader_factory``.
    """
    result["guest"] = None
    expect = list(expectation.states) if expectation else params.get("verify_states") or []
    if not expect or check_mode:
        return result
    name = domain.name()
    allows, start = (expectation.allows, expectation.start) if expectation else (None, ())
    try:
        if reading_factory is not None:
            observation = reading_factory().observe(expect, params["verify_timeout"], macs=macs, allows=allows, start=start)
        else:
            observation = dict(observe((reader_factory or agent_reader)(domain), expect=expect, timeout=params["verify_timeout"],
                                       interval=0.25, domain=name, macs=macs, allows=allows, start=start), level="full")
    except LibvirtCollectionError as error:
        result["guest"] = guest_summary(error.result) if error.result else None
        raise LibvirtCollectionError(
            "After {0}, domain {1} did not reach {2}: {3}".format(what, name, " or ".join(expect), error.message),
            result=result) from error
    result["guest"] = guest_summary(observation)
    return result


def guest_summary(observation):
    """The part of an observation a step module returns as ``guest``."""
    keys = ("level", "state", "message", "failover", "pairs", "reads", "elapsed_seconds", "transitions")
    return {key: observation.get(key) for key in keys}
