# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A guest with two STANDBY pairs and a guest with an extra PCI NIC migrate hv1 -> hv2 and back (issue 14).

Both are defined on hv1 from vm1's definition (test_30's fresh_domain) and started:
- vmp2: pair A as vm1's (virtio ua-standby0 link down on br0, emulated VF ua-primary0 on esw0 on root port 8) and pair B
  (virtio ua-standby1, emulated VF ua-primary1 on esw0 on its own root port 9), another MAC;
- vmp1: one pair plus ua-mgmt0, a NIC of another MAC on br0 on its own root port, in no pair. It is a vmxnet3, the lab
  VF's own model, so that only its MAC tells it from a VF: an e1000e would be invisible to the guest (the lab guest's
  cloud kernel has no e1000e driver).
The guest's init puts its address on the master whose MAC is nflab.mac (pair A's). The lab's hypervisors refuse to
migrate a domain that still has an emulated VF (lab/hooks/qemu_hook.py), so a migration that succeeds proves every VF was taken
out first. Each migration (playbooks/migrate.yml) is judged per pair: the outcome and the report's pairs, every pair
steady at the end where the guest runs (guest_failover_info pairs), the destination's persistent definition with every
pair's VF, and the guest reachable at its address. The test domains are destroyed and undefined at the end.
"""

import json
import time
import xml.etree.ElementTree as ET

import pytest

from test_30_configure import fresh_domain

OTHER = {"hv1": "hv2", "hv2": "hv1"}
MAC_A, MAC_B, MAC_P1, MAC_MGMT = "52:54:00:6c:85:21", "52:54:00:6c:85:22", "52:54:00:6c:85:11", "52:54:00:6c:85:1e"
ROOT_PORT_9 = ("<controller type='pci' index='9' model='pcie-root-port'>"
               "<address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/></controller>")


def standby(mac, alias):
    return ("<interface type='bridge'><mac address='{0}'/><source bridge='br0'/><model type='virtio'/>"
            "<teaming type='persistent'/><link state='down'/><alias name='{1}'/></interface>").format(mac, alias)


def pci_nic(mac, alias, bridge, bus):
    """An emulated PCI NIC (vmxnet3) on its own root port: the lab's VF on esw0, or a NIC of no pair."""
    return ("<interface type='bridge'><mac address='{0}'/><source bridge='{2}'/><model type='vmxnet3'/><rom enabled='no'/>"
            "<alias name='{1}'/><address type='pci' domain='0x0000' bus='{3}' slot='0x00' function='0x0'/></interface>").format(
                mac, alias, bridge, bus)


# name: address, the MAC that carries it, the pairs {MAC: (standby alias, primary alias)}, the devices added to vm1's
GUESTS = {
    "vmp2": {"address": "192.0.2.32", "mac": MAC_A,
             "pairs": {MAC_A: ("ua-standby0", "ua-primary0"), MAC_B: ("ua-standby1", "ua-primary1")},
             "devices": [standby(MAC_A, "ua-standby0"), pci_nic(MAC_A, "ua-primary0", "esw0", "0x08"), ROOT_PORT_9,
                         standby(MAC_B, "ua-standby1"), pci_nic(MAC_B, "ua-primary1", "esw0", "0x09")]},
    "vmp1": {"address": "192.0.2.31", "mac": MAC_P1,
             "pairs": {MAC_P1: ("ua-standby0", "ua-primary0")},
             "devices": [standby(MAC_P1, "ua-standby0"), pci_nic(MAC_P1, "ua-primary0", "esw0", "0x08"), ROOT_PORT_9,
                         pci_nic(MAC_MGMT, "ua-mgmt0", "br0", "0x09")]},
}
TIMINGS = {}


def guest_definition(lab_xml, name):
    spec = GUESTS[name]
    root = ET.fromstring(fresh_domain(lab_xml, name, spec["address"] + "/24"))
    cmdline = root.find("os/cmdline")
    cmdline.text += " nflab.mac=" + spec["mac"]  # the master that gets the address
    devices = root.find("devices")
    for device in spec["devices"]:
        devices.append(ET.fromstring(device))
    return ET.tostring(root, encoding="unicode")


def virsh(lab, hv, *argv):
    return lab.command(hv, "virsh", *argv)["stdout"]


