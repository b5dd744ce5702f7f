# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SR-IOV VFs by PCI identity: sysfs on a fake tree with the kernel's layout, the domains that use VFs in libvirt's
test driver (and a live XML sample for a VF allocated from a hostdev network), hostdev networks, reservations."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.virt.domain_xml import parse
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import FakeDomain, libvirt, libvirt_error


@pytest.fixture
def sysfs(tmp_path):
    return host.build_sysfs(tmp_path / "sys")


@pytest.fixture
def connection():
    """test:///default with the fake host's domains and networks (removed afterwards)."""
    conn = libvirt.open(host.TEST_URI)
    remove = host.define_host(conn)
    yield conn
    remove()
    conn.close()


# --- PCI addresses ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("0000:3b:02.1", "0000:3b:02.1"),
    ("0000:3B:02.1", "0000:3b:02.1"),
    ("3b:02.1", "0000:3b:02.1"),
    (" 0000:af:00.3 ", "0000:af:00.3"),
])
def test_normalize_pci(text, expected):
    assert sriov.normalize_pci(text) == expected


@pytest.mark.parametrize("text", ["3b:02", "0000:3b:02.8", "enp59s0f0", "", None, 5])
def test_not_a_pci_address(text):
    with pytest.raises(LibvirtCollectionError) as error:
        sriov.normalize_pci(text)
    assert error.value.message == "address must be a PCI address such as 0000:3b:02.1, not {0!r}.".format(text)


@pytest.mark.parametrize("xml, expected", [
    ("<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/>", "0000:3b:02.1"),
    ("<source><address domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/></source>", "0000:3b:02.1"),  # hostdev
    ("<address type='pci' domain='0x0001' bus='0xaf' slot='0x00' function='0x3'/>", "0001:af:00.3"),
    ("<address type='usb' bus='0' port='1'/>", None),
    ("<source network='vfpool'/>", None),
])
def test_pci_address_of(xml, expected):
    assert sriov.pci_address_of(ET.fromstring(xml)) == expected


# --- vf_identity ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address, expected", [
    ("0000:3b:02.1", {"address": "0000:3b:02.1", "pf": "enp59s0f0", "pf_netdevs": ["enp59s0f0"], "pf_address": "0000:3b:00.0",
                      "vf": 1, "netdev": None, "driver": "vfio-pci", "representor": None}),
    ("3B:02.0", {"address": "0000:3b:02.0", "pf": "enp59s0f0", "pf_netdevs": ["enp59s0f0"], "pf_address": "0000:3b:00.0",
                 "vf": 0, "netdev": "enp59s0f0v0", "driver": "iavf", "representor": None}),
    ("0000:3b:02.7", {"address": "0000:3b:02.7", "pf": "enp59s0f0", "pf_netdevs": ["enp59s0f0"], "pf_address": "0000:3b:00.0",
                      "vf": 7, "netdev": None, "driver": "vfio-pci", "representor": None}),
    # switchdev: the representors share the PF's net/ directory; the PF is the uplink, the VF's representor is found
    ("0000:af:00.3", {"address": "0000:af:00.3", "pf": "enp175s0f0np0", "pf_netdevs": ["enp175s0f0np0"],
                      "pf_address": "0000:af:00.0", "vf": 1, "netdev": "enp175s0f0v1", "driver": "mlx5_core",
                      "representor": "enp175s0f0npf0vf1"}),
])
def test_vf_identity(sysfs, address, expected):
    assert sriov.vf_identity(address, sysfs) == expected


