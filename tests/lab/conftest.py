# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lab tests: Ansible reaches the lab's hypervisors over SSH, exactly as it reaches real ones.

The session brings the lab up (tools/lab.sh up is idempotent); test_zz_lab_down.py takes it down last
and checks that nothing of it remains.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
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

    def __init__(self, state=LAB_STATE):
        self.state = state
        self.inventory_path = state / "inventory.json"
        self.facts = json.loads((state / "lab.json").read_text())
        self.inventory = json.loads(self.inventory_path.read_text())
        self.guests = self.facts["guests"]

    def ansible(self, host, module, args=None, check=False, diff=False):
        """Run one module on one inventory host with ansible-playbook (check and diff mode too); its registered result."""
        env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
        with tempfile.TemporaryDirectory() as work:
            result_file = Path(work) / "result.json"
            play = [{"hosts": host, "gather_facts": False, "tasks": [
                {"name": "Run " + module, module: args or {}, "register": "lab_result", "ignore_errors": True,
                 "check_mode": check, "diff": diff},
                {"name": "Save the result", "ansible.builtin.copy": {"content": "{{ lab_result | to_json }}",
                                                                     "dest": str(result_file)},
                 "delegate_to": "localhost"},
            ]}]
            (Path(work) / "play.yml").write_text(json.dumps(play))  # JSON is YAML
            completed = run([VENV_BIN / "ansible-playbook", "-i", self.inventory_path, Path(work) / "play.yml"], env=env)
            try:
                return json.loads(result_file.read_text())
            except (OSError, ValueError) as error:
                raise AssertionError("ansible gave no result: {0}\n{1}".format(completed.stdout, completed.stderr)) from error

    def connect(self, hv):
        """libvirt-python's connection to a hypervisor's libvirtd (its URI in lab.json)."""
        import libvirt  # pylint: disable=import-outside-toplevel
        return libvirt.open(self.facts["uris"][hv])

    def remove_domains(self, names):
        """Destroy and undefine the domains ``names`` on every hypervisor; what is not there is skipped."""
        import libvirt  # pylint: disable=import-outside-toplevel
        for hv in self.facts["uris"]:
            connection = self.connect(hv)
            try:
                for name in names:
                    try:
                        domain = connection.lookupByName(name)
                    except libvirt.libvirtError:
                        continue
                    if domain.isActive():
                        domain.destroy()
                    if domain.isPersistent():
                        domain.undefine()
            finally:
                connection.close()

    def persistent_xml(self, hv, guest):
        """The guest's persistent definition on a hypervisor (VIR_DOMAIN_XML_INACTIVE), to boot it from again."""
        connection = self.connect(hv)
        try:
            return connection.lookupByName(guest).XMLDesc(2)
        finally:
            connection.close()

    def start_afresh(self, hv, guest, definition, mac, timeout):
        """The guest removed everywhere, defined from ``definition`` on ``hv`` and started; waits (bounded) until its
        agent lists the pair of ``mac``'s three netdevs (master, standby, VF)."""
        self.remove_domains([guest])
        connection = self.connect(hv)
        try:
            connection.defineXML(definition).create()
        finally:
            connection.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                interfaces = self.agent(hv, guest, "guest-network-get-interfaces")
                if sum(1 for i in interfaces if i.get("hardware-address") == mac) >= 3:
                    return
            except AssertionError:
                pass  # the agent is not up yet
            assert time.monotonic() < deadline, "{0} never listed its three netdevs".format(guest)
            time.sleep(2)

    def agent(self, hv, guest, command, arguments=None):
        """One guest agent command through virsh on the hypervisor (what an operator would type); its 'return'."""
        request = {"execute": command, **({"arguments": arguments} if arguments is not None else {})}
        result = self.command(hv, "virsh", "qemu-agent-command", guest, json.dumps(request))
        return json.loads(result["stdout"])["return"]

    def command(self, host, *argv):
        """Run a command (argv, no shell) on a hypervisor over SSH; fails the test if it fails."""
        result = self.ansible(host, "ansible.builtin.command", {"argv": list(argv)})
        assert result.get("rc") == 0, result
        return result

    def address(self, guest, address=None):
        """The guest's address on the lab's L2 segment: the inventory's, or ``address`` for a guest a test defined."""
        return address or self.inventory["all"]["children"]["guests"]["hosts"][guest]["nflab_address"]

    def failover(self, host, guest, **options):
        return self.ansible(host, "netfailover.standby.guest_failover_info", dict(name=guest, **options))

    def probe(self, guest, count=20, rate=100.0, duration=60.0, address=None):
        """Send UDP probes from the lab's L2 segment to the guest's echo responder; returns the probe summary.
        ``address`` for a guest the inventory does not know (one a test defined). The probe sends until ``count``
        replies came (or ``duration`` passed: a bound, generous for a busy machine where a bridge
        relearns the MAC slowly; a reachable guest ends it within a second) and then collects the replies still in flight: on a busy machine, with
        round trips longer than the send interval, ``received`` can exceed ``count`` (reachable: ``>= count``)."""
        completed = run(["ip", "netns", "exec", self.facts["net_namespace"], sys.executable, REPO / "lab" / "probe.py",
                         self.address(guest, address),
                         "--count", count, "--rate", rate, "--duration", duration])
        return json.loads(completed.stdout)

    def hypervisor_running(self, guest):
        """The hypervisor whose libvirtd runs ``guest`` (read through the lab's sockets, no SSH), or None. During a
        migration the guest is active on both: the one where it is not paused (the source) counts."""
        import libvirt  # pylint: disable=import-outside-toplevel
        libvirt.registerErrorHandler(lambda _context, _error: None, None)  # a stopped libvirtd is expected here
        active = {}
        for hv, uri in self.facts["uris"].items():
            try:
                connection = libvirt.open(uri)
            except libvirt.libvirtError:
                continue  # its libvirtd is stopped (a fault test): it runs nothing we can see
            try:
                for domain in connection.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
                    if domain.name() == guest:
                        try:
                            active[hv] = domain.state()[0]
                        except libvirt.libvirtError:
                            pass  # gone since the listing (a failed migration's incoming side being cleaned up)
            finally:
                connection.close()
        running = [hv for hv, state in active.items() if state == libvirt.VIR_DOMAIN_RUNNING]
        return (running or list(active) or [None])[0]

    def start_probe(self, guest, rate=200, address=None):
        """Probe the guest in the background; ``stop()`` on the returned handle gives the summary (with a timeline)."""
        process = subprocess.Popen(["ip", "netns", "exec", self.facts["net_namespace"], sys.executable,
                                    str(REPO / "lab" / "probe.py"), self.address(guest, address), "--rate", str(rate)],
                                   stdout=subprocess.PIPE, text=True)
        return Probe(process)

    def remove(self, domains, networks=(), hosts="hypervisors"):
        """Destroy and undefine ``domains`` and stop and undefine ``networks`` wherever they are on ``hosts``, in one play
        (one SSH session per hypervisor); what is not there is skipped."""
        mine = json.dumps(list(domains))
        tasks = [
            {"name": "List the domains", "community.libvirt.virt": {"command": "list_vms"}, "register": "defined"},
            {"name": "List the running domains", "community.libvirt.virt": {"command": "list_vms", "state": "running"},
             "register": "running"},
            {"name": "Destroy them", "community.libvirt.virt": {"name": "{{ item }}", "state": "destroyed"},
             "loop": "{{ running.list_vms | intersect(%s) }}" % mine},
            {"name": "Undefine them", "community.libvirt.virt": {"name": "{{ item }}", "command": "undefine"},
             "loop": "{{ defined.list_vms | intersect(%s) }}" % mine},
        ] + [{"name": "virsh " + action, "ansible.builtin.command": {"argv": ["virsh", action, "{{ item }}"]},
              "loop": list(networks), "register": "network", "changed_when": "network.rc == 0", "failed_when": False}
             for action in ("net-destroy", "net-undefine")]
        env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
        with tempfile.TemporaryDirectory() as work:
            (Path(work) / "play.yml").write_text(json.dumps([{"hosts": hosts, "gather_facts": False, "tasks": tasks}]))
            completed = run([VENV_BIN / "ansible-playbook", "-i", self.inventory_path, Path(work) / "play.yml"], env=env)
        assert completed.returncode == 0, completed.stdout[-3000:]

    def playbook(self, playbook, extravars, report_dir, background=False, options=()):
        """Run one of the collection's playbooks against the lab, as an operator would (``options``: more argv, e.g. --check)."""
        env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]),
                   ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), NETFAILOVER_REPORT_DIR=str(report_dir))
        argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory_path), str(REPO / "playbooks" / playbook),
                "-e", json.dumps(extravars), *options]
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return process if background else PlaybookRun(process, report_dir, extravars.get("vm"))


