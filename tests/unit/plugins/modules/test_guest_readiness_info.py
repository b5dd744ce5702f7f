# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guest_readiness_info through its main(): a fake domain (the lab's pair), the guest agent replaced by the lab guest's
sysfs walk and audit outputs; each level, severities, and a guest agent that does not answer."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest import levels
from ansible_collections.netfailover.standby.plugins.module_utils.guest import readiness
from ansible_collections.netfailover.standby.plugins.module_utils.guest.audit import FINDING_IDS
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.modules import guest_readiness_info
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import MAC, FakeDomain, domain_xml

FIXTURES = Path(__file__).parents[1] / "module_utils" / "fixtures"
STEADY = parse_sysfs_walk((FIXTURES / "topologies" / "lab_steady__tcg_guest_on_hv1.txt").read_text())
CLEAN = (FIXTURES / "audit" / "lab__busybox_initramfs.txt").read_text()
UDHCPC_ON_VF = (FIXTURES / "audit" / "lab__busybox_udhcpc_on_vf.txt").read_text()
OPEN = {"guest-exec": True, "guest-exec-status": True, "guest-network-get-interfaces": True}
NO_EXEC = dict(OPEN, **{"guest-exec": False})


class Guest:
    """The domain and its agent: what guest-info allows, the sysfs walk, the audit's output; what was asked."""

    def __init__(self, monkeypatch, audit_text=CLEAN, commands=None, interfaces=None):
        commands = OPEN if commands is None else commands
        self.domain = FakeDomain(live=domain_xml())
        self.asked = []
        monkeypatch.setattr(guest_readiness_info, "get_domain", lambda _connection, name: self.domain)
        monkeypatch.setattr(levels, "enabled_commands", lambda _domain: commands)
        monkeypatch.setattr(guest_failover, "agent_reader", lambda _domain: self.walk)
        monkeypatch.setattr(readiness, "run_script", lambda _domain: self.script(audit_text))
        monkeypatch.setattr(guest_agent, "agent_command", lambda _domain, command, *args, **kwargs: self.agent(command, interfaces))

    def walk(self):
        self.asked.append("sysfs walk")
        return STEADY

    def script(self, text):
        self.asked.append("audit script")
        if isinstance(text, Exception):
            raise text
        return text

    def agent(self, command, interfaces):
        self.asked.append(command)
        return interfaces


def audit(run_module, **args):
    return run_module(guest_readiness_info.main, dict({"uri": "test:///default", "name": "vm1"}, **args))


def test_a_clean_guest_has_no_finding(run_module, monkeypatch):
    guest = Guest(monkeypatch)
    outcome = audit(run_module)
    result = outcome.result
    assert not outcome.failed and result["changed"] is False
    assert result["level"] == "full" and result["why"].startswith("auto: the agent allows guest-exec")
    assert result["findings"] == [] and result["unchecked"] == [] and result["refuse"] is False
    assert [(p["mac"], p["master"], p["standby"], p["primary"], p["state"]) for p in result["pairs"]] == [
        (MAC, "eth0", "eth1", "eth2", "steady")]
    assert result["guest"]["net_failover"] == "loaded"
    assert result["message"] == "vm1: the readiness audit (full level) found nothing that breaks failover."
    assert guest.asked == ["sysfs walk", "audit script"]


def test_findings_come_with_their_fix_and_do_not_fail_the_module(run_module, monkeypatch):
    Guest(monkeypatch, audit_text=UDHCPC_ON_VF)
    outcome = audit(run_module)
    result = outcome.result
    assert not outcome.failed and result["refuse"] is True
    assert [(f["id"], f["severity"], f["netdev"], f["mac"]) for f in result["findings"]] == [
        ("address_on_slave", "refuse", "eth2", MAC), ("dhcp_client_on_slave", "refuse", "eth2", MAC)]
    address = result["findings"][0]
    assert address["snippet"] == "ip addr del 192.0.2.77/24 dev eth2\n" and "put it on eth0" in address["fix"]
    assert result["pairs"][0]["findings"] == result["findings"]  # the one pair's own, with the same fields
    assert result["message"].startswith("vm1: the readiness audit (full level) found 2 problems: [refuse] address_on_slave on eth2: ")
    assert "Fix: stop that client and run the DHCP client on the failover master eth0 only (e.g. udhcpc -i eth0)" in result["message"]


