# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Choosing the verification level from what the guest agent allows."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import levels
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

OPEN = {"guest-exec": True, "guest-exec-status": True, "guest-network-get-interfaces": True, "guest-get-osinfo": True}
NO_EXEC = dict(OPEN, **{"guest-exec": False})  # RHEL's default block list
ONLY_PING = {"guest-ping": True, "guest-network-get-interfaces": False}


@pytest.mark.parametrize("requested, commands, channel, level", [
    ("auto", OPEN, True, "full"),
    ("auto", NO_EXEC, True, "interfaces"),
    ("auto", ONLY_PING, True, "none"),
    ("auto", None, False, "none"),
    ("interfaces", OPEN, True, "interfaces"),
    ("none", None, True, "none"),
])
def test_the_level_chosen(requested, commands, channel, level):
    assert levels.choose(requested, commands, has_agent_channel=channel, domain="vm1")[0] == level


@pytest.mark.parametrize("requested, commands, message", [
    ("full", NO_EXEC, r"does not allow guest-exec, which the full level needs\. .*verify_level: interfaces"),
    ("interfaces", ONLY_PING, r"does not allow guest-network-get-interfaces, .*verify_level: none"),
    ("auto", None, r"does not answer, so the guest cannot be verified at the auto level\..*verify_level: none"),
    ("sometimes", OPEN, r"verify_level must be one of auto, full, interfaces, none"),
])
def test_a_level_the_agent_does_not_allow_is_refused_with_what_to_change(requested, commands, message):
    with pytest.raises(LibvirtCollectionError, match=message):
        levels.choose(requested, commands, domain="vm1")


WINDOWS = {"id": "mswindows", "name": "Microsoft Windows", "version-id": "2022"}


def test_a_windows_guest_is_verified_at_the_interfaces_level_and_told_what_it_needs():
    level, why = levels.choose("auto", OPEN, domain="win1", osinfo=WINDOWS)
    assert level == "interfaces" and "netkvm with the failover protocol driver" in why
    with pytest.raises(LibvirtCollectionError, match=r"does not allow a POSIX shell \(Windows guest\).*verify_level: interfaces"):
        levels.choose("full", OPEN, domain="win1", osinfo=WINDOWS)


def test_the_os_is_asked_only_of_an_agent_that_offers_it():
    class Domain:
        def name(self):
            return "vm1"
    assert levels.guest_os(Domain(), {"guest-get-osinfo": False}) == {}
