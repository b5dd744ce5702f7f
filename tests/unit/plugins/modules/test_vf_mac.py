# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vf_mac through its main(): the exact argv given to AnsibleModule.run_command, and the no-VF error of the lab's pf0."""

import json
from pathlib import Path

import pytest

from ansible.module_utils import basic

from ansible_collections.netfailover.standby.plugins.modules import vf_mac

SAMPLES = Path(__file__).parents[1] / "module_utils" / "fixtures" / "iproute2"


@pytest.fixture
def host(monkeypatch):
    state = {"link": (SAMPLES / "ip_link_sriov_pf.json").read_text(), "commands": []}

    def run_command(_module, argv, **_kwargs):
        state["commands"].append(argv)
        if argv[1:4] == ["-j", "link", "show"]:
            return 0, state["link"], ""
        link = json.loads(state["link"])
        link[0]["vfinfo_list"][int(argv[6])]["address"] = argv[8]
        state["link"] = json.dumps(link)
        return 0, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda _module, name, required=False: "/sbin/" + name)
    return state


@pytest.mark.parametrize("args, changed, sets", [
    ({"vf": 1, "mac": "52:54:00:00:12:53"}, True, [["/sbin/ip", "link", "set", "dev", "enp66s0f0", "vf", "1", "mac", "52:54:00:00:12:53"]]),
    ({"vf": 0, "mac": "52:54:00:00:12:53"}, False, []),
    ({"vf": 0, "state": "absent"}, True, [["/sbin/ip", "link", "set", "dev", "enp66s0f0", "vf", "0", "mac", "00:00:00:00:00:00"]]),
    ({"vf": 0, "state": "absent", "_ansible_check_mode": True}, True, []),
])
def test_vf_mac(run_module, host, args, changed, sets):
    outcome = run_module(vf_mac.main, dict(pf="enp66s0f0", _ansible_diff=True, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is changed
    assert [c for c in host["commands"] if "set" in c] == sets
    assert outcome.result["diff"]["after"]["mac"] == outcome.result["mac"]


def test_the_lab_pf_has_no_vfs(run_module, host):
    host["link"] = (SAMPLES / "ip_link_veth_no_vfs.json").read_text()
    outcome = run_module(vf_mac.main, dict(pf="pf0", vf=5, mac="52:54:00:6c:00:01"))
    assert outcome.failed
    assert outcome.result["msg"].startswith("pf0 has no VF 5: pf0 reports no VFs")
    assert [c for c in host["commands"] if "set" in c] == []


def test_mac_is_required_when_present(run_module, host):
    outcome = run_module(vf_mac.main, dict(pf="enp66s0f0", vf=1))
    assert outcome.failed and "state is present but all of the following are missing: mac" in outcome.result["msg"]
