# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults injected into real migrations (issue 7): no VM and no connectivity is lost.

Each test runs playbooks/migrate.yml against the lab while a probe on the L2 segment measures the outage,
injects one fault, and checks that the VM ends running and reachable with a consistent failover topology and
that the role said what happened in words an operator can act on. Every row (outage, final state, time to
recover) goes into fault-matrix.json in the lab's state folder and is printed at the end.
"""

import json
import time
import xml.etree.ElementTree as ET

import libvirt
import pytest

from conftest import LAB_STATE, REPO, run

VM = "vm1"
OTHER = {"hv1": "hv2", "hv2": "hv1"}
ROWS = []


@pytest.fixture(scope="module", autouse=True)
def fault_matrix():
    yield
    (LAB_STATE / "fault-matrix.json").write_text(json.dumps(ROWS, indent=2))
    print("\nfault                                   | outcome                    | outage ms | lost | final state      | recover s")
    for row in ROWS:
        print("{fault:39} | {outcome:26} | {outage_ms!s:9} | {lost!s:4} | {final_state:16} | {recover_s}".format(**row))


@pytest.fixture(autouse=True)
def steady_lab(lab):
    """Every fault starts from the lab's steady state (lab-up rebuilds the lab when a fault left it otherwise)."""
    completed = run([REPO / "tools" / "lab.sh", "up"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return lab


def connection(lab, hv):
    return libvirt.open(lab.facts["uris"][hv])


def migrate(lab, tmp_path, name, probe=True, vm=VM, background=False, source=None, **extravars):
    """Run migrate.yml for vm from ``source`` (default: where it runs) to the other hypervisor; returns the run (and
    the probe summary)."""
    source = source or lab.hypervisor_running(vm)
    request = dict({"vm": vm, "source": source, "destination": OTHER[source], "migrate_pf": "pf0"}, **extravars)
    report_dir = tmp_path / name
    if background:
        return lab.playbook("migrate.yml", request, report_dir, background=True), report_dir
    before = live_xml(lab, source, vm)
    handle = lab.start_probe(vm) if probe else None
    result = lab.playbook("migrate.yml", request, report_dir)
    result.probe = handle.stop() if handle else None
    result.source = source
    result.before_xml = before
    return result


def live_xml(lab, hv, vm):
    conn = connection(lab, hv)
    try:
        return conn.lookupByName(vm).XMLDesc(0)
    finally:
        conn.close()


def wait_for_memory_to_move(domain, process, timeout=180):
    """Until the domain's migration job reports memory_processed above 0: a state, however slow the machine. Fails if
    the playbook ends first or after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while domain.jobStats().get("memory_processed", 0) == 0:
        assert process.poll() is None, "the playbook ended before its migration moved memory"
        assert time.monotonic() < deadline, "the migration moved no memory within {0} s".format(timeout)
        time.sleep(0.05)


def fdb_entries(lab, hv, mac):
    """hv's br0 FDB entries for mac (bridge -j fdb show)."""
    entries = json.loads(lab.command(hv, "bridge", "-j", "fdb", "show", "br", "br0")["stdout"])
    return [entry for entry in entries if entry["mac"] == mac]


def pinned_fdb_entries(lab, hv, mac):
    """hv's br0 FDB entries for mac that the dance pins (static or sticky)."""
    return [entry for entry in fdb_entries(lab, hv, mac) if entry.get("state") == "static" or "sticky" in entry["flags"]]


def settle(lab, vm=VM, states=("steady",)):
    """The VM's final state where it runs, after the run; fails if it is not running anywhere."""
    hv = lab.hypervisor_running(vm)
    assert hv, "{0} is not running anywhere".format(vm)
    result = lab.failover(hv, vm, expect=list(states), timeout=30)
    return hv, result


def record(fault, result, final_state, started=None):
    ROWS.append({
        "fault": fault,
        "outcome": (result.report or {}).get("outcome", "rc={0}".format(result.rc)),
        "outage_ms": result.probe["longest_gap_ms"] if result.probe else None,
        "lost": result.probe["lost"] if result.probe else None,
        "final_state": final_state,
        "recover_s": round(time.monotonic() - started, 1) if started else (result.report or {}).get("wall_seconds"),
        "message": (result.report or {}).get("message"),
    })


def assert_reachable(lab, vm=VM):
    assert lab.probe(vm, count=10)["received"] >= 10


def test_two_runs_at_once_the_second_refuses(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    # The first run migrates at 1 MiB/s: it holds its lock, whatever the machine's pace, until the test lets the
    # migration go at full speed once the second run has ended.
    first = migrate(lab, tmp_path, "first", background=True, migrate_bandwidth_mib=1, migrate_timeout=900)[0]
    source_connection = connection(lab, source)
    try:
        domain = source_connection.lookupByName(VM)
        wait_for_memory_to_move(domain, first)
        assert (LAB_STATE / source / "run-netfailover" / "locks" / VM).exists()
        # the source named: while it migrates, vm1 also runs (paused) on the destination
        second = migrate(lab, tmp_path, "second", source=source)
        assert domain.jobInfo()[0] != libvirt.VIR_DOMAIN_JOB_NONE, "the first run's migration ended while the second ran"
        domain.migrateSetMaxSpeed(8192)  # MiB/s: the first run finishes
    finally:
        source_connection.close()
    output = first.communicate(timeout=600)[0]
    assert first.returncode == 0, output
    assert second.rc != 0
    assert second.report["outcome"] == "refused"
    assert "Another run is migrating vm1" in second.report["message"] and "Nothing was changed" in second.report["message"]
    hv, state = settle(lab)
    assert hv == OTHER[source]  # the first run did its job
    assert_reachable(lab)
    record("two runs at once (second refuses)", second, state["state"])


def assert_refused_in_place(lab, result, source, fault):
    """A refusal in the preflight: the run failed, the VM still runs steady on the source, its live definition (links,
    devices) is as it was and no FDB entry of it is pinned. (The probe's figures go into the matrix: on a busy machine a
    starved TCG guest may drop a probe without any change to its network.)"""
    assert result.rc != 0 and result.report["outcome"] == "refused", result.output[-3000:]
    hv, state = settle(lab)
    assert hv == source
    assert live_xml(lab, source, VM) == result.before_xml
    mac = lab.inventory["all"]["children"]["guests"]["hosts"][VM]["nflab_mac"]
    assert pinned_fdb_entries(lab, source, mac) == []
    assert_reachable(lab)
    record(fault, result, state["state"])


def test_destination_libvirtd_stopped_before(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    run([REPO / "tools" / "lab.sh", "libvirtd", OTHER[source], "stop"])
    try:
        result = migrate(lab, tmp_path, "dest-down")
    finally:
        run([REPO / "tools" / "lab.sh", "libvirtd", OTHER[source], "start"])
    assert_refused_in_place(lab, result, source, "destination libvirtd stopped before")
    assert OTHER[source] in result.report["message"]


def test_destination_without_the_vf_is_refused(lab, tmp_path):
    """Bad input: a destination VF on a bridge that is not there. The preflight names it; nothing changes."""
    source = lab.hypervisor_running(VM)
    vf_xml = "<interface type='bridge'><mac address='52:54:00:6c:00:01'/><source bridge='esw9'/><model type='vmxnet3'/></interface>"
    result = migrate(lab, tmp_path, "dest-no-vf", migrate_destination_primary_xml=vf_xml)
    assert_refused_in_place(lab, result, source, "destination without the VF")
    message = result.report["message"]
    assert "{0} cannot take vm1".format(OTHER[source]) in message and "/sys/class/net/esw9/bridge" in message, message
    assert "Nothing was changed" in message


def test_destination_libvirtd_killed_during_the_migration(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    destination = OTHER[source]
    probe = lab.start_probe(VM)
    started = time.monotonic()
    # 10 MiB/s stretches the ~100 MiB transfer over seconds, so the kill lands in the middle of it
    process, report_dir = migrate(lab, tmp_path, "dest-killed", background=True, migrate_bandwidth_mib=10)
    source_connection = connection(lab, source)
    try:
        domain = source_connection.lookupByName(VM)
        wait_for_memory_to_move(domain, process)
        run([REPO / "tools" / "lab.sh", "libvirtd", destination, "kill"])
    finally:
        source_connection.close()
    output = process.communicate(timeout=600)[0]
    run([REPO / "tools" / "lab.sh", "libvirtd", destination, "start"])
    summary = probe.stop()
    report = json.loads((report_dir / (VM + ".json")).read_text())
    assert process.returncode != 0, output[-3000:]
    assert report["outcome"] == "rolled_back", report["message"]
    assert "Rolled back: vm1 runs on {0} with its VF".format(source) in report["message"]
    hv, state = settle(lab)
    assert hv == source
    assert_reachable(lab)
    result = type("Run", (), {"report": report, "probe": summary, "rc": process.returncode})
    record("destination libvirtd killed mid-migration", result, state["state"], started)


def test_migration_aborted_by_its_timeout(lab, tmp_path):
    # 1 MiB/s cannot move 256 MiB in 3 s: live_migrate aborts the job, the VM stays on the source.
    source = lab.hypervisor_running(VM)
    result = migrate(lab, tmp_path, "timeout", migrate_timeout=3, migrate_bandwidth_mib=1)
    assert result.rc != 0
    assert result.report["outcome"] == "rolled_back", result.report["message"]
    assert result.report["final_state"] == "steady" and result.report["message"].endswith("with its VF (steady).")
    assert [step["step"] for step in result.report["steps"]][-1] == "verify_final"
    assert result.report["failed_step"].startswith("Run the live migration")
    hv, state = settle(lab)
    assert hv == source
    assert_reachable(lab)
    record("migration fails mid-way (timeout abort)", result, state["state"])


QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
ET.register_namespace("qemu", QEMU_NS)


def start_clone(lab, conn, name, number, standby=True, teaming=False, until="steady", parameters=""):
    """A second guest beside vm1, defined from vm1's definition on the same hypervisor: its own name, MAC
    (52:54:00:6c:00:NN) and address (192.0.2.NN); without <teaming> when not ``standby``; with QEMU's
    failover_pair_id on its VF when ``teaming`` (as the lab's teaming variant defines it); the guest's kernel
    ``parameters`` added (lab/guest/init). Returns the running domain once its guest agent shows ``until``."""
    root = ET.fromstring(conn.lookupByName(VM).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    root.find("name").text = name
    root.remove(root.find("uuid"))
    for interface in root.findall("devices/interface"):
        interface.find("mac").set("address", "52:54:00:6c:00:{0}".format(number))
        element = interface.find("teaming")
        if element is not None and not standby:
            interface.remove(element)
    cmdline = root.find("os/cmdline")
    cmdline.text = cmdline.text.replace("192.0.2.11", "192.0.2.{0}".format(number)).replace("hostname=vm1", "hostname=" + name)
    if parameters:
        cmdline.text += " " + parameters
    serial = root.find("devices/serial/source")
    serial.set("path", serial.get("path").replace("vm1", name))
    if teaming and root.find("{%s}override" % QEMU_NS) is None:
        override = ET.SubElement(root, "{%s}override" % QEMU_NS)
        device = ET.SubElement(override, "{%s}device" % QEMU_NS, alias="ua-primary0")
        frontend = ET.SubElement(device, "{%s}frontend" % QEMU_NS)
        ET.SubElement(frontend, "{%s}property" % QEMU_NS, name="failover_pair_id", type="string", value="ua-standby0")
    domain = conn.defineXML(ET.tostring(root, encoding="unicode"))
    domain.create()
    hv = lab.hypervisor_running(name)
    deadline = time.monotonic() + 120
    while lab.failover(hv, name, timeout=0).get("state") != until:  # until its agent answers
        assert time.monotonic() < deadline, "{0}'s guest never showed {1}".format(name, until)
        time.sleep(2)
    return domain


def remove_clone(lab, name):
    for hv in OTHER:
        conn = connection(lab, hv)
        try:
            domain = conn.lookupByName(name)
            if domain.isActive():
                domain.destroy()
            domain.undefine()
        except libvirt.libvirtError:
            pass  # not defined there
        finally:
            conn.close()


def test_guest_without_standby_is_refused(lab, tmp_path):
    name = "vmn1"
    hv = lab.hypervisor_running(VM)
    conn = connection(lab, hv)
    try:
        # vm1's definition without <teaming>: QEMU does not offer STANDBY, the guest sees two plain NICs.
        domain = start_clone(lab, conn, name, 31, standby=False, until="not_negotiated")
        before = domain.XMLDesc(0)  # once the guest runs (its agent channel is connected)
        result = migrate(lab, tmp_path, "no-standby", vm=name, probe=False)
        assert result.rc != 0 and result.report["outcome"] == "refused"
        assert "STANDBY" in result.report["message"] and "not negotiated" in result.report["message"]
        assert domain.isActive() and domain.XMLDesc(0) == before  # nothing changed
        record("guest without STANDBY (preflight refuses)", result, "not_negotiated")
    finally:
        conn.close()
        remove_clone(lab, name)


def test_teaming_migration_that_fails_unpins_the_destination(lab, tmp_path):
    """The teaming dance starts a job on the destination before migrating that pins the VM's MAC to the PF once the
    guest enslaves the VF there; when the migration fails the job must end without pinning anything, or the
    destination would keep steering the MAC to a VF it has not."""
    name, mac = "vmt1", "52:54:00:6c:00:41"
    source = lab.hypervisor_running(VM)
    destination = OTHER[source]
    conn = connection(lab, source)
    try:
        domain = start_clone(lab, conn, name, 41, teaming=True)
        handle = lab.start_probe(name, address="192.0.2.41")
        # 1 MiB/s keeps the migration in its memory phase for seconds; the job is aborted there, once QEMU's unplug of
        # the VF is done (memory moves only after it), as a failing network between the hosts would end it
        process, report_dir = migrate(lab, tmp_path, "teaming-aborted", vm=name, background=True, variant="teaming",
                                      migrate_bandwidth_mib=1)
        wait_for_memory_to_move(domain, process)
        domain.abortJob()
        output = process.communicate(timeout=600)[0]
        report = json.loads((report_dir / (name + ".json")).read_text())
        result = type("Run", (), {"report": report, "probe": handle.stop(), "rc": process.returncode})
        assert result.rc != 0, output[-3000:]
        assert result.report["variant"] == "teaming"
        assert result.report["outcome"] == "rolled_back", result.report["message"]
        assert result.report["final_state"] == "steady"
        steps = {step["step"]: step for step in result.report["steps"]}
        # Outcomes only: whether live_migrate's guest reads caught the release before the abort depends on the machine's
        # pace. Whatever it saw, the source's entry ends on the PF (where the VF that QEMU plugged back is) ...
        assert steps["live_migrate"]["fdb"]["port"] == "pf0"
        assert [e.get("ifname") for e in fdb_entries(lab, source, mac) if e.get("ifname")] in ([], ["pf0"])
        # ... and the destination's job saw the incoming domain go away and pinned nothing there
        assert "primary_attach" not in steps  # the job's result is collected only after a migration that succeeded
        assert pinned_fdb_entries(lab, destination, mac) == []
        hv, state = settle(lab, vm=name)
        assert hv == source and state["failover"]["facts"]["primary"]["driver"] == "vmxnet3"
        assert lab.probe(name, count=10, address="192.0.2.41")["received"] >= 10
        record("teaming migration aborted mid-way", result, state["state"])
    finally:
        conn.close()
        remove_clone(lab, name)


def test_vf_with_the_wrong_mac_on_the_destination_is_reported(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    destination = OTHER[source]
    primary_xml = (LAB_STATE / "guests" / "vm1-primary.xml").read_text()
    wrong_xml = primary_xml.replace("52:54:00:6c:00:01", "02:00:00:00:00:99")
    result = migrate(lab, tmp_path, "wrong-mac", migrate_destination_primary_xml=wrong_xml, migrate_plug_timeout=15)
    assert result.rc != 0
    assert result.report["outcome"] == "on_destination_without_vf", result.report["message"]
    assert "not enslaved" in result.report["message"]
    assert result.report["final_state"] in ("primary_not_enslaved", "standby_only_up")
    hv, state = settle(lab, states=("primary_not_enslaved", "standby_only_up"))
    assert hv == destination
    assert_reachable(lab)  # on its standby
    # repair, as the report says: the right VF in place of the wrong one
    started = time.monotonic()
    lab.ansible(hv, "netfailover.standby.primary_device", {"name": VM, "alias": "ua-primary0", "state": "absent"})
    lab.ansible(hv, "netfailover.standby.primary_device", {"name": VM, "alias": "ua-primary0", "state": "present",
                                                           "xml": primary_xml})
    lab.ansible(hv, "netfailover.standby.standby_link", {"name": VM, "state": "down"})
    _hv, repaired = settle(lab)
    record("VF with the wrong MAC on the destination", result, state["state"] + " -> " + repaired["state"], started)


def test_guest_agent_stopped_gives_a_clear_error_not_a_hang(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    conn = connection(lab, source)
    try:
        domain = conn.lookupByName(VM)
        # freeze qemu-ga from inside the guest: every later agent command times out
        lab.command(source, "virsh", "qemu-agent-command", VM,
                    json.dumps({"execute": "guest-exec", "arguments": {
                        "path": "/bin/sh", "arg": ["-c", "kill -STOP $(cat /run/qemu-ga.pid)"]}}))
        started = time.monotonic()
        result = migrate(lab, tmp_path, "agent-stopped")
        took = time.monotonic() - started
        assert result.rc != 0 and result.report["outcome"] == "refused", result.report
        assert "guest agent" in result.report["message"].lower()
        assert took < 300  # a bounded wait (the agent's timeouts), not a hang, on a slow machine too
        assert live_xml(lab, source, VM) == result.before_xml  # the guest itself was never touched
        # recover: a reset restarts the guest (and its agent) with its live definition
        domain.reset()
        hv, state = settle(lab)
        assert hv == source
        record("guest agent stopped (preflight refuses)", result, state["state"], started)
    finally:
        conn.close()


def test_guest_that_never_releases_the_vf(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    # unbind the guest's driver of the VF's root port: the unplug request is never answered
    lab.command(source, "virsh", "qemu-agent-command", VM,
                json.dumps({"execute": "guest-exec", "arguments": {
                    "path": "/bin/sh", "arg": ["-c", "echo 0000:00:08.0 > /sys/bus/pci/drivers/pcieport/unbind"]}}))
    result = migrate(lab, tmp_path, "no-unplug", migrate_unplug_timeout=8)
    assert result.rc != 0
    assert result.report["outcome"] == "rolled_back", result.report["message"]
    assert result.report["failed_step"].startswith("Detach each VF")
    assert "8" in result.report["message"]  # says how long it waited
    hv, state = settle(lab, states=("steady", "armed"))
    assert hv == source
    assert_reachable(lab)
    record("guest does not release the VF (DEVICE_REMOVED timeout)", result, state["state"])
    # the guest's root-port driver stays unbound: reset it, so that the lab is not left with a guest that cannot
    # unplug (the next lab-up rebuilds the lab if the guest does not come back steady)
    conn = connection(lab, source)
    try:
        conn.lookupByName(VM).reset()
    finally:
        conn.close()