def test_vf_identity_clear_errors(sysfs):
    cases = {
        "0000:3b:03.0": "No PCI device 0000:3b:03.0 on this host ({0}/bus/pci/devices/0000:3b:03.0 does not exist): check "
                        "the address (`lspci -D`, or the <source> of the domain's XML) and that the module runs on the "
                        "hypervisor that has this VF.",
        "0000:3b:00.0": "0000:3b:00.0 is not an SR-IOV VF: {0}/bus/pci/devices/0000:3b:00.0/physfn does not exist, so it is "
                        "a PF or a plain PCI device (this one is an SR-IOV PF; driver i40e, netdev enp59s0f0). Give the PCI "
                        "address of a VF (a PF lists its VFs as {0}/bus/pci/devices/0000:3b:00.0/virtfn*).",
        "0000:00:1f.6": "0000:00:1f.6 is not an SR-IOV VF: {0}/bus/pci/devices/0000:00:1f.6/physfn does not exist, so it is "
                        "a PF or a plain PCI device (this one is not SR-IOV capable; driver e1000e, netdev eno1). Give the "
                        "PCI address of a VF (a PF lists its VFs as {0}/bus/pci/devices/0000:00:1f.6/virtfn*).",
        "0000:5e:02.0": "The PF 0000:5e:00.0 of VF 0000:5e:02.0 has no network device ({0}/bus/pci/devices/0000:5e:00.0/net "
                        "is empty or missing; driver vfio-pci, no netdev): a VF's MAC is set through its PF's netdev. Is "
                        "the PF bound to vfio-pci or to no driver? Bind it to its NIC driver.",
        "eth0": "address must be a PCI address such as 0000:3b:02.1, not 'eth0'.",
    }
    for address, message in cases.items():
        with pytest.raises(LibvirtCollectionError) as error:
            sriov.vf_identity(address, sysfs)
        assert error.value.message == message.format(sysfs), address


# --- pf_vfs ----------------------------------------------------------------------------------------------------------------


def test_pf_vfs(sysfs):
    assert sriov.pf_vfs("enp59s0f0", sysfs) == [{"pf": "enp59s0f0", "vf": n, "address": "0000:3b:02.{0}".format(n)}
                                                for n in range(8)]
    assert sriov.pf_vfs("enp175s0f0np0", sysfs) == [{"pf": "enp175s0f0np0", "vf": 0, "address": "0000:af:00.2"},
                                                    {"pf": "enp175s0f0np0", "vf": 1, "address": "0000:af:00.3"}]


@pytest.mark.parametrize("pf, message", [
    ("enp59s0f1", "enp59s0f1 has SR-IOV disabled: 0 of its 64 VFs are enabled. Enable them by writing their number to "
                  "{0}/class/net/enp59s0f1/device/sriov_numvfs (for example `echo 8 > {0}/class/net/enp59s0f1/device/"
                  "sriov_numvfs`; make it persistent with a udev rule or your network configuration)."),
    ("eno1", "eno1 is not an SR-IOV PF: {0}/class/net/eno1/device/sriov_totalvfs does not exist (its NIC or driver has no "
             "SR-IOV)."),
    ("enp59s0f0v0", "enp59s0f0v0 is not an SR-IOV PF: {0}/class/net/enp59s0f0v0/device/sriov_totalvfs does not exist (it "
                    "is itself a VF of 0000:3b:00.0)."),
    ("pf0", "pf0 is not an SR-IOV PF: it is not a PCI device ({0}/class/net/pf0/device does not exist; a bridge, bond, "
            "veth or other virtual device)."),
    ("enp9s0", "No network device enp9s0 on this host ({0}/class/net/enp9s0 does not exist): check the PF's name with "
               "`ip link`."),
])
def test_pf_vfs_clear_errors(sysfs, pf, message):
    with pytest.raises(LibvirtCollectionError) as error:
        sriov.pf_vfs(pf, sysfs)
    assert error.value.message == message.format(sysfs)


# --- which domain uses which VF -------------------------------------------------------------------------------------------


def test_vf_owners_in_the_test_driver(connection):
    """Defined (db1, db2: persistent XML only), running (web1), transient (tr1: live XML only); vm1's network interface
    claims no VF while vm1 is shut off."""
    assert sriov.vf_owners(connection) == {
        "0000:3b:02.1": ["db1", "db2"],
        "0000:3b:02.2": ["web1"],
        "0000:3b:02.3": ["tr1"],
        "0000:65:00.0": ["db2"],
    }


def test_the_live_xml_shows_the_vf_allocated_from_a_hostdev_network():
    persistent = (host.SAMPLES / "domain_pool1_persistent.xml").read_text()
    live = (host.SAMPLES / "domain_pool1_live.xml").read_text()
    assert sriov.assigned_pci_addresses(parse(persistent)) == []  # <source network='vfpool'/>, a USB hostdev
    assert sriov.assigned_pci_addresses(parse(live)) == ["0000:3b:02.6"]


def test_the_status_xml_actual_element_counts_too():
    status = ("<domain><devices><interface type='network'><mac address='52:54:00:6c:00:31'/><source network='vfpool'/>"
              "<actual type='hostdev' managed='yes'><driver name='vfio'/><source><address type='pci' domain='0x0000' "
              "bus='0x3b' slot='0x02' function='0x6'/></source></actual></interface>"
              "<interface type='network'><source network='default'/><actual type='bridge'><source bridge='virbr0'/>"
              "</actual></interface></devices></domain>")
    assert sriov.assigned_pci_addresses(parse(status)) == ["0000:3b:02.6"]


