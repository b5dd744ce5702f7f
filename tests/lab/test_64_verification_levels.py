# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verification levels (issue 16): a guest whose agent blocks guest-exec migrates at the interfaces level, both ways;
an explicit full level is refused for it before anything changes; the none level migrates the lab's guest unread.
A lying guest (a netdev of its own with a MAC it does not own, kernel parameter nflab.fake_mac) moves no FDB entry:
the hardened guest also claims another tenant's MAC, and that MAC's FDB entries stay as they were on both hypervisors
through its migrations; with its own pair's MAC the report is impossible and the migration is refused before any change.

vm1 is defined again on hv1 with the guest kernel parameter nflab.ga_block=guest-exec,guest-exec-status (the lab
guest's init starts qemu-ga with --block-rpcs, as RHEL's packaged agent does), and at the end booted again from its
original definition, steady, so that the next test file finds the lab as lab-up left it.
"""

import json
import time

import pytest

GUEST = "vm1"
BLOCKED = "guest-exec,guest-exec-status"
BOOT_TIMEOUT = 300  # a TCG boot on a busy machine
MIGRATE = {"vm": GUEST, "migrate_pf": "pf0"}
MAC = "52:54:00:6c:00:01"  # vm1's pair
FOREIGN_MAC = "52:54:00:6c:00:99"  # no guest of the lab owns it: another tenant's, with an FDB entry of its own


def boot(lab, definition):
    """vm1 from ``definition`` on hv1, wherever it ran; waits (bounded) until its agent lists the pair's 3 netdevs."""
    lab.start_afresh("hv1", GUEST, definition, MAC, BOOT_TIMEOUT)


def fdb_entries(lab, hv, mac):
    """Every FDB entry for ``mac`` on the hypervisor's bridges, as (port, bridge, state, flags)."""
    entries = json.loads(lab.command(hv, "bridge", "-j", "fdb", "show")["stdout"])
    return sorted((e.get("ifname"), e.get("master"), e.get("state", ""), ",".join(sorted(e.get("flags") or ())))
                  for e in entries if e.get("mac") == mac)


def boot_lying(lab, original, mac):
    """vm1 with a hardened agent and a netdev eth7 carrying ``mac``; waits until its agent lists eth7."""
    boot(lab, original.replace("</cmdline>", " nflab.ga_block={0} nflab.fake_mac={1}</cmdline>".format(BLOCKED, mac), 1))
    deadline = time.monotonic() + BOOT_TIMEOUT
    while not any(i.get("name") == "eth7" and i.get("hardware-address") == mac for i in lab.agent("hv1", GUEST, "guest-network-get-interfaces")):
        assert time.monotonic() < deadline, "vm1 never listed eth7 with " + mac
        time.sleep(2)


@pytest.fixture(scope="module")
def original(lab):
    assert lab.hypervisor_running(GUEST) == "hv1", "the lab promises vm1 on hv1"
    xml = lab.persistent_xml("hv1", GUEST)
    yield xml
    boot(lab, xml)
    assert lab.failover("hv1", GUEST, expect=["steady"], timeout=BOOT_TIMEOUT).get("state") == "steady"


@pytest.fixture(scope="module")
def hardened(lab, original):
    """vm1 booted with an agent that blocks guest-exec, and lying: its netdev eth7 claims FOREIGN_MAC, which has a
    static FDB entry on each hypervisor's pf0 (another tenant's). Yields those entries as they were."""
    boot_lying(lab, original, FOREIGN_MAC)
    enabled = {c["name"]: c["enabled"] for c in lab.agent("hv1", GUEST, "guest-info")["supported_commands"]}
    assert enabled["guest-exec"] is False and enabled["guest-network-get-interfaces"] is True
    for hv in ("hv1", "hv2"):
        lab.command(hv, "bridge", "fdb", "replace", FOREIGN_MAC, "dev", "pf0", "master", "static")
    foreign = {hv: fdb_entries(lab, hv, FOREIGN_MAC) for hv in ("hv1", "hv2")}
    assert all(foreign.values()), foreign
    yield foreign
    for hv in ("hv1", "hv2"):
        lab.command(hv, "bridge", "fdb", "del", FOREIGN_MAC, "dev", "pf0", "master")