def define(lab, hv, xml_text):
    result = lab.ansible(hv, "community.libvirt.virt", {"command": "define", "xml": xml_text})
    assert not result.get("failed"), result


def wait_steady(lab, hv, name, timeout=300):
    """guest_failover_info until every pair is steady, retried while the guest agent is not up yet (the module fails at
    once then); the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = lab.failover(hv, name, expect=["steady"], timeout=30)
        if result.get("state") == "steady" or time.monotonic() > deadline:
            return result
        time.sleep(1)


def pair_states(result):
    return {pair["mac"]: pair["state"] for pair in result.get("pairs", [])}


def aliases(xml_text):
    return sorted(i.find("alias").get("name") for i in ET.fromstring(xml_text).findall("devices/interface"))


@pytest.fixture(scope="module")
def guests(lab):
    """vmp2 and vmp1 defined on hv1, started and steady for every pair; destroyed and undefined wherever they are at the
    end, also when a test failed."""
    lab.remove(GUESTS)
    try:
        lab_xml = virsh(lab, "hv1", "dumpxml", "--inactive", "vm1")
        for name in GUESTS:
            define(lab, "hv1", guest_definition(lab_xml, name))
            virsh(lab, "hv1", "start", name)
        started = time.monotonic()
        for name in GUESTS:
            result = wait_steady(lab, "hv1", name)
            assert pair_states(result) == {mac: "steady" for mac in GUESTS[name]["pairs"]}, (name, result.get("msg"), result)
        TIMINGS["start to every pair steady (both guests)"] = round(time.monotonic() - started, 1)
        yield lab
    finally:
        lab.remove(GUESTS)
        print("\ntest_85_multi_pair timings (s): " + json.dumps(TIMINGS))


def migrate(lab, name, source, report_dir):
    started = time.monotonic()
    run = lab.playbook("migrate.yml", {"vm": name, "source": source, "destination": OTHER[source], "migrate_pf": "pf0"},
                       report_dir)
    TIMINGS["{0} {1} -> {2}".format(name, source, OTHER[source])] = round(time.monotonic() - started, 1)
    return run


def assert_migrated(lab, name, run, destination):
    """The outcome, per pair: the report, every pair steady on the destination, its persistent definition, reachability."""
    spec = GUESTS[name]
    assert run.report is not None, run.output[-6000:]
    assert run.rc == 0 and run.report["outcome"] == "migrated", (run.report.get("message"), run.output[-6000:])
    assert run.report["runs_on"] == destination and lab.hypervisor_running(name) == destination, run.report
    moved = {pair["mac"]: (pair["standby_alias"], pair["primary_alias"]) for pair in run.report["pairs"]}
    assert moved == spec["pairs"], run.report["pairs"]
    state = wait_steady(lab, destination, name, timeout=120)
    assert pair_states(state) == {mac: "steady" for mac in spec["pairs"]}, (state.get("msg"), state.get("pairs"))
    expected = sorted(alias for pair in spec["pairs"].values() for alias in pair) + (["ua-mgmt0"] if name == "vmp1" else [])
    assert aliases(virsh(lab, destination, "dumpxml", "--inactive", name)) == sorted(expected)  # a cold boot there has its VFs
    assert lab.probe(name, count=10, duration=20.0, address=spec["address"])["received"] >= 10


def test_both_guests_start_steady_for_every_pair(guests):
    """vmp1's extra NIC belongs to no pair: the guest sees it (another MAC) and it takes no pair's state."""
    result = guests.failover("hv1", "vmp1", expect=["steady"], timeout=30)
    assert [pair["mac"] for pair in result["pairs"]] == [MAC_P1], result["pairs"]
    topology = json.dumps(result["topology"])
    assert MAC_MGMT in topology, result["topology"]
    for name, spec in GUESTS.items():
        assert guests.probe(name, count=10, duration=20.0, address=spec["address"])["received"] >= 10, name


@pytest.mark.parametrize("name", list(GUESTS))
def test_migrates_to_hv2_and_back_verified_per_pair(guests, name, tmp_path):
    assert guests.hypervisor_running(name) == "hv1"
    there = migrate(guests, name, "hv1", tmp_path / "to-hv2")
    assert_migrated(guests, name, there, "hv2")
    back = migrate(guests, name, "hv2", tmp_path / "to-hv1")
    assert_migrated(guests, name, back, "hv1")
