# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vf_info through its main(): the VFs of a PF, of a hostdev network or one VF on a fake sysfs tree, with the domains of
libvirt's test:///default that use them, a reservation directory and the PF's admin MACs; it never sets anything."""

import pytest

from ansible.module_utils import basic

from ansible_collections.netfailover.standby.plugins.modules import vf_info
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

ZERO = "00:00:00:00:00:00"


@pytest.fixture
def ip(monkeypatch):
    """`ip` on the fake host (enp59s0f0 and its 8 VFs): every argv given to run_command is recorded."""
    return host.fake_ip(monkeypatch)


@pytest.fixture
def on_host(tmp_path, monkeypatch, ip):
    """The fake host: sysfs, reservations, the domains and networks in test:///default; returns the module's base args."""
    monkeypatch.setattr(vf_info, "SYSFS_ROOT", host.build_sysfs(tmp_path / "sys"))
    connection = libvirt.open(host.TEST_URI)
    remove = host.define_host(connection)
    yield {"uri": host.TEST_URI, "reservation_dir": host.build_reservations(tmp_path / "locks")}
    remove()
    connection.close()


def row(vf, mac=ZERO, owners=(), reserved_by=None, free=True, pf=host.PF):
    return {"address": host.VFS[vf], "pf": pf, "vf": vf, "mac": mac, "owners": list(owners), "reserved": reserved_by is not None,
            "reserved_by": reserved_by, "free": free}


ENP59S0F0 = [
    row(0),  # bound to the host's iavf, but no domain uses it
    row(1, owners=["db1", "db2"], free=False),  # defined, shut off
    row(2, mac=host.WEB1_MAC, owners=["web1"], free=False),  # running
    row(3, owners=["tr1"], free=False),  # transient: live XML only
    row(4, mac=host.STALE_MAC),  # a stale MAC: free
    row(5, reserved_by="vm2", free=False),
    row(6),
    row(7),
]


@pytest.mark.parametrize("args, vfs", [
    ({"pf": "enp59s0f0"}, ENP59S0F0),
    ({"network": "vfpool"}, ENP59S0F0),
    ({"network": "vflist"}, [row(6), row(7)]),
    ({"address": "3b:02.4"}, [row(4, mac=host.STALE_MAC)]),
    ({"address": "0000:3b:02.5", "_ansible_check_mode": True}, [row(5, reserved_by="vm2", free=False)]),
])
def test_vf_info(run_module, ip, on_host, args, vfs):
    outcome = run_module(vf_info.main, dict(on_host, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is False
    assert outcome.result["vfs"] == vfs
    assert outcome.result["free"] == [vf["address"] for vf in vfs if vf["free"]]
    assert ip.commands == [["/sbin/ip", "-j", "link", "show", "dev", "enp59s0f0"]]


def test_the_first_free_vf_is_the_one_the_role_takes(run_module, ip, on_host):
    outcome = run_module(vf_info.main, dict(on_host, pf="enp59s0f0"))
    assert outcome.result["free"] == ["0000:3b:02.0", "0000:3b:02.4", "0000:3b:02.6", "0000:3b:02.7"]


def test_no_reservation_directory_means_no_reservations(run_module, ip, on_host, tmp_path):
    outcome = run_module(vf_info.main, dict(on_host, pf="enp59s0f0", reservation_dir=str(tmp_path / "none")))
    assert outcome.result["free"] == ["0000:3b:02.{0}".format(n) for n in (0, 4, 5, 6, 7)]


def test_unreadable_macs_are_null_with_a_warning(run_module, ip, on_host, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _module, text: warnings.append(text))
    outcome = run_module(vf_info.main, dict(on_host, pf="enp175s0f0np0"))  # the fake ip knows enp59s0f0 only
    assert not outcome.failed, outcome.result
    assert [(vf["address"], vf["vf"], vf["mac"], vf["free"]) for vf in outcome.result["vfs"]] == [
        ("0000:af:00.2", 0, None, True), ("0000:af:00.3", 1, None, True)]
    assert warnings == [
        'The VFs\' MACs of enp175s0f0np0 are not reported: Could not read PF enp175s0f0np0: `/sbin/ip -j link show dev '
        'enp175s0f0np0` failed with exit code 1: Device "enp175s0f0np0" does not exist.']


@pytest.mark.parametrize("args, message", [
    ({"pf": "enp59s0f1"}, "enp59s0f1 has SR-IOV disabled: 0 of its 64 VFs are enabled. Enable them by writing their number to "),
    ({"pf": "eno1"}, "eno1 is not an SR-IOV PF: "),
    ({"network": "default"}, "Network default is not a VF pool: its forward mode is nat, not hostdev"),
    ({"network": "vfpool-off"}, "Network vfpool-off is defined but not active"),
    ({"network": "nope"}, "Network 'nope' not found at test:///default."),
    ({"address": "0000:00:1f.6"}, "0000:00:1f.6 is not an SR-IOV VF: "),
    ({"pf": "enp59s0f0", "network": "vfpool"}, "parameters are mutually exclusive: pf|network|address|domain"),
    ({}, "one of the following is required: pf, network, address, domain"),
    ({"domain": "nope"}, "Domain 'nope' not found at test:///default. Domains defined there: db1, db2, test, tr1, vm1, web1."),
])
def test_clear_errors(run_module, ip, on_host, args, message):
    outcome = run_module(vf_info.main, dict(on_host, **args))
    assert outcome.failed
    assert outcome.result["msg"].startswith(message)
    assert ip.sets() == []


@pytest.mark.parametrize("domain, devices", [
    ("web1", [("hostdev", None, "0000:3b:02.2", 2)]),  # running, a fixed VF
    ("db2", [("hostdev", None, "0000:3b:02.1", 1), ("hostdev", None, "0000:65:00.0", None)]),  # and a GPU this host has not
    ("vm1", [("network", "vfpool", None, None)]),  # a pool's VF, shut off: no VF until it runs
])
def test_the_vf_devices_of_a_domain(run_module, ip, on_host, domain, devices):
    outcome = run_module(vf_info.main, dict(on_host, domain=domain))
    assert not outcome.failed, outcome.result
    assert [(d["kind"], d["network"], d["address"], d["vf"]) for d in outcome.result["devices"]] == devices
    assert ip.commands == []  # no MACs read: the devices, not the VFs
