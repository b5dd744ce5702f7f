# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SR-IOV definitions through the migrate role's preflight and planning, judged by libvirt itself (issue 14).

The lab has no SR-IOV NIC, so each hypervisor gets a fake sysfs tree with the kernel's layout (tests/unit/plugins/
sriov_host.py: PF enp59s0f0 with VF n at 0000:3b:02.n) under the lab's state folder, which the modules read through their
sysfs_root option. On hv1, two domains that are never started (starting needs the hardware), each with a VNC password
and a STANDBY pair: vmsrh's primary is a VF at a fixed address (<interface type='hostdev'> at 0000:3b:02.1, teamed with
the standby), vmsrn's comes from the VF pool vfpool (<interface type='network'>). The modules the preflight runs are run
on the hypervisors: vf_info tells the two kinds apart on hv1 and names a VF's owner, vf_reservation reserves hv2's first
free VF (idempotent, refused with the owners named when none is free, released). The destination definitions are planned
as the role and live_migrate plan them (vf_device_at, migration.replace_devices on the secure, migratable persistent
definition) and defined on hv2 with `virsh define --validate`: libvirt accepts them and keeps the VF chosen there, the
VNC password and the pool interface.

What libvirtd cannot do here: a hostdev network of <address> entries is refused at definition (libvirt checks in sysfs
that each is a VF) and one of <pf dev='enp59s0f0'/> is defined but cannot start (no VFs in the real sysfs), so on the
real libvirtd vfpool stays inactive and vf_info refuses it; vf_info's pool listing runs on hv2 against libvirt's test
driver loaded with such a pool. vf_mac cannot run (it reads the real sysfs and the PF through `ip`): the refusal of a VF
another domain owns is shown through vf_info and vf_reservation.
"""

import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import LAB_STATE, REPO
from test_30_configure import fresh_domain

sys.path.insert(0, os.environ.get("NFS_COLLECTIONS_ROOT", "/var/cache/netfailover.standby/collections"))
# pylint: disable=wrong-import-position
from ansible_collections.netfailover.standby.plugins.filter.vf_device import vf_device_at  # noqa: E402
from ansible_collections.netfailover.standby.plugins.module_utils.migration.transfer import replace_devices  # noqa: E402

_SPEC = importlib.util.spec_from_file_location("sriov_host", REPO / "tests" / "unit" / "plugins" / "sriov_host.py")
sriov_host = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sriov_host)

PF = sriov_host.PF  # enp59s0f0: VF n is 0000:3b:02.n
HOSTDEV_VM, POOL_VM = "vmsrh", "vmsrn"
POOL = "vfpool"
PASSWORD = "s3cret80"  # VNC: at most 8 characters
ALIAS = "ua-primary0"
FIXED_VF = "0000:3b:02.1"
FIRST_FREE_VF = "0000:3b:02.0"
WORK = LAB_STATE / "test_80"  # the hypervisors see the machine's /var/lib
SYSFS = {hv: str(WORK / "fake-sysfs" / hv) for hv in ("hv1", "hv2")}
RESERVATIONS = str(WORK / "vf-reservations")
TEST_NODE = WORK / "test-driver-node.xml"
TIMINGS = {}

STANDBY = """<interface type='bridge'><mac address='{mac}'/><source bridge='br0'/><model type='virtio'/>
<teaming type='persistent'/><link state='down'/><alias name='ua-standby0'/></interface>"""
GUEST_SIDE = "<teaming type='transient' persistent='ua-standby0'/><alias name='ua-primary0'/>" \
             "<address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/>"
PRIMARIES = {
    HOSTDEV_VM: ("<interface type='hostdev' managed='yes'><mac address='{mac}'/><source><address type='pci' domain='0x0000' "
                 "bus='0x3b' slot='0x02' function='0x1'/></source>" + GUEST_SIDE + "</interface>"),
    POOL_VM: "<interface type='network'><mac address='{mac}'/><source network='vfpool'/>" + GUEST_SIDE + "</interface>",
}
MACS = {HOSTDEV_VM: "52:54:00:6c:80:01", POOL_VM: "52:54:00:6c:80:02"}
ADDRESSES = {HOSTDEV_VM: "192.0.2.41/24", POOL_VM: "192.0.2.42/24"}
POOL_NETWORK = "<network><name>vfpool</name><forward mode='hostdev' managed='yes'><pf dev='{0}'/></forward></network>".format(PF)
# libvirt's test driver with the pool as a list of VFs (libvirtd refuses that definition here) and a domain on one of them
TEST_DRIVER_NODE = """<node>
  <network><name>vfpool</name><forward mode='hostdev' managed='yes'>
    <address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x6'/>
    <address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x7'/>
  </forward></network>
  <domain type='test'><name>pool1</name><memory>65536</memory><os><type>hvm</type></os><devices>
    <interface type='hostdev' managed='yes'><mac address='52:54:00:6c:80:06'/>
      <source><address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x6'/></source></interface>
  </devices></domain>
