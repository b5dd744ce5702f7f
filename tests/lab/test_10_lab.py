# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab itself: hypervisors over SSH, a real net_failover guest, the probe, a plain live migration (refused with the
emulated VF, as with an assigned one; the seed's dance by hand without it)."""

import time
import xml.etree.ElementTree as ET

GUEST = "vm1"


def test_hypervisors_are_reached_over_ssh_as_distinct_hosts(lab):
    hypervisors = lab.facts["hypervisors"]
    assert hypervisors[:2] == ["hv1", "hv2"]  # NFLAB_HYPERVISORS: 2 to 4
    assert sorted(lab.inventory["all"]["children"]["hypervisors"]["hosts"]) == hypervisors
    names = {hv: lab.command(hv, "hostname")["stdout"] for hv in hypervisors}
    assert names == {hv: hv for hv in hypervisors}
    uuids = {hv: ET.fromstring(lab.command(hv, "virsh", "capabilities")["stdout"]).findtext("host/uuid") for hv in hypervisors}
    assert len(set(uuids.values())) == len(hypervisors)


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


def standby_tap(lab, hv):
    root = ET.fromstring(lab.command(hv, "virsh", "dumpxml", GUEST)["stdout"])
    return [i.find("target").get("dev") for i in root.iter("interface") if i.find("alias").get("name") == "ua-standby0"][0]


def test_a_plain_live_migration_with_the_vf_is_refused_as_for_an_assigned_vf(lab):
    """The hypervisors' libvirt hook (lab/hooks/qemu_hook.py) refuses the emulated VF, as libvirt refuses an assigned one."""
    refused = lab.ansible("hv1", "ansible.builtin.command", {"argv": [
        "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST, "qemu+tcp://198.51.100.12/system"]})
    assert refused["rc"] != 0 and "cannot migrate a domain with an assigned VF (ua-primary0" in refused["stderr"], refused
    assert GUEST in lab.command("hv1", "virsh", "list", "--name")["stdout"].split()
    assert GUEST not in lab.command("hv2", "virsh", "list", "--all", "--name")["stdout"].split()
    assert lab.failover("hv1", GUEST, expect=["steady"])["state"] == "steady"


def test_plain_live_migration_without_the_vf_keeps_the_failover_master(lab):
    """The seed's dance with virsh alone: the standby carries the guest across, the failover master stays."""
    lab.command("hv1", "virsh", "domif-setlink", GUEST, standby_tap(lab, "hv1"), "up")
    lab.command("hv1", "virsh", "detach-device-alias", GUEST, "ua-primary0", "--live")
    # DEVICE_REMOVED: the alias leaves the live XML once the guest's pciehp powered the slot off (5 s and more; a busy
    # guest takes longer), and only then may the domain migrate
    deadline = time.monotonic() + 180
    while "ua-primary0" in lab.command("hv1", "virsh", "dumpxml", GUEST)["stdout"]:
        assert time.monotonic() < deadline, "the guest did not release the VF within 180 s"
        time.sleep(1)
    assert lab.failover("hv1", GUEST, expect=["standby_only_up"], timeout=60)["state"] == "standby_only_up"
    lab.command("hv1", "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST,
                "qemu+tcp://198.51.100.12/system")
    assert GUEST not in lab.command("hv1", "virsh", "list", "--all", "--name")["stdout"].split()
    assert GUEST in lab.command("hv2", "virsh", "list", "--name")["stdout"].split()
    result = lab.failover("hv2", GUEST, expect=["standby_only_up"])
    assert result["failover"]["master"] and result["state"] == "standby_only_up", result
    assert lab.probe(GUEST, count=20)["received"] >= 20
    # back to hv1, where the other tests expect the guest, with its VF and the standby link down again
    lab.command("hv2", "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST,
                "qemu+tcp://198.51.100.11/system")
    primary_xml = lab.inventory["all"]["children"]["guests"]["hosts"][GUEST]["nflab_primary_xml"]
    lab.command("hv1", "virsh", "attach-device", GUEST, primary_xml, "--live")
    assert lab.failover("hv1", GUEST, expect=["armed"], timeout=60)["state"] == "armed"
    lab.command("hv1", "virsh", "domif-setlink", GUEST, standby_tap(lab, "hv1"), "down")
    assert lab.failover("hv1", GUEST, expect=["steady"])["state"] == "steady"
