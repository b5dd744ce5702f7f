# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The five step modules of the migration dance against the lab (issue 6), each judged by the guest itself.

standby_link, fdb_entry, primary_device, vf_mac (its error: the lab's pf0 has no VFs) and live_migrate run on the
hypervisors over SSH; guest_failover_info reads the guest's real net_failover state after every step. The tests
run in file order and walk the seed's dance hv1 -> hv2 (managed migration) and back (peer-to-peer); vm1 ends
steady on hv1. The measured timings are printed at the end (pytest -s).
"""

import json
from pathlib import Path

import pytest

GUEST = "vm1"
MAC = "52:54:00:6c:00:01"
TIMINGS = {}


def task(lab, host, module, args, check=False, diff=False):
    """One module of the collection on one hypervisor (ansible-playbook, with check and diff mode); its result."""
    return lab.ansible(host, "netfailover.standby." + module, args, check=check, diff=diff)


def ok(result):
    assert not result.get("failed"), result.get("msg", result)
    return result


def expect(lab, hv, *states, timeout=30):
    return ok(lab.failover(hv, GUEST, expect=list(states), timeout=timeout))


def where(lab):
    return "hv1" if GUEST in lab.command("hv1", "virsh", "list", "--name")["stdout"].split() else "hv2"


def tcp_uri(lab, hv):
    """The hypervisor's libvirt over TCP on the management network (where migrations go)."""
    return "qemu+tcp://{0}/system".format(lab.inventory["all"]["children"]["hypervisors"]["hosts"][hv]["nflab_mgmt_address"])


def primary_xml(lab):
    return Path(lab.inventory["all"]["children"]["guests"]["hosts"][GUEST]["nflab_primary_xml"]).read_text()


def fdb(lab, hv, port="pf0", mac=MAC):
    """The bridge's entries for the MAC (the guest's by default) on the port, read with the tool itself."""
    entries = json.loads(lab.command(hv, "bridge", "-j", "fdb", "show", "dev", port)["stdout"])
    return [e for e in entries if e["mac"] == mac and "master" in e]


@pytest.fixture(scope="module")
def steps(lab):
    """vm1 starts steady on hv1 and is put back there, steady, whatever happened."""
    expect(lab, where(lab), "steady")
    yield lab
    hv = where(lab)
    task(lab, hv, "standby_link", {"name": GUEST, "state": "up"})
    if hv == "hv2":
        task(lab, "hv2", "primary_device", {"name": GUEST, "alias": "ua-primary0", "state": "absent"})
        task(lab, "hv2", "live_migrate", {"name": GUEST, "destination_uri": tcp_uri(lab, "hv1")})
    task(lab, "hv1", "primary_device", {"name": GUEST, "alias": "ua-primary0", "state": "present", "xml": primary_xml(lab)})
    task(lab, "hv1", "standby_link", {"name": GUEST, "state": "down"})
    expect(lab, "hv1", "steady")
    print("\nstep module timings (seconds, libvirt downtime in ms):\n" + json.dumps(TIMINGS, indent=2))


# --- standby_link ------------------------------------------------------------------------------------------------


def test_standby_link_check_mode_changes_nothing(steps):
    result = ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up"}, check=True, diff=True))
    assert result["changed"] is True and result["link_state_before"] == "down" and result["link_state"] == "up"
    assert result["diff"] == {"before": {"link_state": "down"}, "after": {"link_state": "up"}}
    assert result["alias"] == "ua-standby0" and result["mac"] == MAC and result["tap"].startswith("vnet")
    expect(steps, "hv1", "steady")


def test_standby_link_up_arms_the_guest_and_is_idempotent(steps):
    result = ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up"}))
    assert result["changed"] is True and result["link_state"] == "up"
    assert expect(steps, "hv1", "armed")["failover"]["facts"]["standby"]["carrier"] is True
    again = ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up"}))
    assert again["changed"] is False and again["link_state_before"] == "up"


def test_standby_link_by_tap(steps):
    tap = ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up"}, check=True))["tap"]
    down = ok(task(steps, "hv1", "standby_link", {"name": GUEST, "tap": tap, "state": "down"}))
    assert down["changed"] and down["alias"] == "ua-standby0"
    expect(steps, "hv1", "steady")
    ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up"}))
    expect(steps, "hv1", "armed")


@pytest.mark.parametrize("args, message", [
    ({"name": "vm9", "state": "up"}, "Domain 'vm9' not found at qemu:///system. Domains defined there: vm1"),
    ({"name": GUEST, "alias": "ua-nic7", "state": "up"}, "Domain vm1 has no interface with alias 'ua-nic7' in its live XML"),
])
def test_standby_link_errors_change_nothing(steps, args, message):
    result = task(steps, "hv1", "standby_link", args)
    assert result["failed"] and message in result["msg"]
    expect(steps, "hv1", "armed", "steady")


# --- fdb_entry -----------------------------------------------------------------------------------------------------


def test_fdb_entry_absent_then_present(steps):
    # On a MAC that no frame in the lab carries, so the guest's own traffic (ARP confirmations, frames through the
    # standby after a link change) can neither teach br0 the entry back nor move it between the test's steps: the
    # dynamic entry this starts from is placed with the tool itself, as learning would place it.
    quiet = "52:54:00:6c:00:ee"
    steps.command("hv1", "bridge", "fdb", "add", quiet, "dev", "pf0", "master", "dynamic")
    assert [e["state"] for e in fdb(steps, "hv1", mac=quiet)] == [""]
    args = {"mac": quiet, "port": "pf0", "state": "absent"}
    check = ok(task(steps, "hv1", "fdb_entry", args, check=True, diff=True))
    assert check["changed"] and check["bridge"] == "br0" and check["entries_before"][0]["flavour"] == "dynamic"
    assert check["diff"]["before"] != check["diff"]["after"]
    assert fdb(steps, "hv1", mac=quiet), "check mode deleted the entry"
    removed = ok(task(steps, "hv1", "fdb_entry", args))
    assert removed["changed"] and removed["commands"][0][1:] == ["fdb", "del", quiet, "dev", "pf0", "master"]
    assert removed["entries_after"] == [] and fdb(steps, "hv1", mac=quiet) == []
    assert ok(task(steps, "hv1", "fdb_entry", args))["changed"] is False  # no entry: ok, not changed
    static = ok(task(steps, "hv1", "fdb_entry", dict(args, state="present", flavour="static")))
    assert static["changed"] and [e["state"] for e in fdb(steps, "hv1", mac=quiet)] == ["static"]
    assert ok(task(steps, "hv1", "fdb_entry", dict(args, state="present", flavour="static")))["changed"] is False
    assert ok(task(steps, "hv1", "fdb_entry", args))["changed"] and fdb(steps, "hv1", mac=quiet) == []


def test_fdb_entry_on_a_port_that_is_not_there(steps):
    result = task(steps, "hv1", "fdb_entry", {"mac": MAC, "port": "pf9", "state": "absent"})
    assert result["failed"] and 'Device "pf9" does not exist' in result["msg"]


# --- vf_mac --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check", [True, False])
def test_vf_mac_on_a_pf_without_vfs(steps, check):
    result = task(steps, "hv1", "vf_mac", {"pf": "pf0", "vf": 5, "mac": MAC}, check=check)
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith("pf0 has no VF 5: pf0 reports no VFs: it is not an SR-IOV PF")


# --- primary_device and live_migrate: the dance hv1 -> hv2 -> hv1 ---------------------------------------------------


def detach(lab, hv):
    """The seed's first half: the bridge forgets the MAC on the PF, the VF goes; the standby carries the traffic."""
    forget = {"mac": MAC, "port": "pf0", "state": "absent"}
    ok(task(lab, hv, "fdb_entry", forget))
    args = {"name": GUEST, "alias": "ua-primary0", "state": "absent", "timeout": 30}
    check = ok(task(lab, hv, "primary_device", args, check=True, diff=True))
    assert check["changed"] and check["diff"]["after"] == {"live": None}
    expect(lab, hv, "armed")  # check mode left the VF in
    result = ok(task(lab, hv, "primary_device", args))
    # the event or the live-XML fallback, whichever the machine's pace lets see the removal first
    assert result["changed"] and result["removal_detected_by"] in ("DEVICE_REMOVED event", "gone from the live XML")
    assert result["present"] == {"live": False}
    # The VF's last frames may have taught the bridge the MAC on pf0 again; nothing can now (the role does the same).
    ok(task(lab, hv, "fdb_entry", forget))
    expect(lab, hv, "standby_only_up")
    assert lab.probe(GUEST, count=20)["received"] >= 20  # the standby carries the traffic
    assert ok(task(lab, hv, "primary_device", args))["changed"] is False
    return result["timings"]


def attach(lab, hv):
    args = {"name": GUEST, "alias": "ua-primary0", "state": "present", "xml": primary_xml(lab), "timeout": 30}
    check = ok(task(lab, hv, "primary_device", args, check=True))
    assert check["changed"] and check["present"] == {"live": True}
    expect(lab, hv, "standby_only_up")
    result = ok(task(lab, hv, "primary_device", args))
    assert result["changed"] and result["guest_state"] == "armed"
    assert result["timings"]["enslaved_seconds"] >= result["timings"]["request_seconds"]
    assert expect(lab, hv, "armed")["failover"]["facts"]["primary"]["driver"] == "vmxnet3"
    assert ok(task(lab, hv, "primary_device", args))["changed"] is False
    return result["timings"]


def migrate(lab, source, destination, mode):
    args = {"name": GUEST, "destination_uri": tcp_uri(lab, destination), "mode": mode, "max_downtime": 300, "timeout": 120}
    check = ok(task(lab, source, "live_migrate", args, check=True, diff=True))
    assert check["changed"] and check["location"] == "source" and check["job"] is None
    assert GUEST in lab.command(source, "virsh", "list", "--name")["stdout"].split()
    result = ok(task(lab, source, "live_migrate", args))
    assert result["changed"] and result["location"] == "destination" and result["mode"] == mode
    job = result["job"]
    assert job["downtime_ms"] > 0 and job["data_processed_bytes"] > 0 and job["time_elapsed_ms"] > 0
    assert job["memory_total_bytes"] >= 256 * 1024 * 1024 * 0.9 and job["libvirt"]["type"] == 3  # VIR_DOMAIN_JOB_COMPLETED
    assert GUEST not in lab.command(source, "virsh", "list", "--all", "--name")["stdout"].split()  # undefined on the source
    assert GUEST in lab.command(destination, "virsh", "list", "--persistent", "--name")["stdout"].split()
    again = ok(task(lab, source, "live_migrate", args))
    assert again["changed"] is False and again["location"] == "destination"
    expect(lab, destination, "standby_only_up")
    assert lab.probe(GUEST, count=20)["received"] >= 20
    return {"elapsed_seconds": result["elapsed_seconds"], "downtime_ms": job["downtime_ms"],
            "time_elapsed_ms": job["time_elapsed_ms"], "data_processed_bytes": job["data_processed_bytes"]}


def finish(lab, hv):
    ok(task(lab, hv, "standby_link", {"name": GUEST, "state": "down"}))
    expect(lab, hv, "steady")
    assert lab.probe(GUEST, count=20)["received"] >= 20


def test_live_migrate_errors_change_nothing(steps):
    unreachable = task(steps, "hv1", "live_migrate", {"name": GUEST, "destination_uri": "qemu+tcp://198.51.100.99/system"})
    assert unreachable["failed"] and unreachable["msg"].startswith("Cannot reach destination libvirt at qemu+tcp://198.51.100.99/system")
    assert "the domain stays where it is" in unreachable["msg"]
    expect(steps, "hv1", "armed", "steady")


def test_live_migrate_of_a_domain_with_its_vf_is_refused_and_the_domain_stays(steps):
    """As libvirt refuses to migrate an assigned VF, the lab's hypervisors refuse its emulated one (lab/hooks/qemu_hook.py)."""
    result = task(steps, "hv1", "live_migrate", {"name": GUEST, "destination_uri": tcp_uri(steps, "hv2"), "timeout": 120})
    assert result["failed"] and "cannot migrate a domain with an assigned VF (ua-primary0" in result["msg"], result["msg"]
    assert result["location"] == "source" and where(steps) == "hv1"
    assert GUEST not in steps.command("hv2", "virsh", "list", "--all", "--name")["stdout"].split()
    expect(steps, "hv1", "armed", "steady")


def test_live_migrate_timeout_aborts_and_the_domain_stays(steps):
    ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up", "verify_states": ["armed"]}))
    ok(task(steps, "hv1", "primary_device", {"name": GUEST, "alias": "ua-primary0", "state": "absent", "timeout": 30,
                                             "verify_states": ["standby_only_up"]}))
    result = task(steps, "hv1", "live_migrate", {"name": GUEST, "destination_uri": tcp_uri(steps, "hv2"), "bandwidth": 1,
                                                 "timeout": 8})
    assert result["failed"] and "did not finish within 8 s; the module aborted it" in result["msg"]
    assert result["location"] == "source" and result["msg"].endswith("The domain still runs on the source (qemu:///system).")
    assert where(steps) == "hv1"
    expect(steps, "hv1", "standby_only_up")
    ok(task(steps, "hv1", "primary_device", {"name": GUEST, "alias": "ua-primary0", "state": "present", "xml": primary_xml(steps),
                                             "timeout": 30, "expect_states": ["armed"]}))
    ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "down", "verify_states": ["steady"]}))