</node>
"""


class timed:  # pylint: disable=invalid-name,too-few-public-methods
    """Record how long the block took (printed at the end of the module)."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        self.started = time.monotonic()

    def __exit__(self, *_exc):
        TIMINGS[self.what] = round(time.monotonic() - self.started, 2)


def ok(result):
    assert not result.get("failed"), result
    return result


def virsh(lab, hv, *argv):
    return lab.command(hv, "virsh", *argv)["stdout"]


def define_file(lab, hv, xml_text, validate=True):
    """virsh [net-]define of a file in the lab's state folder (the hypervisors see it); ``validate`` checks the domain
    XML against libvirt's schema too."""
    is_network = xml_text.lstrip().startswith("<network")
    with tempfile.NamedTemporaryFile("w", suffix=".xml", dir=WORK) as handle:
        handle.write(xml_text)
        handle.flush()
        os.chmod(handle.name, 0o644)
        argv = ["net-define", handle.name] if is_network else ["define"] + (["--validate"] if validate else []) + [handle.name]
        return virsh(lab, hv, *argv)


def domain_xml(lab_xml, name):
    """vm1's plain definition (test_30's fresh_domain) with a VNC password and the STANDBY pair of ``name``."""
    root = ET.fromstring(fresh_domain(lab_xml, name, ADDRESSES[name]))
    devices = root.find("devices")
    for text in (STANDBY.format(mac=MACS[name]), PRIMARIES[name].format(mac=MACS[name])):
        devices.append(ET.fromstring(text))
    ET.SubElement(devices, "graphics", {"type": "vnc", "port": "-1", "autoport": "yes", "passwd": PASSWORD})
    return ET.tostring(root, encoding="unicode")


def interface(xml_text, alias=ALIAS):
    return [i for i in ET.fromstring(xml_text).findall("devices/interface") if i.find("alias").get("name") == alias][0]


def vnc_password(xml_text):
    return ET.fromstring(xml_text).find("devices/graphics[@type='vnc']").get("passwd")


def host_address(element):
    address = element.find("source/address")
    return "{0:04x}:{1:02x}:{2:02x}.{3:x}".format(*(int(address.get(k), 16) for k in ("domain", "bus", "slot", "function")))


def vf_info(lab, hv, **args):
    return lab.ansible(hv, "netfailover.standby.vf_info", dict(args, sysfs_root=SYSFS[hv], reservation_dir=RESERVATIONS))


def reservation(lab, vm, check=False, **args):
    return lab.ansible("hv2", "netfailover.standby.vf_reservation",
                       dict({"pf": PF, "vm": vm, "directory": RESERVATIONS, "sysfs_root": SYSFS["hv2"]}, **args), check=check)


def clean(lab):
    lab.remove([HOSTDEV_VM, POOL_VM], networks=[POOL])
    shutil.rmtree(WORK, ignore_errors=True)


@pytest.fixture(scope="module")
def sriov(lab):
    """The fake sysfs trees, vfpool on both hypervisors (defined: it cannot start here), vmsrh and vmsrn on hv1; all of
    it removed at the end, on both hypervisors, also when a test failed."""
    clean(lab)
    try:
        for tree in SYSFS.values():
            sriov_host.build_sysfs(tree)
        TEST_NODE.write_text(TEST_DRIVER_NODE)
        lab_xml = virsh(lab, "hv1", "dumpxml", "--inactive", "vm1")
        for hv in ("hv1", "hv2"):
            define_file(lab, hv, POOL_NETWORK)
        for name in (HOSTDEV_VM, POOL_VM):
            define_file(lab, "hv1", domain_xml(lab_xml, name))
        yield lab
    finally:
        clean(lab)
        print("\ntest_80_sriov_definitions timings (s): " + json.dumps(TIMINGS))


