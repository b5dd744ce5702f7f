# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""migration_preflight's runs: the lock first, then locate, pairs and VFs, the guest's readiness, the destination, the PF port
(reads only); the destination's bridges, VFs and PF port."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.guest import agent as guest_agent
from ansible_collections.netfailover.standby.plugins.module_utils.guest.audit import FINDING_IDS
from ansible_collections.netfailover.standby.plugins.module_utils.guest.topology import parse_sysfs_walk
from ansible_collections.netfailover.standby.plugins.module_utils.migration import lock
from ansible_collections.netfailover.standby.plugins.module_utils.migration.preflight import destination_preflight, locked_preflight, preflight
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import MAC, FakeConnection, FakeDomain, domain_xml

TOPOLOGIES = Path(__file__).parents[1] / "fixtures" / "topologies"
AUDITS = Path(__file__).parents[1] / "fixtures" / "audit"
CLEAN_AUDIT = (AUDITS / "lab__busybox_initramfs.txt").read_text()  # the lab guest as it is: no finding
UDHCPC_ON_VF = (AUDITS / "lab__busybox_udhcpc_on_vf.txt").read_text()  # an address and udhcpc on the VF eth2
STEADY = parse_sysfs_walk((TOPOLOGIES / "lab_steady__tcg_guest_on_hv1.txt").read_text())
STANDBY_ONLY_UP = parse_sysfs_walk((TOPOLOGIES / "lab_standby_only_up__after_migration_on_hv2.txt").read_text())
PARAMS = {"name": "vm1", "destination_uri": "qemu+tcp://198.51.100.12/system", "verify_timeout": 0.0}


class Hosts:
    def __init__(self, here=True, there=False, others=()):
        self.source = FakeConnection(([FakeDomain("vm1", live=domain_xml())] if here else [])
                                     + [FakeDomain(name, live=domain_xml(name)) for name in others])
        self.destination = FakeConnection([FakeDomain("vm1", live=domain_xml())] if there else [], uri=PARAMS["destination_uri"])
        self.opened = []

    def opener(self, uri, read_only):
        self.opened.append((uri, read_only))
        return self.destination


class FakeEntry:
    def __init__(self, mac):
        self.mac, self.checked = mac, None

    def port_bridge_or_fail(self, guest):
        self.checked = guest.name()

    def run(self, check_mode=False):
        return {"changed": False, "mac": self.mac, "check_mode": check_mode}


def open_agent(_domain):
    """guest-info of an agent that allows everything: the full level."""
    return {"guest-exec": True, "guest-exec-status": True, "guest-network-get-interfaces": True}


def script(text):
    return lambda _domain: text


def run(hosts, topology=None, entries=None, params=None, audit_text=CLEAN_AUDIT, commands=open_agent, warned=None):
    def fdb_entry_for(mac):
        entries.append(FakeEntry(mac))
        return entries[-1]
    return preflight(hosts.source, dict(PARAMS, **(params or {})), opener=hosts.opener,
                     reader_factory=lambda _domain: lambda: topology or STEADY,
                     fdb_entry_for=fdb_entry_for if entries is not None else None, sysfs_root="/nonexistent",
                     commands_reader=commands, script_runner=script(audit_text),
                     warn=warned.append if warned is not None else None)


@pytest.mark.parametrize("here, there, location", [(True, False, "source"), (False, True, "destination"), (False, False, "neither")])
def test_where_the_domain_runs(here, there, location):
    hosts = Hosts(here, there, others=["web1"])
    result = run(hosts)
    assert result["location"] == location and result["changed"] is False
    assert hosts.opened == [(PARAMS["destination_uri"], True)]  # the destination is asked read-only, from the source
    assert result["running_on_source"] == (["web1"] if location == "neither" else None)


def test_a_domain_active_on_both_is_refused():
    with pytest.raises(LibvirtCollectionError, match="active both at .* a migration may be in progress"):
        run(Hosts(True, True))


def test_pairs_vfs_guest_and_the_pf_port_in_one_call():
    entries = []
    result = run(Hosts(), entries=entries)
    assert [(pair["mac"], pair["standby"]["alias"], pair["primary"]["alias"]) for pair in result["pairs"]] == [(MAC, "ua-standby0", "ua-primary0")]
    assert result["vfs"] == []  # the lab's emulated VF is no SR-IOV VF
    assert result["guest"]["state"] == "steady"
    assert [(entry.mac, entry.checked) for entry in entries] == [(MAC, "vm1")] and result["fdb"]["check_mode"] is True


