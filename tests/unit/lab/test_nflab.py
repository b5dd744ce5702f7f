# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/nflab.py without a lab: NFLAB_HYPERVISORS, NFLAB_VFS and NFLAB_PLATFORM, the emulated sysfs tree as the
collection's sriov module_utils read it, and the inventory."""

import json

import pytest

from ansible_collections.netfailover.standby.lab import nflab
from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov

HV3 = ("hv1", "hv2", "hv3")


@pytest.mark.parametrize("text, expected", [("2", ("hv1", "hv2")), ("3", HV3), (" 4", HV3 + ("hv4",))])
def test_hypervisors(text, expected):
    assert nflab.parse_hypervisors(text) == expected


@pytest.mark.parametrize("text", ["1", "5", "", "three", "-2", "2.5"])
def test_hypervisors_refused(text):
    with pytest.raises(SystemExit, match="NFLAB_HYPERVISORS .*give the number of hypervisors, 2 to 4"):
        nflab.parse_hypervisors(text)


@pytest.mark.parametrize("spec, expected", [
    ("8", {"hv1": 8, "hv2": 8, "hv3": 8}),
    ("0", {"hv1": 0, "hv2": 0, "hv3": 0}),
    ("hv1=8,hv2=2,hv3=3", {"hv1": 8, "hv2": 2, "hv3": 3}),
    ("hv3=64,hv1=1,hv2=0", {"hv1": 1, "hv2": 0, "hv3": 64}),
])
def test_vfs(spec, expected):
    assert nflab.parse_vfs(spec, HV3) == expected


@pytest.mark.parametrize("spec, message", [
    ("hv1=8,hv2=2", "give one count for every hypervisor .* or a count for each of hv1, hv2, hv3"),  # hv3 missing
    ("hv1=8,hv2=2,hv3=3,hv4=1", "a count for each of hv1, hv2, hv3"),  # no hv4 in this lab
    ("hv1=8,hv2=2,3", "a count for each of"),
    ("hv1=8,hv2=x,hv3=3", "hv2 must be a number of VFs from 0 to 64, not 'x'"),
    ("65", "the count must be a number of VFs from 0 to 64"),
    ("eight", "the count must be a number of VFs"),
])
def test_vfs_refused(spec, message):
    with pytest.raises(SystemExit, match=message):
        nflab.parse_vfs(spec, HV3)


def test_platforms_follow_the_hypervisors():
    assert nflab.parse_platforms("current", HV3) == {"hv1": "current", "hv2": "current", "hv3": "current"}
    assert nflab.parse_platforms("hv1=debian12,hv2=current,hv3=current", HV3)["hv1"] == "debian12"
    with pytest.raises(SystemExit, match="name a platform for each of hv1, hv2, hv3 .*NFLAB_HYPERVISORS"):
        nflab.parse_platforms("hv1=debian12,hv2=current", HV3)


def test_vf_addresses_are_pci_functions():
    assert [nflab.vf_address(n) for n in (0, 7, 8, 63)] == ["0000:3b:02.0", "0000:3b:02.7", "0000:3b:03.0", "0000:3b:09.7"]


@pytest.mark.parametrize("count", [3, 10])
def test_sysfs_tree_is_read_by_the_collection(tmp_path, count):
    """pf0 is an SR-IOV PF of ``count`` VFs for sriov.pf_vfs and vf_identity, as vf_info reads it with sysfs_root."""
    root = tmp_path / "sys"
    nflab.build_sysfs(root, count)
    vfs = sriov.pf_vfs("pf0", str(root))
    assert vfs == [{"pf": "pf0", "vf": n, "address": nflab.vf_address(n)} for n in range(count)]
    identity = sriov.vf_identity(nflab.vf_address(count - 1), str(root))
    assert identity["pf"] == "pf0" and identity["pf_address"] == nflab.PF_PCI_ADDRESS and identity["vf"] == count - 1
    assert identity["driver"] == "vfio-pci" and identity["netdev"] is None
    nflab.build_sysfs(root, 2)  # rebuilt from nothing at the next lab-up
    assert len(sriov.pf_vfs("pf0", str(root))) == 2


def test_sysfs_tree_without_vfs(tmp_path):
    nflab.build_sysfs(tmp_path / "sys", 0)
    with pytest.raises(sriov.LibvirtCollectionError):  # SR-IOV disabled: the collection says so
        sriov.pf_vfs("pf0", str(tmp_path / "sys"))


def test_inventory(monkeypatch):
    monkeypatch.setattr(nflab, "HYPERVISORS", HV3)
    inventory = json.loads(json.dumps(nflab.inventory_data(2, dict.fromkeys(HV3, "current"), {"hv1": 8, "hv2": 2, "hv3": 3})))
    groups = inventory["all"]["children"]
    hv3 = groups["hypervisors"]["hosts"]["hv3"]
    assert sorted(groups["hypervisors"]["hosts"]) == list(HV3)
    assert hv3["netfailover_sysfs_root"] == str(nflab.STATE / "hv3" / "sys") and hv3["netfailover_vf_pf"] == "pf0"
    assert hv3["nflab_vfs"] == 3 and hv3["nflab_mgmt_address"] == "198.51.100.13"
    assert hv3["netfailover_migration_uri"] == "qemu+tcp://198.51.100.13/system"
    guests = groups["guests"]
    assert sorted(guests["hosts"]) == ["vm1", "vm2"]
    assert guests["vars"]["ansible_connection"] == "community.libvirt.libvirt_qemu"
    # no template left to resolve: the SSH host vm2.guest is whichever hypervisor runs vm2 (lab/guest_proxy.py)
    assert guests["hosts"]["vm2"]["ansible_libvirt_uri"] == "qemu+ssh://root@vm2.guest/system?command={0}".format(
        nflab.SSH_DIR / "ssh")
    values = [value for group in groups.values() for part in (group["vars"], *group["hosts"].values())
              for value in part.values()]
    assert [value for value in values if "{" in str(value)] == []