@pytest.fixture(scope="module")
def destination_vf(sriov):
    """The VF vf_reservation reserved for vmsrh on hv2 (the preflight's step), as the module returned it."""
    with timed("vf_reservation on hv2 (ansible-playbook)"):
        return ok(reservation(sriov, HOSTDEV_VM))


@pytest.fixture(scope="module")
def planned(sriov, destination_vf):
    """Each domain's destination definition, planned as the role and live_migrate plan it and defined on hv2 with
    `virsh define --validate`; {name: (planned XML, the definition hv2 reads back with its secrets)}."""
    found = {}
    for name in (HOSTDEV_VM, POOL_VM):
        (device,) = ok(vf_info(sriov, "hv1", domain=name))["devices"]
        target = vf_device_at(device["xml"], destination_vf["address"]) if device["kind"] == "hostdev" else device["xml"]
        persistent = virsh(sriov, "hv1", "dumpxml", "--inactive", "--security-info", "--migratable", name)
        plan, replaced = replace_devices(persistent, {device["alias"]: target}, "persistent XML of domain " + name)
        assert replaced == [ALIAS], plan
        with timed("virsh define --validate of the planned {0} on hv2".format(name)):
            define_file(sriov, "hv2", plan)
        found[name] = (plan, virsh(sriov, "hv2", "dumpxml", "--inactive", "--security-info", name))
    return found


def test_vf_info_tells_a_vf_at_a_fixed_address_from_a_pool_vf(sriov):
    with timed("vf_info domain on hv1 (ansible-playbook)"):
        (fixed,) = ok(vf_info(sriov, "hv1", domain=HOSTDEV_VM))["devices"]
    assert (fixed["alias"], fixed["kind"], fixed["network"]) == (ALIAS, "hostdev", None), fixed
    assert (fixed["address"], fixed["pf"], fixed["vf"], fixed["identity_error"]) == (FIXED_VF, PF, 1, None), fixed
    (pool,) = ok(vf_info(sriov, "hv1", domain=POOL_VM))["devices"]
    assert (pool["alias"], pool["kind"], pool["network"]) == (ALIAS, "network", POOL), pool
    assert pool["address"] is None and pool["pf"] is None, pool  # not running: libvirt allocated it no VF
    assert interface("<domain><devices>{0}</devices></domain>".format(pool["xml"])).get("type") == "network"


def test_vf_info_names_the_domain_that_owns_a_vf(sriov):
    (row,) = ok(vf_info(sriov, "hv1", address=FIXED_VF))["vfs"]
    assert (row["pf"], row["vf"], row["owners"], row["free"]) == (PF, 1, [HOSTDEV_VM], False), row
    listing = ok(vf_info(sriov, "hv1", pf=PF))
    assert [vf["address"] for vf in listing["vfs"]] == sriov_host.VFS
    assert listing["free"] == [vf for vf in sriov_host.VFS if vf != FIXED_VF], listing["vfs"]


def test_the_destination_reserves_its_first_free_vf_once(sriov, destination_vf):
    assert destination_vf["changed"] and destination_vf["address"] == FIRST_FREE_VF, destination_vf
    assert (destination_vf["pf"], destination_vf["vf"]) == (PF, 0)
    folder = os.path.join(RESERVATIONS, "vf-" + FIRST_FREE_VF)
    assert destination_vf["reserved"] == folder and open(os.path.join(folder, "owner")).read().strip() == HOSTDEV_VM
    again = ok(reservation(sriov, HOSTDEV_VM))
    assert not again["changed"] and again["address"] == FIRST_FREE_VF, again
    another = ok(reservation(sriov, "vmsrx", check=True))  # another run meanwhile: the next VF, nothing made
    assert another["changed"] and another["address"] == "0000:3b:02.1" and not os.path.exists(another["reserved"]), another
    (row,) = [vf for vf in ok(vf_info(sriov, "hv2", pf=PF))["vfs"] if vf["address"] == FIRST_FREE_VF]
    assert row["reserved_by"] == HOSTDEV_VM and not row["free"], row


