# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs last: lab-down leaves no process, namespace, mount, bridge or veth of the lab behind."""

import subprocess
from pathlib import Path

from conftest import LAB_PREFIX, LAB_STATE, REPO, run


def lab_pids():
    """Every pid the lab recorded: namespace holders, daemons, QEMU."""
    pids = set()
    for path in list(LAB_STATE.glob("pids/*.pid")) + list(LAB_STATE.glob("hv*/run/*.pid")) + list(LAB_STATE.glob("hv*/run/qemu/*.pid")) \
            + list(LAB_STATE.glob("hv*/sshd.pid")):
        text = path.read_text().strip()
        if text.isdigit():
            pids.add(int(text))
    return pids


def running(pid):
    try:
        stat = Path("/proc/{0}/stat".format(pid)).read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # PID 1 here does not reap orphans: zombies are gone processes


def test_lab_down_leaves_nothing(lab):
    pids = lab_pids()
    hypervisors = lab.facts["hypervisors"]
    assert len(pids) >= 4 * len(hypervisors)  # each: holder, libvirtd, virtlogd, sshd; plus QEMU
    completed = run([REPO / "tools" / "lab.sh", "down"])
    assert completed.returncode == 0, completed.stderr
    assert [pid for pid in pids if running(pid)] == []
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert LAB_PREFIX + "-" not in namespaces
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    for name in [hv + "-" for hv in hypervisors] + ["uplink0", "mgmt0", "pf0", "esw0", "br0", "tor"]:
        assert name not in links
    # this lab's folder only: /var/lib/nflab/ is not /var/lib/nflabn/, another lab that may run beside this one
    mounts = [line for mountinfo in Path("/proc").glob("[0-9]*/mountinfo") for line in read(mountinfo)
              if str(LAB_STATE) + "/" in line]
    assert mounts == []


def read(path):
    try:
        return path.read_text().splitlines()
    except OSError:
        return []