@pytest.mark.parametrize("severities, expected, refuse", [
    ({"address_on_slave": "warn"}, [("address_on_slave", "warn"), ("dhcp_client_on_slave", "refuse")], True),
    ({"address_on_slave": "warn", "dhcp_client_on_slave": "warn"}, [("address_on_slave", "warn"), ("dhcp_client_on_slave", "warn")], False),
    ({"address_on_slave": "ignore", "dhcp_client_on_slave": "ignore"}, [], False),
])
def test_severities_over_the_defaults(run_module, monkeypatch, severities, expected, refuse):
    Guest(monkeypatch, audit_text=UDHCPC_ON_VF)
    result = audit(run_module, severities=severities).result
    assert [(f["id"], f["severity"]) for f in result["findings"]] == expected and result["refuse"] is refuse


def test_the_interfaces_level_judges_addresses_only_and_says_what_it_did_not_check(run_module, monkeypatch):
    listing = [{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{"ip-address": "127.0.0.1"}]},
               {"name": "eth0", "hardware-address": MAC, "ip-addresses": [{"ip-address": "192.0.2.11"}, {"ip-address": "fe80::1"}]},
               {"name": "eth1", "hardware-address": MAC, "ip-addresses": [{"ip-address": "fe80::2"}]},
               {"name": "eth2", "hardware-address": MAC.upper(), "ip-addresses": [{"ip-address": "192.0.2.77"}]}]
    guest = Guest(monkeypatch, commands=NO_EXEC, interfaces=listing)
    result = audit(run_module).result
    assert result["level"] == "interfaces" and guest.asked == ["guest-network-get-interfaces"]
    assert [(f["id"], f["netdev"], f["mac"]) for f in result["findings"]] == [("address_on_slave", None, MAC)]
    assert "2 netdevs with the MAC {0} carry addresses (eth0, eth2)".format(MAC) in result["findings"][0]["what"]
    assert {u["check"] for u in result["unchecked"]} == set(FINDING_IDS) - {"address_on_slave"}
    assert all("guest-exec" in u["why"] for u in result["unchecked"])
    assert result["pairs"] == [{"mac": MAC, "master": None, "standby": None, "primary": None, "state": None,
                                "netdevs": ["eth0", "eth1", "eth2"], "findings": result["findings"]}]
    assert result["guest"] == {} and "Not checked: config_matches_by_mac, " in result["message"]


def test_the_interfaces_level_without_an_address_on_a_slave(run_module, monkeypatch):
    listing = [{"name": n, "hardware-address": MAC, "ip-addresses": [{"ip-address": "192.0.2.11"}] if n == "eth0" else []}
               for n in ("eth0", "eth1", "eth2")]
    Guest(monkeypatch, commands=NO_EXEC, interfaces=listing)
    result = audit(run_module).result
    assert result["findings"] == [] and result["refuse"] is False and len(result["unchecked"]) == len(FINDING_IDS) - 1


def test_the_none_level_reads_nothing_and_says_so(run_module, monkeypatch):
    guest = Guest(monkeypatch)
    result = audit(run_module, verify_level="none").result
    assert guest.asked == [] and result["level"] == "none" and result["findings"] == []
    assert result["unchecked"] == [{"check": "audit", "why": "verify level none: the guest is not read"}]
    assert result["message"] == "vm1: the readiness audit (none level) did not read the guest: asked for"


def test_an_agent_that_does_not_answer_fails_after_the_timeout(run_module, monkeypatch):
    guest = Guest(monkeypatch, audit_text=guest_agent.GuestAgentError("Guest agent is not responding"))
    outcome = audit(run_module, verify_level="full", timeout=0)
    assert outcome.failed and outcome.result["msg"].startswith("Guest agent is not responding (waited ")
    assert guest.asked == ["sysfs walk", "audit script"]