def test_a_guest_not_ready_for_the_dance_is_refused_with_the_diagnostic():
    with pytest.raises(LibvirtCollectionError, match="expected steady or armed but the guest .* is standby_only_up"):
        run(Hosts(), topology=STANDBY_ONLY_UP)


# --- the lock first (locked_preflight) ---------------------------------------------------------------------------


def locked(hosts, tmp_path, check_mode=False, topology=None, warned=None, connect=None, audit_text=CLEAN_AUDIT, **owner):
    params = dict(PARAMS, lock_directory=str(tmp_path / "locks"), lock_stale_after=3600, run_id="run-b", controller="ctl1",
                  pid=10, job_id=None, started=None, take_over=[], **owner)
    return locked_preflight(connect or (lambda: hosts.source), params, check_mode=check_mode,
                            warn=(warned if warned is not None else []).append, opener=hosts.opener,
                            reader_factory=lambda _domain: lambda: topology or STEADY, sysfs_root="/nonexistent",
                            commands_reader=open_agent, script_runner=script(audit_text))


def plant(tmp_path, **owner):
    lock.acquire(str(tmp_path / "locks"), lock.new_owner("vm1", **dict({"run_id": "run-a", "controller": "ctl2", "pid": 4}, **owner)), 3600)


@pytest.mark.parametrize("check_mode", [False, True])
def test_the_lock_is_taken_first_and_returned_with_the_checks(tmp_path, check_mode):
    result = locked(Hosts(), tmp_path, check_mode=check_mode)
    assert result["location"] == "source" and result["guest"]["state"] == "steady"
    assert result["lock_owner"]["run_id"] == "run-b" and result["held_by"] is None and result["changed"] is True
    assert (tmp_path / "locks" / "vm1").is_dir() is not check_mode  # check mode takes nothing, as migration_lock


def test_a_failed_check_after_the_lock_returns_the_lock_for_its_release(tmp_path):
    with pytest.raises(LibvirtCollectionError, match="is standby_only_up") as failure:
        locked(Hosts(), tmp_path, topology=STANDBY_ONLY_UP)
    assert failure.value.result["lock_owner"]["run_id"] == "run-b" and (tmp_path / "locks" / "vm1").is_dir()


def test_a_failure_to_connect_after_the_lock_returns_the_lock_too(tmp_path):
    def connect():
        raise LibvirtCollectionError("Could not connect to qemu:///system")
    with pytest.raises(LibvirtCollectionError, match="Could not connect") as failure:
        locked(Hosts(), tmp_path, connect=connect)
    assert failure.value.result["lock_owner"]["run_id"] == "run-b"


def test_a_bug_after_the_lock_releases_it(tmp_path):
    def connect():
        raise KeyError("a bug")
    with pytest.raises(KeyError):
        locked(Hosts(), tmp_path, connect=connect)
    assert not (tmp_path / "locks" / "vm1").exists()


def test_a_live_runs_lock_refuses_before_any_check_and_holds_nothing(tmp_path):
    plant(tmp_path, job_id="77")
    hosts = Hosts()
    with pytest.raises(LibvirtCollectionError, match="Another run is migrating vm1") as failure:
        locked(hosts, tmp_path)
    result = failure.value.result
    assert result["lock_owner"] is None and result["held_by"]["run_id"] == "run-a" and result["held_by"]["job_id"] == "77"
    assert "warnings" not in result and hosts.opened == []  # nothing checked
    assert lock.read_owner(str(tmp_path / "locks" / "vm1"))["run_id"] == "run-a"


def test_a_stale_lock_is_taken_over_with_a_warning(tmp_path):
    plant(tmp_path, started=1.0)
    warned = []
    result = locked(Hosts(), tmp_path, warned=warned)
    assert result["taken_over"]["run_id"] == "run-a" and result["lock_owner"]["run_id"] == "run-b"
    assert len(warned) == 1 and warned[0].startswith("Took over the lock")


