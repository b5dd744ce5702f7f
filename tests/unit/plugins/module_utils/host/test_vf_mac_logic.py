# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""VF MACs: parsing ``ip -j link`` (vfinfo_list) and the exact argv of ``ip link set dev PF vf N mac MAC``; the VF by
its PCI address (a fake sysfs tree) and the refusal of a VF another domain uses (libvirt's test driver).

No SR-IOV hardware here: the PF samples are written after iproute2's output (fixtures/iproute2/README.md).
"""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov, vf_mac
from ansible_collections.netfailover.standby.plugins.module_utils.host.commands import ZERO_MAC, CommandError
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

SAMPLES = Path(__file__).parents[1] / "fixtures" / "iproute2"
SRIOV_PF = (SAMPLES / "ip_link_sriov_pf.json").read_text()
OLD_IPROUTE2 = (SAMPLES / "ip_link_sriov_pf_old_iproute2.json").read_text()
NO_VFS = (SAMPLES / "ip_link_veth_no_vfs.json").read_text()
IP = "/usr/sbin/ip"


class Host:
    """run_command for a PF: answers ``ip -j link show`` from a sample and applies ``ip link set ... vf N mac``."""

    def __init__(self, sample, set_rc=0, set_err="", apply=True):
        self.sample = sample
        self.set_rc = set_rc
        self.set_err = set_err
        self.apply = apply
        self.commands = []

    def __call__(self, argv):
        self.commands.append(argv)
        if argv[:3] == [IP, "-j", "link"]:
            if argv[-1] not in self.sample:
                return 1, "", 'Device "{0}" does not exist.\n'.format(argv[-1])
            return 0, self.sample, ""
        if self.set_rc == 0 and self.apply:
            import json  # pylint: disable=import-outside-toplevel
            link = json.loads(self.sample)
            for entry in link[0]["vfinfo_list"]:
                if entry["vf"] == int(argv[6]):
                    entry["address"] = argv[8]
            self.sample = json.dumps(link)
        return self.set_rc, "", self.set_err


@pytest.mark.parametrize("sample, vf, expected", [
    (SRIOV_PF, 0, "52:54:00:00:12:53"),
    (SRIOV_PF, 1, "00:00:00:00:00:00"),
    (SRIOV_PF, 3, "52:54:00:6c:00:01"),  # upper case in the output, normalised
    (OLD_IPROUTE2, 1, "52:54:00:00:12:53"),  # "mac" instead of "address"
    (OLD_IPROUTE2, 0, "00:00:00:00:00:00"),
])
def test_parse_vfinfo_list(sample, vf, expected):
    link = vf_mac.parse_link(sample, "enp66s0f0")
    assert vf_mac.vf_address(vf_mac.find_vf(link, "enp66s0f0", vf)) == expected


@pytest.mark.parametrize("sample, pf, vf, message", [
    (SRIOV_PF, "enp66s0f0", 5, "enp66s0f0 has no VF 5: enp66s0f0 has VFs 0, 1, 2, 3."),
    (NO_VFS, "pf0", 5, "pf0 has no VF 5: pf0 reports no VFs: it is not an SR-IOV PF, or SR-IOV is not enabled on it "
                       "(check /sys/class/net/pf0/device/sriov_numvfs and sriov_totalvfs)."),
])
def test_missing_vf_is_a_clear_error(sample, pf, vf, message):
    with pytest.raises(LibvirtCollectionError) as error:
        vf_mac.find_vf(vf_mac.parse_link(sample, pf), pf, vf)
    assert error.value.message == message


@pytest.mark.parametrize("text", ["", "[]", "not json", "{}"])
def test_unusable_output(text):
    with pytest.raises(CommandError):
        vf_mac.parse_link(text, "pf0")


def test_exact_argv():
    assert vf_mac.show_argv("enp66s0f0", IP) == [IP, "-j", "link", "show", "dev", "enp66s0f0"]
    assert vf_mac.set_argv("enp66s0f0", 5, "52:54:00:00:12:53", IP) == [
        IP, "link", "set", "dev", "enp66s0f0", "vf", "5", "mac", "52:54:00:00:12:53"]


@pytest.mark.parametrize("vf, state, mac, check_mode, changed, commands, mac_after", [
    (1, "present", "52:54:00:6C:00:01", False, True,
     [[IP, "link", "set", "dev", "enp66s0f0", "vf", "1", "mac", "52:54:00:6c:00:01"]], "52:54:00:6c:00:01"),
    (3, "present", "52-54-00-6c-00-01", False, False, [], "52:54:00:6c:00:01"),  # already set (other spelling)
    (0, "absent", None, False, True,
     [[IP, "link", "set", "dev", "enp66s0f0", "vf", "0", "mac", "00:00:00:00:00:00"]], "00:00:00:00:00:00"),
    (1, "absent", None, False, False, [], "00:00:00:00:00:00"),
    (0, "absent", None, True, True,
     [[IP, "link", "set", "dev", "enp66s0f0", "vf", "0", "mac", "00:00:00:00:00:00"]], "00:00:00:00:00:00"),
])
def test_vf_mac_run(vf, state, mac, check_mode, changed, commands, mac_after):
    host = Host(SRIOV_PF)
    result = vf_mac.VfMac(host, "enp66s0f0", vf, state=state, mac=mac, ip=IP).run(check_mode=check_mode)
    assert result["changed"] is changed
    assert result["commands"] == commands
    assert result["mac"] == mac_after
    ran_set = [argv for argv in host.commands if argv[1] == "link" and argv[2] == "set"]
    assert ran_set == ([] if check_mode else commands)
    if changed and not check_mode:
        assert host.commands[-1] == vf_mac.show_argv("enp66s0f0", IP)  # read back


def test_failed_set_reports_stderr_and_changes_nothing():
    host = Host(SRIOV_PF, set_rc=2, set_err="RTNETLINK answers: Operation not permitted\n")
    with pytest.raises(CommandError) as error:
        vf_mac.VfMac(host, "enp66s0f0", 1, mac="52:54:00:6c:00:01", ip=IP).run()
    assert "Could not set the MAC of VF 1 on enp66s0f0" in error.value.message
    assert "RTNETLINK answers: Operation not permitted" in error.value.message
    assert error.value.result["mac"] == "00:00:00:00:00:00" and error.value.result["rc"] == 2


def test_a_set_that_does_not_stick_is_an_error():
    host = Host(SRIOV_PF, apply=False)  # the driver accepts but keeps the old MAC (e.g. an untrusted VF)
    with pytest.raises(LibvirtCollectionError, match=r"reports 00:00:00:00:00:00 for VF 1 afterwards"):
        vf_mac.VfMac(host, "enp66s0f0", 1, mac="52:54:00:6c:00:01", ip=IP).run()


def test_missing_pf():
    with pytest.raises(CommandError, match=r'Could not read PF enp9s0: .* Device "enp9s0" does not exist'):
        vf_mac.VfMac(Host(SRIOV_PF), "enp9s0", 1, state="absent", ip=IP).run()


@pytest.mark.parametrize("mac", ["52:54:00:6c:00", "zz:54:00:6c:00:01", "", None])
def test_invalid_mac(mac):
    with pytest.raises(LibvirtCollectionError, match=r"mac must be a MAC address"):
        vf_mac.VfMac(Host(SRIOV_PF), "enp66s0f0", 1, mac=mac, ip=IP)


# --- the VF by its PCI address, and the domains that use it (a fake sysfs tree, libvirt's test driver) ----------------


@pytest.fixture
def sysfs(tmp_path):
    return host.build_sysfs(tmp_path / "sys")


@pytest.fixture
def owners():
    """sriov.vf_owners of test:///default with the fake host's domains, as VfMac calls it (counted)."""
    connection = libvirt.open(host.TEST_URI)
    remove = host.define_host(connection)
    calls = []

    def read():
        calls.append(1)
        return sriov.vf_owners(connection)

    read.calls = calls
    yield read
    remove()
    connection.close()


def test_admin_macs():
    assert vf_mac.admin_macs(host.IpCommands(), host.PF, host.IP) == {
        0: ZERO_MAC, 1: ZERO_MAC, 2: host.WEB1_MAC, 3: ZERO_MAC, 4: host.STALE_MAC, 5: ZERO_MAC, 6: ZERO_MAC, 7: ZERO_MAC}


@pytest.mark.parametrize("kwargs, pf, vf", [
    ({"address": "0000:3b:02.4"}, "enp59s0f0", 4),
    ({"address": "3b:02.7"}, "enp59s0f0", 7),
])
def test_the_vf_by_its_pci_address(sysfs, kwargs, pf, vf):
    ip = host.IpCommands()
    result = vf_mac.VfMac(ip, mac="52:54:00:6c:00:01", ip=host.IP, sysfs_root=sysfs, **kwargs).run()
    assert (result["pf"], result["vf"], result["address"]) == (pf, vf, "0000:3b:02.{0}".format(vf))
    assert ip.sets() == [[host.IP, "link", "set", "dev", pf, "vf", str(vf), "mac", "52:54:00:6c:00:01"]]


def test_a_stale_mac_on_a_free_vf_is_changed(sysfs, owners):
    ip = host.IpCommands()
    result = vf_mac.VfMac(ip, address="0000:3b:02.4", mac="52:54:00:6c:00:01", ip=host.IP, owners=owners, domain="vm1",
                          sysfs_root=sysfs).run()
    assert result["changed"] and result["mac_before"] == host.STALE_MAC and result["mac"] == "52:54:00:6c:00:01"
    assert result["owners"] == []
    assert ip.sets() == [[host.IP, "link", "set", "dev", "enp59s0f0", "vf", "4", "mac", "52:54:00:6c:00:01"]]


@pytest.mark.parametrize("kwargs, domain, message", [
    ({"address": "0000:3b:02.1"}, "vm1",
     "VF 0000:3b:02.1 (enp59s0f0 vf 1) is used by domains db1, db2; nothing was changed. It is not vm1's VF: pick a free "
     "VF for vm1 (netfailover.standby.vf_info lists them)."),
    ({"address": "0000:3b:02.2"}, None,  # running
     "VF 0000:3b:02.2 (enp59s0f0 vf 2) is used by domain web1; nothing was changed. If it is web1's own VF, say so with "
     "domain=web1; otherwise pick a free VF (netfailover.standby.vf_info lists them)."),
    ({"pf": "enp59s0f0", "vf": 3}, "vm1",  # transient, running: live XML only; the address comes from sysfs
     "VF 0000:3b:02.3 (enp59s0f0 vf 3) is used by domain tr1; nothing was changed. It is not vm1's VF: pick a free VF for "
     "vm1 (netfailover.standby.vf_info lists them)."),
    ({"address": "0000:3b:02.1"}, "db1",  # db2 still has it
     "VF 0000:3b:02.1 (enp59s0f0 vf 1) is used by domain db2; nothing was changed. It is not db1's VF: pick a free VF "
     "for db1 (netfailover.standby.vf_info lists them)."),
])
@pytest.mark.parametrize("state, check_mode", [("present", False), ("absent", False), ("present", True)])
def test_a_vf_another_domain_uses_is_refused(sysfs, owners, kwargs, domain, message, state, check_mode):
    ip = host.IpCommands()
    run = vf_mac.VfMac(ip, state=state, mac="52:54:00:6c:00:01", ip=host.IP, owners=owners, domain=domain, sysfs_root=sysfs,
                       **kwargs)
    with pytest.raises(LibvirtCollectionError) as error:
        run.run(check_mode=check_mode)
    assert error.value.message == message
    assert ip.sets() == []
    assert error.value.result["changed"] is False and error.value.result["commands"] == []


@pytest.mark.parametrize("kwargs", [{"address": "0000:3b:02.2"}, {"pf": "enp59s0f0", "vf": 2}])
def test_the_domains_own_vf_is_changed(sysfs, owners, kwargs):
    ip = host.IpCommands()
    result = vf_mac.VfMac(ip, state="absent", ip=host.IP, owners=owners, domain="web1", sysfs_root=sysfs, **kwargs).run()
    assert result["changed"] and result["owners"] == ["web1"] and result["address"] == "0000:3b:02.2"
    assert ip.sets() == [[host.IP, "link", "set", "dev", "enp59s0f0", "vf", "2", "mac", ZERO_MAC]]


def test_a_vf_that_is_not_there_is_refused_before_libvirt_is_asked(sysfs, owners):
    ip = host.IpCommands()
    with pytest.raises(LibvirtCollectionError, match=r"^0000:3b:00\.0 is not an SR-IOV VF"):
        vf_mac.VfMac(ip, address="0000:3b:00.0", mac="52:54:00:6c:00:01", ip=host.IP, owners=owners, sysfs_root=sysfs).run()
    with pytest.raises(LibvirtCollectionError, match=r"^enp59s0f0 has no VF 9: enp59s0f0 has VFs 0, 1, 2, 3, 4, 5, 6, 7\.$"):
        vf_mac.VfMac(ip, "enp59s0f0", 9, mac="52:54:00:6c:00:01", ip=host.IP, owners=owners, sysfs_root=sysfs).run()
    assert ip.sets() == [] and owners.calls == []