def levels_of(report):
    """The level each step's own guest check read at (the steps that check the guest)."""
    return {step["step"]: step["verify_level"] for step in report["steps"] if step.get("verify_level")}


def test_an_explicit_full_level_is_refused_for_a_hardened_agent_and_nothing_changes(lab, hardened, tmp_path):
    before = lab.connect("hv1").lookupByName(GUEST).XMLDesc(0)
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv1", destination="hv2", migrate_verify_level="full"), tmp_path)
    assert run.rc != 0 and run.report is not None, run.output[-3000:]
    assert run.report["outcome"] == "refused", run.report
    # the report's message keeps the beginning and the end of preflight's (what to change)
    assert "--block-rpcs" in run.report["message"], run.report["message"]
    assert "verify_level: interfaces" in run.report["message"]
    assert lab.hypervisor_running(GUEST) == "hv1" and lab.connect("hv1").lookupByName(GUEST).XMLDesc(0) == before


@pytest.mark.parametrize("source, destination", [("hv1", "hv2"), ("hv2", "hv1")])
def test_a_hardened_guest_migrates_at_the_interfaces_level(lab, hardened, source, destination, tmp_path):
    handle = lab.start_probe(GUEST)
    run = lab.playbook("migrate.yml", dict(MIGRATE, source=source, destination=destination), tmp_path)
    probe = handle.stop()
    assert run.rc == 0 and run.report["outcome"] == "migrated", run.output[-4000:]
    assert run.report["verify_level"]["level"] == "interfaces", run.report["verify_level"]
    assert "guest-network-get-interfaces" in run.report["verify_level"]["why"]
    assert set(levels_of(run.report).values()) == {"interfaces"}, levels_of(run.report)
    assert lab.hypervisor_running(GUEST) == destination
    assert probe["received"] > 0 and probe["longest_gap_ms"] < 5000, probe  # reachable through the move
    # the guest's claim to another tenant's MAC moved nothing, and no step even named that MAC
    assert {hv: fdb_entries(lab, hv, FOREIGN_MAC) for hv in ("hv1", "hv2")} == hardened
    assert FOREIGN_MAC not in json.dumps(run.report).lower()


def test_the_none_level_migrates_without_reading_the_guest_and_says_so(lab, original, tmp_path):
    boot(lab, original)
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv1", destination="hv2", migrate_verify_level="none"), tmp_path)
    assert run.rc == 0 and run.report["outcome"] == "migrated", run.output[-4000:]
    assert run.report["verify_level"]["level"] == "none"
    assert set(levels_of(run.report).values()) == {"none"}
    assert lab.hypervisor_running(GUEST) == "hv2"
    # the guest, read now, is where the blind dance should have left it
    assert lab.failover("hv2", GUEST, expect=["steady"], timeout=60).get("state") == "steady"


def test_a_guest_reporting_a_fourth_netdev_with_its_pair_mac_is_refused_and_no_fdb_entry_moves(lab, original, tmp_path):
    boot_lying(lab, original, MAC)
    before = {hv: fdb_entries(lab, hv, MAC) for hv in ("hv1", "hv2")}
    definition = lab.connect("hv1").lookupByName(GUEST).XMLDesc(0)
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv1", destination="hv2"), tmp_path)
    assert run.rc != 0 and run.report is not None, run.output[-3000:]
    assert run.report["outcome"] == "refused", run.report
    assert "4 netdevs with the MAC " + MAC in run.report["message"], run.report["message"]
    assert {hv: fdb_entries(lab, hv, MAC) for hv in ("hv1", "hv2")} == before
    assert lab.hypervisor_running(GUEST) == "hv1" and lab.connect("hv1").lookupByName(GUEST).XMLDesc(0) == definition