def test_without_a_lock_directory_no_lock_is_taken(tmp_path):
    hosts = Hosts()
    params = dict(PARAMS, lock_directory=None)
    result = locked_preflight(lambda: hosts.source, params, opener=hosts.opener, reader_factory=lambda _domain: lambda: STEADY,
                              sysfs_root=str(tmp_path), commands_reader=open_agent, script_runner=script(CLEAN_AUDIT))
    assert result["lock_owner"] is None and result["lock"] is None and result["changed"] is False


# --- the readiness audit after the guest check ---------------------------------------------------------------


def never(_domain):
    raise AssertionError("the audit's script must not run")


def test_a_clean_guest_passes_the_audit_and_the_result_says_so():
    warned = []
    result = run(Hosts(), warned=warned)
    assert result["audit"]["level"] == "full" and result["audit"]["findings"] == [] and result["audit"]["unchecked"] == []
    assert result["audit"]["refuse"] is False and warned == []
    assert result["audit"]["message"] == "vm1: the readiness audit (full level) found nothing that breaks failover."


def test_a_refuse_finding_refuses_before_the_pf_port_naming_each_finding_its_netdev_and_fix():
    entries = []
    with pytest.raises(LibvirtCollectionError) as failure:
        run(Hosts(), entries=entries, audit_text=UDHCPC_ON_VF)
    message = failure.value.message
    assert message.startswith("vm1 is not migrated: the readiness audit of its guest (full level) found what breaks failover: ")
    assert "[refuse] address_on_slave on eth2: the VF eth2 has the address 192.0.2.77/24" in message
    assert "Fix: remove the address from eth2 and put it on eth0" in message
    assert "[refuse] dhcp_client_on_slave on eth2: udhcpc (pid 112" in message and "(e.g. udhcpc -i eth0)" in message
    assert "make it a warning (migrate_audit_severities: {address_on_slave: warn}; migration_preflight's audit_severities)" in message
    assert message.endswith("Nothing was changed.")
    assert entries == []  # refused before the PF port's check
    audit = failure.value.result["audit"]
    assert audit["refuse"] is True and [(f["id"], f["netdev"], f["mac"]) for f in audit["findings"]] == [
        ("address_on_slave", "eth2", MAC), ("dhcp_client_on_slave", "eth2", MAC)]


@pytest.mark.parametrize("severities, refused, warnings, kept", [
    ({"address_on_slave": "warn", "dhcp_client_on_slave": "warn"}, False,
     ["[warn] address_on_slave on eth2: ", "[warn] dhcp_client_on_slave on eth2: "], ["address_on_slave", "dhcp_client_on_slave"]),
    ({"address_on_slave": "ignore", "dhcp_client_on_slave": "ignore"}, False, [], []),
    ({"address_on_slave": "warn"}, True, ["[warn] address_on_slave on eth2: "], ["address_on_slave", "dhcp_client_on_slave"]),
], ids=["both warn", "both ignored", "one warn, one refuse"])
def test_severities_make_findings_warnings_or_leave_them_out(severities, refused, warnings, kept):
    warned = []
    params = {"audit_severities": severities}
    if refused:
        with pytest.raises(LibvirtCollectionError) as failure:
            run(Hosts(), params=params, audit_text=UDHCPC_ON_VF, warned=warned)
        assert "[refuse] dhcp_client_on_slave on eth2" in failure.value.message
        assert "address_on_slave" not in failure.value.message  # a warning, not a reason to refuse
        audit = failure.value.result["audit"]
    else:
        audit = run(Hosts(), params=params, audit_text=UDHCPC_ON_VF, warned=warned)["audit"]
    assert [w[:len(prefix)] for w, prefix in zip(warned, warnings)] == warnings and len(warned) == len(warnings)
    assert all("Fix: " in w for w in warned)
    assert [f["id"] for f in audit["findings"]] == kept and audit["refuse"] is refused


def test_audit_false_runs_no_audit():
    result = run(Hosts(), params={"audit": False}, audit_text=None)
    assert result["audit"] is None and result["guest"]["state"] == "steady"