def test_dance_hv1_to_hv2_managed(steps):
    ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "up"}))
    expect(steps, "hv1", "armed")
    TIMINGS["detach_hv1"] = detach(steps, "hv1")
    TIMINGS["migrate_hv1_to_hv2_managed"] = migrate(steps, "hv1", "hv2", "managed")
    TIMINGS["attach_hv2"] = attach(steps, "hv2")
    finish(steps, "hv2")


def test_dance_hv2_to_hv1_p2p_with_the_guest_checks_and_fdb_switches_in_the_step_modules(steps):
    """The role's way: each step checks the guest itself (verify_states) and moves the bridge entry at its moment."""
    up = ok(task(steps, "hv2", "standby_link", {"name": GUEST, "state": "up", "fdb_mac": MAC, "fdb_port": "pf0",
                                                "verify_states": ["armed"]}))
    assert up["guest"]["state"] == "armed" and up["fdb"]["port"] == "pf0"
    assert [(e["state"], "sticky" in e["flags"]) for e in fdb(steps, "hv2")] == [("static", True)]  # pinned before up
    tap = up["tap"]
    args = {"name": GUEST, "alias": "ua-primary0", "state": "absent", "timeout": 30, "fdb_mac": MAC, "fdb_port": tap,
            "verify_states": ["standby_only_up"]}
    check = ok(task(steps, "hv2", "primary_device", args, check=True, diff=True))
    assert check["diff"]["after"]["fdb"][0]["flavour"] == "static" and check["fdb"]["port"] == tap
    detached = ok(task(steps, "hv2", "primary_device", args))
    switched = [a for a in detached["actions"] if a.startswith("pointed the FDB entry")]
    assert switched and detached["guest"]["state"] == "standby_only_up", detached["actions"]
    if "released_seconds" in detached["timings"]:  # the guest let go of the VF before QEMU reported its removal
        assert detached["timings"]["released_seconds"] <= detached["timings"]["removed_seconds"]
    assert [e["state"] for e in fdb(steps, "hv2", port=tap)] == ["static"] and fdb(steps, "hv2") == []
    assert steps.probe(GUEST, count=20)["received"] >= 20  # inbound reaches the standby
    TIMINGS["detach_hv2_with_fdb_switch"] = detached["timings"]
    moved = ok(task(steps, "hv2", "live_migrate", {"name": GUEST, "destination_uri": tcp_uri(steps, "hv1"), "timeout": 120,
                                                   "verify_states": ["standby_only_up"]}))
    assert moved["location"] == "destination" and moved["guest"]["state"] == "standby_only_up"
    TIMINGS["migrate_hv2_to_hv1_p2p"] = {"elapsed_seconds": moved["elapsed_seconds"], "downtime_ms": moved["job"]["downtime_ms"]}
    attach_args = {"name": GUEST, "alias": "ua-primary0", "state": "present", "xml": primary_xml(steps), "timeout": 30,
                   "fdb_mac": MAC, "fdb_port": "pf0", "expect_states": ["armed"]}
    attached = ok(task(steps, "hv1", "primary_device", attach_args))
    assert attached["guest_state"] == "armed" and attached["fdb"]["changed"]
    # switched when the VF's netdev (the pair's MAC) appeared in the guest, or, if the agent could not list it, on the
    # first full read that showed it enslaved
    reasons = ("the VF with the pair's MAC)", "(the guest enslaved ua-primary0)")
    assert any(a.endswith(reasons) for a in attached["actions"]), attached["actions"]
    assert "arrived_seconds" in attached["timings"] or attached["actions"][-1].endswith(reasons[1]), attached["timings"]
    assert [e["state"] for e in fdb(steps, "hv1")] == ["static"]
    down = ok(task(steps, "hv1", "standby_link", {"name": GUEST, "state": "down", "fdb_mac": MAC, "fdb_port": "pf0",
                                                  "verify_states": ["steady"]}))
    assert down["guest"]["state"] == "steady" and down["fdb"]["entries_after"] == []
    assert [e["state"] for e in fdb(steps, "hv1")] in ([], [""])  # unpinned: at most learned again
    assert steps.probe(GUEST, count=20)["received"] >= 20
