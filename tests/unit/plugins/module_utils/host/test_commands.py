# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host commands: argv only, failures that say what was run, MAC normalisation."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host import commands as hc


@pytest.mark.parametrize("mac, expected", [
    ("52:54:00:6C:00:01", "52:54:00:6c:00:01"),
    ("52-54-00-6c-00-01", "52:54:00:6c:00:01"),
    (" 52:54:00:6c:00:01 ", "52:54:00:6c:00:01"),
    ("00:00:00:00:00:00", "00:00:00:00:00:00"),
])
def test_normalize_mac(mac, expected):
    assert hc.normalize_mac(mac) == expected


@pytest.mark.parametrize("mac", ["52:54:00:6c:00", "52:54:00:6c:00:01:02", "5254006c0001", "g2:54:00:6c:00:01", None])
def test_normalize_mac_refuses(mac):
    with pytest.raises(hc.LibvirtCollectionError, match=r"^vf_mac must be a MAC address such as"):
        hc.normalize_mac(mac, option="vf_mac")


def test_run_checked_passes_the_argv_list_and_returns_stdout():
    seen = []
    assert hc.run_checked(lambda argv: seen.append(argv) or (0, "out", ""), ("ip", "link"), "read") == "out"
    assert seen == [["ip", "link"]]


def test_run_checked_failure():
    with pytest.raises(hc.CommandError) as error:
        hc.run_checked(lambda argv: (2, "", "RTNETLINK answers: No such device\n"), ["ip", "link", "set"], "set the MAC")
    assert error.value.message == "Could not set the MAC: `ip link set` failed with exit code 2: RTNETLINK answers: No such device"
    assert error.value.result == {"rc": 2, "stderr": "RTNETLINK answers: No such device\n", "stdout": ""}


@pytest.mark.parametrize("text, expected", [("[]", []), ("", []), ('[{"a": 1}]', [{"a": 1}])])
def test_parse_json(text, expected):
    assert hc.parse_json(text, ["bridge"]) == expected


def test_parse_json_failure():
    with pytest.raises(hc.CommandError, match=r"`bridge -j fdb` printed no valid JSON"):
        hc.parse_json("Usage: bridge ...", ["bridge", "-j", "fdb"])