def test_at_the_none_level_the_audit_is_skipped_with_a_note():
    hosts = Hosts()
    result = preflight(hosts.source, dict(PARAMS, verify_level="none"), opener=hosts.opener, reader_factory=never,
                       sysfs_root="/nonexistent", commands_reader=never, script_runner=never)
    assert result["audit"] == {"level": "none", "findings": [], "refuse": False, "unchecked": [
        {"check": "audit", "why": "skipped: verify level none, the guest is not read"}],
        "message": "vm1: the readiness audit was skipped (verify level none: the guest is not read)"}


def test_at_the_interfaces_level_only_addresses_are_judged(monkeypatch):
    addressed = [{"name": "eth0", "hardware-address": MAC, "ip-addresses": [{"ip-address": "192.0.2.11"}]},
                 {"name": "eth1", "hardware-address": MAC},
                 {"name": "eth2", "hardware-address": MAC, "ip-addresses": [{"ip-address": "192.0.2.77"}]}]
    monkeypatch.setattr(guest_agent, "agent_command", lambda _domain, command, *args, **kwargs: addressed)
    hosts = Hosts()
    no_exec = {"guest-exec": False, "guest-exec-status": True, "guest-network-get-interfaces": True}
    with pytest.raises(LibvirtCollectionError) as failure:
        preflight(hosts.source, PARAMS, opener=hosts.opener, reader_factory=never, sysfs_root="/nonexistent",
                  commands_reader=lambda _domain: no_exec, script_runner=never)
    assert "[refuse] address_on_slave on the pair {0}: 2 netdevs with the MAC {0} carry addresses (eth0, eth2)".format(MAC) \
        in failure.value.message
    audit = failure.value.result["audit"]
    assert audit["level"] == "interfaces" and audit["findings"][0]["netdev"] is None
    assert {u["check"] for u in audit["unchecked"]} == set(FINDING_IDS) - {"address_on_slave"}


def test_a_refusal_after_the_lock_returns_the_lock_for_its_release(tmp_path):
    with pytest.raises(LibvirtCollectionError, match="is not migrated: the readiness audit") as failure:
        locked(Hosts(), tmp_path, audit_text=UDHCPC_ON_VF)
    assert failure.value.result["lock_owner"]["run_id"] == "run-b" and (tmp_path / "locks" / "vm1").is_dir()
    assert failure.value.result["audit"]["refuse"] is True


# --- the destination (destination_preflight) ---------------------------------------------------------------------


@pytest.mark.parametrize("bridges, pci_devices, missing", [
    (["br0", "esw0"], ["0000:3b:02.1"], []),
    (["br0", "esw9"], ["0000:3b:02.1", "0000:3b:02.7"], ["the bridge esw9 ({root}/class/net/esw9/bridge)",
                                                         "the PCI device 0000:3b:02.7 ({root}/bus/pci/devices/0000:3b:02.7)"]),
    (["eth0"], [], ["the bridge eth0 ({root}/class/net/eth0/bridge)"]),  # a netdev that is no bridge
    ([], [], []),
])
def test_the_destination_names_each_bridge_and_vf_it_has_not_got(tmp_path, bridges, pci_devices, missing):
    for path in ("class/net/br0/bridge", "class/net/esw0/bridge", "class/net/eth0", "bus/pci/devices/0000:3b:02.1"):
        (tmp_path / path).mkdir(parents=True)
    params = {"name": "vm1", "bridges": bridges, "pci_devices": pci_devices, "mac": None, "fdb_port": None}
    result = destination_preflight(params, sysfs_root=str(tmp_path))
    assert result["missing"] == [text.format(root=tmp_path) for text in missing] and result["fdb"] is None
    assert result["changed"] is False


def test_the_destination_checks_the_pf_port_for_the_mac(tmp_path):
    entries = []

    def fdb_entry_for(mac):
        entries.append(FakeEntry(mac))
        return entries[-1]
    params = {"name": "vm1", "bridges": [], "pci_devices": [], "mac": MAC, "fdb_port": "pf0"}
    result = destination_preflight(params, fdb_entry_for=fdb_entry_for, sysfs_root=str(tmp_path))
    assert [entry.mac for entry in entries] == [MAC] and result["fdb"]["check_mode"] is True
    with pytest.raises(LibvirtCollectionError, match="needs the guest's MAC"):
        destination_preflight(dict(params, mac=None), fdb_entry_for=fdb_entry_for, sysfs_root=str(tmp_path))
