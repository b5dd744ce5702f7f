# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The destination's wait for a migrating domain: it arrives, it was there already, it never comes, it comes and goes."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.migration.incoming import wait_for_arrival
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import FakeDomain, libvirt, libvirt_error

RUNNING, PAUSED, SHUTOFF, ABSENT = 1, 3, 5, None


class Destination:
    """A destination whose domain vm1 is in one state per lookup, in order (the last repeats); ABSENT: not defined."""

    def __init__(self, *states):
        self.states = list(states)
        self.lookups = 0
        self.domain = FakeDomain()
        self.domain.state = lambda flags=0: [self.current, 1]

    def lookupByName(self, name):  # noqa: N802 - libvirt's name
        self.lookups += 1
        self.current = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if self.current is ABSENT:
            raise libvirt_error("Domain not found: no domain with matching name '{0}'".format(name), libvirt.VIR_ERR_NO_DOMAIN)
        return self.domain

    def getURI(self):  # noqa: N802
        return "qemu:///system"


class Clock:
    """Each call moves time on by ``step`` seconds: the waits end by their bounds, never by the machine's pace."""

    def __init__(self, step=1.0):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def wait(destination, timeout=300.0, appear_within=120.0):
    return wait_for_arrival(destination, "vm1", timeout, appear_within=appear_within, clock=Clock(), sleep=lambda _s: None)


def test_a_domain_that_migrates_in_is_returned_once_it_runs():
    destination = Destination(ABSENT, ABSENT, PAUSED, PAUSED, RUNNING)
    domain, waited, came_in = wait(destination)
    assert domain is destination.domain and came_in is True and destination.lookups == 5 and waited > 0


def test_a_domain_that_runs_here_already_is_returned_at_once():
    destination = Destination(RUNNING)
    _domain, _waited, came_in = wait(destination)
    assert came_in is False and destination.lookups == 1


@pytest.mark.parametrize("states", [(PAUSED, PAUSED, ABSENT), (SHUTOFF, PAUSED, SHUTOFF)],
                         ids=["the incoming domain is removed", "the destination's shut-off definition stays"])
def test_a_migration_that_fails_ends_the_wait_at_once(states):
    destination = Destination(*states)
    with pytest.raises(LibvirtCollectionError, match=r"came in at qemu:///system and went away again .*Nothing was changed"):
        wait(destination)
    assert destination.lookups == len(states)


@pytest.mark.parametrize("state", [ABSENT, SHUTOFF])
def test_a_domain_that_never_comes_ends_the_wait_at_the_appearance_bound(state):
    destination = Destination(state)
    with pytest.raises(LibvirtCollectionError, match=r"did not start arriving at qemu:///system within 10 s\. Nothing was changed"):
        wait(destination, appear_within=10.0)
    assert destination.lookups == 10


def test_a_migration_that_takes_too_long_ends_the_wait_at_the_timeout():
    destination = Destination(ABSENT, PAUSED)
    with pytest.raises(LibvirtCollectionError, match=r"did not arrive and run at qemu:///system within 30 s"):
        wait(destination, timeout=30.0)
