# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab itself: hypervisors over SSH, a real net_failover guest, the probe, a plain live migration."""

import xml.etree.ElementTree as ET

GUEST = "vm1"


def test_hypervisors_are_reached_over_ssh_as_distinct_hosts(lab):
    names = {hv: lab.command(hv, "hostname")["stdout"] for hv in ("hv1", "hv2")}
    assert names == {"hv1": "hv1", "hv2": "hv2"}
    uuids = {hv: ET.fromstring(lab.command(hv, "virsh", "capabilities")["stdout"]).findtext("host/uuid") for hv in ("hv1", "hv2")}
    assert uuids["hv1"] != uuids["hv2"]


def test_guest_runs_net_failover_in_the_steady_state(lab):
    result = lab.failover("hv1", GUEST)
    failover = result["failover"]
    assert result["state"] == "steady", result
    facts = failover["facts"]
    assert failover["master"] and failover["standby"] and failover["primary"]
    assert facts["standby"]["carrier"] is False  # the standby link is down
    assert facts["primary"]["carrier"] is True and facts["primary"]["subsystem"] == "pci"
    netdevs = result["topology"]["netdevs"]
    assert netdevs[failover["standby"]]["master"] == failover["master"]
    assert netdevs[failover["primary"]]["master"] == failover["master"]
    assert netdevs[failover["standby"]]["standby_feature"] is True


def test_probe_reaches_the_guest(lab):
    summary = lab.probe(GUEST, count=20)
    assert summary["received"] >= 20


def test_plain_live_migration_keeps_the_failover_master(lab):
    lab.command("hv1", "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST,
                "qemu+tcp://198.51.100.12/system")
    assert GUEST not in lab.command("hv1", "virsh", "list", "--all", "--name")["stdout"].split()
    assert GUEST in lab.command("hv2", "virsh", "list", "--name")["stdout"].split()
    result = lab.failover("hv2", GUEST)
    assert result["failover"]["master"] and result["state"] == "steady", result
    assert lab.probe(GUEST, count=20)["received"] >= 20
    # back to hv1, where the other tests expect the guest
    lab.command("hv2", "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST,
                "qemu+tcp://198.51.100.11/system")
    assert lab.failover("hv1", GUEST, expect=["steady"])["state"] == "steady"
