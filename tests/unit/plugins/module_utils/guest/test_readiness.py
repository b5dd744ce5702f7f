# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The readiness audit of a domain (guest/readiness.py): severities checked first, the script through guest-exec, an
audit cut short, waiting for the agent, and the refusal's words."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest import readiness
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import GuestReading
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import MAC, FakeDomain, domain_xml

FIXTURES = Path(__file__).parents[1] / "fixtures"
STEADY = parse_sysfs_walk((FIXTURES / "topologies" / "lab_steady__tcg_guest_on_hv1.txt").read_text())
CLEAN = (FIXTURES / "audit" / "lab__busybox_initramfs.txt").read_text()
UDHCPC_ON_VF = (FIXTURES / "audit" / "lab__busybox_udhcpc_on_vf.txt").read_text()


@pytest.mark.parametrize("severities, error", [
    (None, None),
    ({}, None),
    ({"mtu_mismatch": "warn", "names_unstable_after_replug": "refuse", "address_on_slave": "ignore"}, None),
    ({"mtu": "warn"}, "severities: mtu is no finding of the readiness audit; its findings are address_on_slave, "),
    ({"mtu": "warn", "dhcp": "warn"}, "severities: dhcp, mtu are no findings of the readiness audit"),
    ({"mtu_mismatch": "error"}, "severities: a severity is warn, refuse or ignore (got mtu_mismatch: 'error'). Nothing was changed."),
    ({"mtu_mismatch": True}, "(got mtu_mismatch: True)"),
])
def test_severities_are_checked_before_anything_is_read(severities, error):
    if error is None:
        assert readiness.checked_severities(severities) == dict(severities or {})
    else:
        with pytest.raises(LibvirtCollectionError) as failure:
            readiness.checked_severities(severities)
        assert error in failure.value.message and failure.value.message.endswith("Nothing was changed.")


@pytest.mark.parametrize("answer, error", [
    ((0, CLEAN, ""), None),
    ((127, "", "/bin/sh: not found"), "The readiness audit printed nothing in domain vm1 (exit code 127): /bin/sh: not found"),
])
def test_the_script_runs_through_guest_exec(monkeypatch, answer, error):
    calls = []

    def execute(domain, path, arguments, timeout):
        calls.append((domain.name(), path, arguments[0], timeout))
        return answer
    monkeypatch.setattr(guest_agent, "execute", execute)
    if error:
        with pytest.raises(guest_agent.GuestAgentError, match=error.replace("(", r"\(").replace(")", r"\)")):
            readiness.run_script(FakeDomain())
    else:
        assert readiness.run_script(FakeDomain()) == CLEAN
    assert calls == [("vm1", "/bin/sh", "-c", readiness.SCRIPT_TIMEOUT)]


def full(domain=None):
    return GuestReading(domain or FakeDomain(live=domain_xml()), "full", "asked for", reader_factory=lambda _d: lambda: STEADY)


def test_an_audit_cut_short_says_that_its_end_was_not_checked():
    text = CLEAN.replace("=end yes\n", "")
    result = readiness.audit_domain(full(), script_runner=lambda _d: text)
    assert result["findings"] == [] and [u["check"] for u in result["unchecked"]] == ["incomplete"]
    assert result["message"] == ("vm1: the readiness audit (full level) found nothing that breaks failover. "
                                 "Not checked: incomplete (see unchecked).")


def test_the_pairs_are_the_definitions_not_the_guests():
    other = "52:54:00:6c:00:99"
    result = readiness.audit_domain(full(FakeDomain(live=domain_xml().replace(MAC, other))), script_runner=lambda _d: CLEAN)
    # the guest's pair has another MAC: the definition's pair is not negotiated in this guest
    assert [(p["mac"], p["state"]) for p in result["pairs"]] == [(other, "not_negotiated")]
    assert [f["id"] for f in result["findings"]] == ["standby_not_negotiated"] and result["refuse"] is True


def test_a_topology_already_read_is_not_read_again():
    def no_walk(_domain):
        raise AssertionError("the sysfs walk must not run again")
    reading = GuestReading(FakeDomain(live=domain_xml()), "full", "asked for", reader_factory=no_walk)
    result = readiness.audit_domain(reading, topology=STEADY, script_runner=lambda _d: UDHCPC_ON_VF)
    assert [f["id"] for f in result["findings"]] == ["address_on_slave", "dhcp_client_on_slave"]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize("silent_reads, timeout, error", [
    (2, 10.0, None),  # the agent answers on the third try
    (99, 5.0, "Guest agent is not connected (waited 6.0 s)"),
])
def test_waiting_for_an_agent_that_does_not_answer_yet(silent_reads, timeout, error):
    clock, tries = Clock(), []

    def script(_domain):
        tries.append(clock.now)
        if len(tries) <= silent_reads:
            raise guest_agent.GuestAgentError("Guest agent is not connected")
        return CLEAN

    def run():
        return readiness.audit_waiting(full(), timeout, interval=2.0, clock=clock, sleep=clock.sleep, script_runner=script)
    if error:
        with pytest.raises(LibvirtCollectionError, match=error.replace("(", r"\(").replace(")", r"\)")):
            run()
        assert tries == [0.0, 2.0, 4.0, 6.0]
    else:
        assert run()["findings"] == [] and tries == [0.0, 2.0, 4.0]


def test_the_refusal_names_each_refused_finding_with_its_netdev_and_fix_and_leaves_warnings_out():
    result = readiness.audit_domain(full(), severities={"address_on_slave": "warn"}, script_runner=lambda _d: UDHCPC_ON_VF)
    text = readiness.refusal(result, "vm1")
    assert text.startswith("vm1 is not migrated: the readiness audit of its guest (full level) found what breaks failover: "
                           "[refuse] dhcp_client_on_slave on eth2: udhcpc (pid 112: udhcpc -b -i eth2 ")
    assert "Fix: stop that client and run the DHCP client on the failover master eth0 only (e.g. udhcpc -i eth0)." in text
    assert "address_on_slave" not in text
    assert text.endswith("Fix the guest; to migrate anyway, make it a warning (migrate_audit_severities: {dhcp_client_on_slave: "
                         "warn}; migration_preflight's audit_severities) or turn the audit off (migrate_audit: false; audit: "
                         "false). Nothing was changed.")
