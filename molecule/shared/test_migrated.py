# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Molecule verify (pytest-testinfra): after the last migration, the VM runs where its report says, in its
steady state, with the standby link down, and the probe on the lab's L2 segment reaches it."""

import json
import os
import sys
from pathlib import Path

import testinfra

VM = "vm1"
PREFIX = os.environ["NFLAB_PREFIX"]
REPORT = json.loads((Path(os.environ["NETFAILOVER_REPORT_DIR"]) / (VM + ".json")).read_text())
LAB = json.loads(Path("/var/lib/{0}/lab.json".format(PREFIX)).read_text())
MAC = json.loads(Path("/var/lib/{0}/inventory.json".format(PREFIX)).read_text())["all"]["children"]["guests"]["hosts"][VM]["nflab_mac"]


def test_the_report_says_the_migration_succeeded():
    assert REPORT["outcome"] in ("migrated", "already_there"), REPORT["message"]
    assert REPORT["runs_on"] == REPORT["destination"]
    assert REPORT["final_state"] == "steady"


def test_the_vm_runs_only_where_the_report_says(host):
    running = host.check_output("virsh list --name").split()
    if host.backend.get_hostname() == REPORT["runs_on"]:
        assert VM in running
    else:
        assert VM not in running


def test_guest_topology_and_link_states(host):
    if host.backend.get_hostname() != REPORT["runs_on"]:
        return
    result = host.ansible("netfailover.standby.guest_failover_info", "name={0}".format(VM), check=False)
    assert result["state"] == "steady", result.get("msg")
    failover = result["failover"]
    assert failover["facts"]["primary"]["driver"] == "vmxnet3"
    assert failover["facts"]["standby"]["carrier"] is False
    # virsh domiflist: Interface Type Source Model MAC; the standby is the virtio NIC on br0
    rows = [line.split() for line in host.check_output("virsh domiflist %s", VM).splitlines()[2:]]
    tap = next(row[0] for row in rows if row[2:4] == ["br0", "virtio"])
    assert host.check_output("virsh domif-getlink %s %s", VM, tap).split()[-1] == "down"


def test_no_fdb_entry_of_the_vm_is_left_pinned(host):
    """The dance pins the VM's MAC on the bridges (source, and the destination in teaming); every pin is undone."""
    entries = json.loads(host.check_output("bridge -j fdb show br br0"))
    pinned = [e for e in entries if e["mac"] == MAC and (e.get("state") in ("static", "permanent") or "sticky" in e["flags"])]
    assert pinned == []


def test_the_probe_reaches_the_guest():
    local = testinfra.get_host("local://")
    probe = Path(os.environ["NFS_REPO"]) / "lab" / "probe.py"
    out = local.check_output("ip netns exec %s %s %s 192.0.2.11 --count 20 --duration 5", LAB["net_namespace"], sys.executable, str(probe))
    assert json.loads(out)["received"] >= 20