class Connection:
    def __init__(self, domains):
        self.domains = domains

    def listAllDomains(self, flags):  # noqa: N802 - libvirt's name
        assert flags == 0
        return self.domains


def test_vf_owners_reads_persistent_and_live_xml_with_their_flags():
    live = (host.SAMPLES / "domain_pool1_live.xml").read_text()
    persistent = (host.SAMPLES / "domain_pool1_persistent.xml").read_text()
    pool1 = FakeDomain("pool1", live=live, persistent=persistent)
    hotplugged = FakeDomain("web2", live=host.domain_xml("web2", host.hostdev(host.VFS[7])), persistent=host.domain_xml("web2", ""))
    gone = FakeDomain("gone")
    gone.errors["XMLDesc"] = libvirt_error("Domain not found", libvirt.VIR_ERR_NO_DOMAIN)  # undefined since the listing
    off = FakeDomain("off", persistent=host.domain_xml("off", host.hostdev(host.VFS[7])), active=False)
    assert sriov.vf_owners(Connection([pool1, hotplugged, gone, off])) == {"0000:3b:02.6": ["pool1"],
                                                                           "0000:3b:02.7": ["off", "web2"]}
    assert [call for call in pool1.calls if call[0] == "XMLDesc"] == [("XMLDesc", 2), ("XMLDesc", 0)]
    assert [call for call in off.calls if call[0] == "XMLDesc"] == [("XMLDesc", 2)]


def test_vf_owners_reports_other_libvirt_errors():
    broken = FakeDomain("broken")
    broken.errors["XMLDesc"] = libvirt_error("cannot read", libvirt.VIR_ERR_INTERNAL_ERROR)
    with pytest.raises(LibvirtCollectionError, match="Could not read the XML of domain broken: cannot read"):
        sriov.vf_owners(Connection([broken]))


# --- hostdev networks -----------------------------------------------------------------------------------------------------


def test_hostdev_network_with_a_pf(connection, sysfs):
    assert sriov.hostdev_network_vfs(connection, "vfpool", sysfs) == sriov.pf_vfs("enp59s0f0", sysfs)


def test_hostdev_network_with_addresses(connection, sysfs):
    assert sriov.hostdev_network_vfs(connection, "vflist", sysfs) == [
        {"pf": "enp59s0f0", "vf": 6, "address": "0000:3b:02.6"}, {"pf": "enp59s0f0", "vf": 7, "address": "0000:3b:02.7"}]


@pytest.mark.parametrize("name, message", [
    ("nope", "Network 'nope' not found at test:///default. Networks defined there: default, vfempty, vflist, vfpool, "
             "vfpool-off. Check the name (`virsh net-list --all`)."),
    ("vfpool-off", "Network vfpool-off is defined but not active, so libvirt allocates no VF from it: start it with "
                   "`virsh net-start vfpool-off` (and `virsh net-autostart vfpool-off` for the next boot)."),
    ("default", "Network default is not a VF pool: its forward mode is nat, not hostdev (a VF pool has <forward "
                "mode='hostdev'> with <pf dev='...'/> or <address type='pci' .../> entries)."),
    ("vfempty", "Network vfempty lists no VFs: its <forward mode='hostdev'> has neither <pf dev='...'/> nor "
                "<address type='pci' .../> entries."),
])
def test_hostdev_network_clear_errors(connection, sysfs, name, message):
    with pytest.raises(LibvirtCollectionError) as error:
        sriov.hostdev_network_vfs(connection, name, sysfs)
    assert error.value.message == message


# --- reservations and free VFs --------------------------------------------------------------------------------------------


def test_reservations(tmp_path):
    locks = host.build_reservations(tmp_path / "locks")
    (tmp_path / "locks" / "vf-0000:3B:02.6").mkdir()  # no owner file; the address is normalised
    assert sriov.reservations(locks) == {"0000:3b:02.5": "vm2", "0000:3b:02.6": None}
    assert sriov.reservations(str(tmp_path / "missing")) == {}


