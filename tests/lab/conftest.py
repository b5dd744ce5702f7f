# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lab tests: Ansible reaches the lab's hypervisors over SSH, exactly as it reaches real ones.

The session brings the lab up (tools/lab.sh up is idempotent); test_zz_lab_down.py takes it down last
and checks that nothing of it remains.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_PREFIX = os.environ.get("NFLAB_PREFIX", "nflab")
LAB_STATE = Path(os.environ.get("NFS_LAB_STATE") or "/var/lib/" + LAB_PREFIX)
INVENTORY = LAB_STATE / "inventory.json"
VENV_BIN = Path(sys.executable).parent


def run(argv, **kwargs):
    return subprocess.run([str(a) for a in argv], check=False, text=True, capture_output=True, **kwargs)


class Lab:
    """Handles for the tests: Ansible against the lab, the probe, and the lab's own facts."""

    def __init__(self):
        self.facts = json.loads((LAB_STATE / "lab.json").read_text())
        self.inventory = json.loads(INVENTORY.read_text())
        self.guests = self.facts["guests"]

    def ansible(self, host, module, args=None, check=False):
        """Run one module on one inventory host with ansible-playbook; returns its registered result."""
        env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
        with tempfile.TemporaryDirectory() as work:
            result_file = Path(work) / "result.json"
            play = [{"hosts": host, "gather_facts": False, "tasks": [
                {"name": "Run " + module, module: args or {}, "register": "lab_result", "ignore_errors": True,
                 "check_mode": check},
                {"name": "Save the result", "ansible.builtin.copy": {"content": "{{ lab_result | to_json }}",
                                                                     "dest": str(result_file)},
                 "delegate_to": "localhost"},
            ]}]
            (Path(work) / "play.yml").write_text(json.dumps(play))  # JSON is YAML
            completed = run([VENV_BIN / "ansible-playbook", "-i", INVENTORY, Path(work) / "play.yml"], env=env)
            try:
                return json.loads(result_file.read_text())
            except (OSError, ValueError) as error:
                raise AssertionError("ansible gave no result: {0}\n{1}".format(completed.stdout, completed.stderr)) from error

    def command(self, host, *argv):
        """Run a command (argv, no shell) on a hypervisor over SSH; fails the test if it fails."""
        result = self.ansible(host, "ansible.builtin.command", {"argv": list(argv)})
        assert result.get("rc") == 0, result
        return result

    def failover(self, host, guest, **options):
        return self.ansible(host, "netfailover.standby.guest_failover_info", dict(name=guest, **options))

    def probe(self, guest, count=20, rate=100.0, duration=5.0):
        """Send UDP probes from the lab's L2 segment to the guest's echo responder; returns the probe summary."""
        address = self.inventory["all"]["children"]["guests"]["hosts"][guest]["nflab_address"]
        completed = run(["ip", "netns", "exec", self.facts["net_namespace"], sys.executable, REPO / "lab" / "probe.py", address,
                         "--count", count, "--rate", rate, "--duration", duration])
        return json.loads(completed.stdout)


@pytest.fixture(scope="session")
def lab():
    completed = run([REPO / "tools" / "lab.sh", "up"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return Lab()
