# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vf_reservation through its main(): the first free VF of a PF on a fake sysfs tree, with the domains of libvirt's
test:///default that use VFs and a reservation folder; idempotent, race-safe, and nothing made when nothing is free."""

import os

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.modules import vf_reservation
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt


@pytest.fixture
def on_host(tmp_path):
    """The fake host of sriov_host: VF 0 of enp59s0f0 is free, 1-3 are used by domains, 4 is free with a stale MAC,
    5 is reserved for vm2, 6 and 7 are free (the test driver allocates nothing from the pool)."""
    connection = libvirt.open(host.TEST_URI)
    remove = host.define_host(connection)
    yield {"uri": host.TEST_URI, "sysfs_root": host.build_sysfs(tmp_path / "sys"),
           "directory": host.build_reservations(tmp_path / "locks")}
    remove()
    connection.close()


def reserved(directory):
    return sriov.reservations(directory)


def test_reserves_the_first_free_vf_once(run_module, on_host):
    first = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1"))
    assert not first.failed and first.result["changed"]
    assert (first.result["address"], first.result["pf"], first.result["vf"]) == (host.VFS[0], host.PF, 0)
    assert reserved(on_host["directory"]) == {host.VFS[0]: "vm1", host.VFS[5]: "vm2"}
    again = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1"))
    assert again.result["changed"] is False and again.result["address"] == host.VFS[0]
    held = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm2"))  # vm2 keeps the VF it holds
    assert held.result["changed"] is False and held.result["address"] == host.VFS[5]


def test_runs_at_once_get_different_vfs(run_module, on_host):
    addresses = [run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm=vm)).result["address"] for vm in ("vm1", "vm3", "vm4")]
    assert addresses == [host.VFS[0], host.VFS[4], host.VFS[6]]  # 1-3 used by domains, 5 reserved for vm2


def test_a_vf_taken_by_another_run_meanwhile_is_skipped(run_module, on_host, monkeypatch):
    """Both runs read the reservations before either made one: mkdir decides, the second run takes the next VF."""
    directory = on_host["directory"]
    stale_view = dict(reserved(directory))
    os.mkdir(os.path.join(directory, "vf-" + host.VFS[0]))  # the other run's mkdir, after this run's read
    monkeypatch.setattr(sriov, "reservations", lambda _directory: dict(stale_view))
    result = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1"))
    assert result.result["address"] == host.VFS[4]


def test_check_mode_reserves_nothing(run_module, on_host):
    result = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1", _ansible_check_mode=True))
    assert result.result["changed"] and result.result["address"] == host.VFS[0]
    assert reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}


def test_no_free_vf_is_a_clear_error_that_makes_nothing(run_module, on_host):
    for vm in ("a", "b", "c", "d"):  # VFs 0, 4, 6, 7
        assert not run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm=vm)).failed
    before = reserved(on_host["directory"])
    result = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm9"))
    assert result.failed
    message = result.result["msg"]
    assert message.startswith("No free VF on enp59s0f0 for vm9: 0000:3b:02.0 (vf 0: reserved for a);")
    assert "0000:3b:02.1 (vf 1: used by db1, db2)" in message and "0000:3b:02.5 (vf 5: reserved for vm2)" in message
    assert message.endswith("Nothing was changed.")
    assert reserved(on_host["directory"]) == before


@pytest.mark.parametrize("pf, message", [
    ("enp59s0f1", "enp59s0f1 has SR-IOV disabled: 0 of its 64 VFs are enabled"),
    ("eno1", "eno1 is not an SR-IOV PF"),
    ("pf0", "pf0 is not an SR-IOV PF: it is not a PCI device"),
])
def test_a_pf_without_vfs_is_refused(run_module, on_host, pf, message):
    result = run_module(vf_reservation.main, dict(on_host, pf=pf, vm="vm1"))
    assert result.failed and message in result.result["msg"]
    assert reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}


def test_release_removes_only_the_vms_reservations(run_module, on_host):
    run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1"))
    check = run_module(vf_reservation.main, dict(on_host, vm="vm1", state="absent", _ansible_check_mode=True))
    assert check.result["changed"] and check.result["released"] == [host.VFS[0]]
    assert host.VFS[0] in reserved(on_host["directory"])
    released = run_module(vf_reservation.main, dict(on_host, vm="vm1", state="absent"))
    assert released.result["changed"] and released.result["released"] == [host.VFS[0]]
    assert reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}
    assert run_module(vf_reservation.main, dict(on_host, vm="vm1", state="absent")).result["changed"] is False


