# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration lock and the rollback that asks both hypervisors (issue 15), against the lab.

A lock left by a run that is gone (older than migrate_lock_stale_after, or its process gone on this controller) is
taken over with a warning that names it, and the migration goes on; a live run's lock refuses the migration with its
owner named and changes nothing; a source domain left paused by a failed step is resumed and rolled back there.
"""

import json
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import libvirt
import pytest

from conftest import LAB_STATE, REPO, run

VM = "vm1"
OTHER = {"hv1": "hv2", "hv2": "hv1"}
LOCKS = "/run/netfailover.standby/locks"


@pytest.fixture(autouse=True)
def steady_lab(lab):
    completed = run([REPO / "tools" / "lab.sh", "up"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return lab


def migrate(lab, tmp_path, name, source, background=False, **extravars):
    request = dict({"vm": VM, "source": source, "destination": OTHER[source], "migrate_pf": "pf0"}, **extravars)
    return lab.playbook("migrate.yml", request, tmp_path / name, background=background)


def plant_lock(lab, hv, **owner):
    """A lock of vm1 on ``hv`` as a run of this release makes it (vm1's name needs no encoding)."""
    record = dict({"vm": VM, "job_id": None, "controller": "ctl-elsewhere", "pid": 4242, "started": time.time()}, **owner)
    lab.command(hv, "mkdir", "-p", "{0}/{1}".format(LOCKS, VM))
    lab.ansible(hv, "ansible.builtin.copy", {"dest": "{0}/{1}/owner".format(LOCKS, VM), "content": json.dumps(record) + "\n"})


def lock_owner(hv):
    path = LAB_STATE / hv / "run-netfailover" / "locks" / VM / "owner"
    return json.loads(path.read_text()) if path.exists() else None


def flat(text):
    return " ".join(text.split())  # Ansible wraps its warnings


def live_xml(lab, hv):
    conn = libvirt.open(lab.facts["uris"][hv])
    try:
        return conn.lookupByName(VM).XMLDesc(0)
    finally:
        conn.close()


def dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("why, owner", [
    ("older than", {"run_id": "run-of-yesterday", "started": time.time() - 7200, "job_id": "17"}),
    ("process is gone", {"run_id": "run-killed", "controller": socket.gethostname(), "pid": None}),
])
def test_a_stale_lock_is_taken_over_and_the_migration_goes_on(lab, tmp_path, why, owner):
    source = lab.hypervisor_running(VM)
    owner = dict(owner)
    if owner.get("pid", 0) is None:
        owner["pid"] = dead_pid()  # a run of this controller that was killed
    plant_lock(lab, source, **owner)
    started = time.monotonic()
    result = migrate(lab, tmp_path, "stale", source)
    assert result.rc == 0, result.output[-3000:]
    assert result.report["outcome"] == "migrated"
    output = flat(result.output)
    assert "Took over the lock {0}/{1} of {1}".format(LOCKS, VM) in output and why in output
    assert "held by run {0}".format(owner["run_id"]) in output
    assert lab.hypervisor_running(VM) == OTHER[source]
    assert lock_owner(source) is None  # released at the end of the run
    print("\n{0}: migrated in {1:.1f} s".format(why, time.monotonic() - started))


def test_a_live_runs_lock_refuses_with_its_owner_named(lab, tmp_path):
    source = lab.hypervisor_running(VM)
    before = live_xml(lab, source)
    plant_lock(lab, source, run_id="run-in-progress", job_id="77")
    try:
        result = migrate(lab, tmp_path, "held", source)
        assert result.rc != 0
        report = result.report
        assert report["outcome"] == "refused", report["message"]
        assert "Another run is migrating vm1" in report["message"] and "Nothing was changed" in report["message"]
        assert "held by run run-in-progress (controller ctl-elsewhere, pid 4242, AWX job 77)" in report["message"]
        assert lock_owner(source)["run_id"] == "run-in-progress"  # never removed by the run it refused
        assert lab.hypervisor_running(VM) == source and live_xml(lab, source) == before
    finally:
        lab.command(source, "rm", "-rf", "{0}/{1}".format(LOCKS, VM))


def standby_up(xml):
    for interface in ET.fromstring(xml).findall("devices/interface"):
        teaming = interface.find("teaming")
        if teaming is not None and teaming.get("type") == "persistent":
            link = interface.find("link")
            return link is None or link.get("state") == "up"
    raise AssertionError("vm1 has no standby interface")


def test_a_source_left_paused_is_resumed_and_rolled_back(lab, tmp_path):
    """The domain is paused on the source as soon as the dance has set its standby link up: the step that waits for the
    guest next fails (the link-up's own check of the guest, or the detach, whose unplug the guest never answers: its
    root port's driver is unbound, as in test_60), the rollback finds vm1 paused on the source and absent on the
    destination, resumes it and brings it back to its steady state there."""
    source = lab.hypervisor_running(VM)
    assert not standby_up(live_xml(lab, source))
    lab.command(source, "virsh", "qemu-agent-command", VM,
                json.dumps({"execute": "guest-exec", "arguments": {
                    "path": "/bin/sh", "arg": ["-c", "echo 0000:00:08.0 > /sys/bus/pci/drivers/pcieport/unbind"]}}))
    process = migrate(lab, tmp_path, "paused", source, background=True, migrate_unplug_timeout=15,
                      migrate_verify_timeout=15)
    conn = libvirt.open(lab.facts["uris"][source])
    try:
        domain = conn.lookupByName(VM)
        deadline = time.monotonic() + 300
        while not standby_up(domain.XMLDesc(0)):  # the dance's first step is done: the detach comes next
            assert process.poll() is None, "the playbook ended before the standby link went up"
            assert time.monotonic() < deadline, "the standby link never went up"
            time.sleep(0.05)
        domain.suspend()
        output = process.communicate(timeout=900)[0]
        report = json.loads((tmp_path / "paused" / "vm1.json").read_text())
        assert process.returncode != 0
        assert report["failed_step"].startswith(("Pin the bridge FDB entry of each pair", "Set the standby link",
                                                 "Detach each VF")), report["message"]
        assert report["outcome"] == "rolled_back", report["message"]
        assert "Resume vm1 on {0}".format(source) in output
        assert domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        assert lab.hypervisor_running(VM) == source
        assert lab.failover(source, VM, expect=["steady", "armed"], timeout=30)["state"] in ("steady", "armed")
    finally:
        try:
            if conn.lookupByName(VM).state()[0] == libvirt.VIR_DOMAIN_PAUSED:
                conn.lookupByName(VM).resume()
            conn.lookupByName(VM).reset()  # the root port's driver back (test_60 does the same)
        finally:
            conn.close()