def test_free_vfs(sysfs, connection, tmp_path):
    vfs = sriov.pf_vfs("enp59s0f0", sysfs)
    owners = sriov.vf_owners(connection)
    reserved = sriov.reservations(host.build_reservations(tmp_path / "locks"))
    assert [vf["vf"] for vf in sriov.free_vfs(vfs, owners)] == [0, 4, 5, 6, 7]
    assert [vf["vf"] for vf in sriov.free_vfs(vfs, owners, reserved)] == [0, 4, 6, 7]
    assert [vf["vf"] for vf in sriov.free_vfs(vfs, dict(owners, **{"0000:3b:02.6": ["pool1"]}), ["0000:3b:02.0"])] == [4, 5, 7]


def test_vf_table():
    vfs = [{"pf": "enp59s0f0", "vf": n, "address": host.VFS[n]} for n in (1, 4, 5)]
    macs = {"enp59s0f0": {1: "00:00:00:00:00:00", 4: host.STALE_MAC}}
    rows = sriov.vf_table(vfs, {host.VFS[1]: ["db1", "db2"]}, {host.VFS[5]: "vm2"}, macs)
    assert rows == [
        {"pf": "enp59s0f0", "vf": 1, "address": "0000:3b:02.1", "mac": "00:00:00:00:00:00", "owners": ["db1", "db2"],
         "reserved": False, "reserved_by": None, "free": False},
        {"pf": "enp59s0f0", "vf": 4, "address": "0000:3b:02.4", "mac": host.STALE_MAC, "owners": [], "reserved": False,
         "reserved_by": None, "free": True},
        {"pf": "enp59s0f0", "vf": 5, "address": "0000:3b:02.5", "mac": None, "owners": [], "reserved": True,
         "reserved_by": "vm2", "free": False},
    ]


# --- the VFs of one domain (how the migrate role tells a VF at a fixed address from a pool's) ----------------------------


def pool1(active=True):
    return FakeDomain("pool1", live=(host.SAMPLES / "domain_pool1_live.xml").read_text(),
                      persistent=(host.SAMPLES / "domain_pool1_persistent.xml").read_text(), active=active)


def test_a_running_pool_vf_is_kind_network_with_the_vf_it_got(sysfs):
    """The running domain's XML shows the pool VF as type='hostdev': only the definition says it is the pool's."""
    devices = sriov.domain_vfs(pool1(), sysfs)
    assert [{k: d[k] for k in ("alias", "kind", "network", "address", "pf", "vf", "identity_error")} for d in devices] == [
        {"alias": "ua-primary0", "kind": "network", "network": "vfpool", "address": "0000:3b:02.6", "pf": host.PF, "vf": 6,
         "identity_error": None}]
    xml = ET.fromstring(devices[0]["xml"])  # attached again by network, so that libvirt allocates from the pool
    assert xml.get("type") == "network" and xml.find("source").get("network") == "vfpool"


def test_a_pool_vf_of_a_domain_that_is_not_running_has_no_address(sysfs):
    devices = sriov.domain_vfs(pool1(active=False), sysfs)
    assert [(d["kind"], d["address"], d["pf"]) for d in devices] == [("network", None, None)]


def test_fixed_vfs_with_their_identity_and_a_vf_this_host_has_not(sysfs):
    devices = (host.hostdev_interface(host.VFS[2], "52:54:00:00:02:02").replace("</interface>", "<alias name='ua-primary0'/></interface>")
               + host.hostdev("0000:3b:0a.1").replace("</hostdev>", "<alias name='ua-gpu0'/></hostdev>")
               + "<interface type='bridge'><source bridge='br0'/><model type='virtio'/><alias name='ua-standby0'/></interface>")
    domain = FakeDomain("web1", live=host.domain_xml("web1", devices))
    found = {d["alias"]: d for d in sriov.domain_vfs(domain, sysfs)}
    assert sorted(found) == ["ua-gpu0", "ua-primary0"]  # the virtio standby is no VF
    assert (found["ua-primary0"]["kind"], found["ua-primary0"]["pf"], found["ua-primary0"]["vf"]) == ("hostdev", host.PF, 2)
    assert found["ua-gpu0"]["pf"] is None and "No PCI device 0000:3b:0a.1 on this host" in found["ua-gpu0"]["identity_error"]


def test_a_network_interface_on_a_network_that_is_no_pool_is_left_out(sysfs):
    nat = "<interface type='network'><source network='default'/><model type='virtio'/><alias name='ua-net0'/></interface>"
    domain = FakeDomain("nat1", live=host.domain_xml("nat1", nat))
    assert sriov.domain_vfs(domain, sysfs) == []
