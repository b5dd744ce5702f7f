# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fdb_entry through its main(): AnsibleModule.run_command answers from a captured ``bridge -j fdb show``."""

import json
from pathlib import Path

import pytest

from ansible.module_utils import basic

from ansible_collections.netfailover.standby.plugins.modules import fdb_entry

SAMPLES = Path(__file__).parents[1] / "module_utils" / "fixtures" / "iproute2"
LEARNED = (SAMPLES / "bridge_fdb_pf0_learned.json").read_text()
PF_LINK = (SAMPLES / "ip_link_veth_no_vfs.json").read_text()
MAC = "52:54:00:6c:00:01"


@pytest.fixture
def host(monkeypatch):
    """The commands the module runs, answered like the lab's hv1 (the guest's MAC learned on pf0)."""
    state = {"fdb": json.loads(LEARNED), "commands": []}

    def run_command(_module, argv, **_kwargs):
        state["commands"].append(argv)
        if argv[1:4] == ["-j", "link", "show"]:
            return 0, PF_LINK, ""
        if argv[1:4] == ["-j", "fdb", "show"]:
            return 0, json.dumps(state["fdb"]), ""
        if argv[2] == "del":
            state["fdb"] = [e for e in state["fdb"] if e["mac"] != argv[3]]
        else:
            state["fdb"].append({"mac": argv[3], "flags": [], "master": "br0", "state": argv[7]})
        return 0, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda _module, name, required=False: "/usr/sbin/" + name)
    return state


@pytest.mark.parametrize("args, changed, commands", [
    ({"state": "absent"}, True, [["/usr/sbin/bridge", "fdb", "del", MAC, "dev", "pf0", "master"]]),
    ({"state": "absent", "_ansible_check_mode": True}, True, []),
    ({"state": "present", "flavour": "dynamic"}, False, []),
    ({"state": "present"}, True, [["/usr/sbin/bridge", "fdb", "replace", MAC, "dev", "pf0", "master", "static"]]),
])
def test_fdb_entry(run_module, host, args, changed, commands):
    outcome = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", _ansible_diff=True, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is changed
    assert [c for c in host["commands"] if "show" not in c] == commands
    assert "uri" not in outcome.result  # no libvirt options on this module
    assert set(outcome.result["diff"]) == {"before", "after"}


def test_absent_twice_is_ok_the_second_time(run_module, host):
    run_module(fdb_entry.main, dict(mac=MAC, port="pf0", state="absent"))
    second = run_module(fdb_entry.main, dict(mac=MAC, port="pf0", state="absent"))
    assert not second.failed and second.result["changed"] is False and second.result["entries_before"] == []


@pytest.mark.parametrize("args, message", [
    ({"mac": "52:54:00", "port": "pf0"}, "mac must be a MAC address"),
    ({"mac": MAC, "port": "pf0", "uri": "qemu:///system"}, "Unsupported parameters"),
    ({"mac": MAC, "port": "pf0", "flavour": "sticky"}, "value of flavour must be one of: static, permanent, dynamic"),
])
def test_clear_errors(run_module, host, args, message):
    outcome = run_module(fdb_entry.main, args)
    assert outcome.failed and message in outcome.result["msg"]
    assert [c for c in host["commands"] if "show" not in c] == []