class Probe:
    def __init__(self, process):
        self.process = process

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        out = self.process.communicate(timeout=30)[0]
        return json.loads(out)


class PlaybookRun:
    """A finished playbook run: return code, output and the VM's JSON report."""

    def __init__(self, process, report_dir, vm):
        self.output = process.communicate(timeout=900)[0]
        self.rc = process.returncode
        path = Path(report_dir) / "{0}.json".format(vm)
        self.report = json.loads(path.read_text()) if vm and path.exists() else None


def lab_tool(action, prefix=None, **environment):
    """tools/lab.sh ACTION for this session's lab, or for another lab (its own prefix and state folder) with the given
    NFLAB_* settings; that lab's state folder."""
    env = dict(os.environ, **environment)
    state = Path("/var/lib") / prefix if prefix else LAB_STATE
    if prefix:
        env.update(NFLAB_PREFIX=prefix, NFS_LAB_STATE=str(state))
    completed = run([REPO / "tools" / "lab.sh", action], env=env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return state


def lab_up(prefix=None, **environment):
    """A Lab for this session's lab or another one (see lab_tool), brought up first."""
    return Lab(lab_tool("up", prefix, **environment))


def lab_down(prefix):
    """Take another lab (lab_up with a prefix) down."""
    lab_tool("down", prefix)


@pytest.fixture(scope="session")
def lab():
    return lab_up()