@pytest.mark.parametrize("vm", [" db:1/ua-primary0", "hv2/ua-primary0", "ünïcødé vm/net0"])
def test_any_domain_name_reserves_and_releases_its_own_vf(run_module, on_host, vm):
    """The owner file holds the name as it is (a leading space, a colon, non-ASCII), in UTF-8 whatever the locale."""
    taken = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm=vm))
    assert taken.result["changed"] and reserved(on_host["directory"]) == {host.VFS[0]: vm, host.VFS[5]: "vm2"}
    with open(os.path.join(taken.result["reserved"], sriov.RESERVATION_OWNER), "rb") as owner:
        assert owner.read() == (vm + "\n").encode("utf-8")
    again = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm=vm))
    assert again.result["changed"] is False and again.result["address"] == host.VFS[0]
    released = run_module(vf_reservation.main, dict(on_host, vm=vm, state="absent"))
    assert released.result["released"] == [host.VFS[0]] and reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}


# --- addresses: exactly these VFs, all or none ---------------------------------------------------------------------------


def test_reserves_exactly_the_addresses_given(run_module, on_host):
    args = dict(on_host, pf=host.PF, vm="vm1/ua-primary0", addresses=["3b:02.7", "0000:3B:02.4"])
    checked = run_module(vf_reservation.main, dict(args, _ansible_check_mode=True))
    assert checked.result["changed"] and checked.result["addresses"] == [host.VFS[4], host.VFS[7]]
    assert reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}  # check mode made nothing
    first = run_module(vf_reservation.main, args)
    assert not first.failed and first.result["changed"], first.result
    assert (first.result["addresses"], first.result["address"], first.result["vf"]) == ([host.VFS[4], host.VFS[7]], host.VFS[4], 4)
    assert reserved(on_host["directory"]) == {host.VFS[4]: "vm1/ua-primary0", host.VFS[7]: "vm1/ua-primary0", host.VFS[5]: "vm2"}
    again = run_module(vf_reservation.main, args)
    assert again.result["changed"] is False and again.result["released"] == []


def test_addresses_replace_the_vms_other_reservations_on_the_pf(run_module, on_host):
    assert run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1")).result["address"] == host.VFS[0]
    moved = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1", addresses=[host.VFS[6]]))
    assert moved.result["changed"] and moved.result["released"] == [host.VFS[0]]
    assert reserved(on_host["directory"]) == {host.VFS[6]: "vm1", host.VFS[5]: "vm2"}


@pytest.mark.parametrize("addresses, problem", [
    ([host.VFS[0], host.VFS[5]], "0000:3b:02.5 (vf 5: reserved for vm2)"),
    ([host.VFS[2], host.VFS[0]], "0000:3b:02.2 (vf 2: used by web1)"),
    ([host.VFS[1]], "0000:3b:02.1 (vf 1: used by db1, db2)"),  # defined, shut off: starting it would take the VF
    (["0000:af:00.2"], "0000:af:00.2 is not a VF of enp59s0f0 (its VFs: 0000:3b:02.0, "),
])
def test_addresses_are_all_or_none(run_module, on_host, addresses, problem):
    result = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1", addresses=addresses))
    assert result.failed and problem in result.result["msg"], result.result["msg"]
    assert result.result["msg"].startswith("Cannot reserve ") and result.result["msg"].endswith("Nothing was changed.")
    assert reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}


def test_an_address_another_run_takes_meanwhile_undoes_the_others(run_module, on_host, monkeypatch):
    directory = on_host["directory"]
    stale_view = dict(reserved(directory))
    os.mkdir(os.path.join(directory, "vf-" + host.VFS[7]))  # the other run's mkdir, after this run's read
    monkeypatch.setattr(sriov, "reservations", lambda _directory: dict(stale_view))
    result = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1", addresses=[host.VFS[4], host.VFS[7]]))
    assert result.failed and "another run reserved 0000:3b:02.7 meanwhile" in result.result["msg"]
    monkeypatch.undo()
    assert sorted(reserved(directory)) == [host.VFS[5], host.VFS[7]]  # its own 0000:3b:02.4 undone


@pytest.mark.parametrize("addresses, message", [
    ([], "addresses is empty: give the PCI addresses of the VFs of enp59s0f0 to reserve for vm1"),
    (["3b:02"], "Each of addresses must be a PCI address such as 0000:3b:02.1, not '3b:02'."),
])
def test_bad_addresses_are_refused(run_module, on_host, addresses, message):
    result = run_module(vf_reservation.main, dict(on_host, pf=host.PF, vm="vm1", addresses=addresses))
    assert result.failed and result.result["msg"].startswith(message), result.result["msg"]
    assert reserved(on_host["directory"]) == {host.VFS[5]: "vm2"}