def test_the_planned_hostdev_definition_points_at_the_destinations_vf(planned):
    plan, stored = planned[HOSTDEV_VM]
    vf = interface(stored)
    assert vf.get("type") == "hostdev" and host_address(vf) == FIRST_FREE_VF, stored
    assert vf.find("mac").get("address") == MACS[HOSTDEV_VM]
    assert (vf.find("teaming").get("type"), vf.find("teaming").get("persistent")) == ("transient", "ua-standby0")
    assert vf.find("address").get("bus") == "0x08"  # the guest's side stays
    assert vnc_password(plan) == vnc_password(stored) == PASSWORD


def test_the_planned_pool_definition_keeps_its_network_interface(planned):
    _plan, stored = planned[POOL_VM]
    vf = interface(stored)
    assert vf.get("type") == "network" and vf.find("source").get("network") == POOL, stored
    assert vf.find("source/address") is None and vf.find("teaming").get("type") == "transient"
    assert vnc_password(stored) == PASSWORD


def test_no_free_vf_is_refused_naming_the_owner_and_changes_nothing(planned, sriov):  # pylint: disable=unused-argument
    """vmsrh's planned definition on hv2 owns 0000:3b:02.0; every other VF is reserved by some run: a third VM gets none."""
    others = ["vf-" + vf for vf in sriov_host.VFS[1:]]
    try:
        for index, folder in enumerate(others):
            os.mkdir(os.path.join(RESERVATIONS, folder))
            with open(os.path.join(RESERVATIONS, folder, "owner"), "w") as handle:
                handle.write("run{0}\n".format(index))
        before = sorted(os.listdir(RESERVATIONS))
        refused = reservation(sriov, "vmsrx")
        assert refused.get("failed") and "No free VF on {0} for vmsrx".format(PF) in refused["msg"], refused
        assert "{0} (vf 0: used by {1}".format(FIRST_FREE_VF, HOSTDEV_VM) in refused["msg"], refused["msg"]
        assert "0000:3b:02.7 (vf 7: reserved for run6)" in refused["msg"] and refused["msg"].endswith("Nothing was changed.")
        assert sorted(os.listdir(RESERVATIONS)) == before
    finally:
        for folder in others:
            shutil.rmtree(os.path.join(RESERVATIONS, folder), ignore_errors=True)


def test_a_pool_libvirt_cannot_start_here_is_refused_with_the_fix(sriov):
    """The preflight's pool check on the real libvirtd: vfpool is defined on hv2 but inactive (no VFs in its sysfs)."""
    refused = vf_info(sriov, "hv2", network=POOL)
    assert refused.get("failed") and "Network vfpool is defined but not active" in refused["msg"], refused
    assert "virsh net-start vfpool" in refused["msg"]


def test_vf_info_lists_a_pools_free_vfs_stand_in_test_driver(sriov):
    """Stand-in: vf_info's pool path on hv2, against libvirt's test driver loaded with a pool of two VFs (libvirtd here
    refuses that definition), one of them used by a domain; the VFs' identities come from hv2's fake sysfs."""
    pool = ok(vf_info(sriov, "hv2", network=POOL, uri="test://" + str(TEST_NODE)))
    rows = {row["address"]: row for row in pool["vfs"]}
    assert [(row["pf"], row["vf"]) for row in pool["vfs"]] == [(PF, 6), (PF, 7)], pool
    assert rows["0000:3b:02.6"]["owners"] == ["pool1"] and pool["free"] == ["0000:3b:02.7"], pool


def test_state_absent_releases_the_reservation(sriov, destination_vf):
    released = ok(reservation(sriov, HOSTDEV_VM, state="absent"))
    assert released["changed"] and released["released"] == [destination_vf["address"]], released
    assert not os.path.exists(destination_vf["reserved"])
    again = ok(reservation(sriov, HOSTDEV_VM, state="absent"))
    assert not again["changed"] and again["released"] == [], again
