# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""standby_pair, standby_info and the configure role against the lab's libvirtd (issue 5).

A fresh domain vmc1 (the lab guest's definition without its two NICs) gets a STANDBY pair (virtio on br0,
emulated vmxnet3 "VF" on esw0), boots, and its guest runs net_failover in the steady state. Check mode,
a second run, every refusal and state=absent are tried on it; the hostdev and VF-pool variants are defined
(not started: no SR-IOV here) so that libvirt's own validation judges them. A domain with a VNC password
(vmcpw, issue 14) keeps it through the configure playbook and state=absent, and no output shows it. The module's
domains are destroyed and undefined at the end.
"""

import json
import os
import re
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import INVENTORY, LAB_STATE, REPO, VENV_BIN, run

HV = "hv1"
VM = "vmc1"
DOMAINS = ("vmc1", "vmc2", "vmc3", "vmcpc", "vmcnv", "vmcbad", "vmcpw")
VF_POOL = "vfpool-c"
LAB_MAC = "52:54:00:6c:00:01"  # vm1's MAC
EMULATED = {"type": "emulated", "model": "vmxnet3", "source_bridge": "esw0"}
PAIR = {"name": VM, "standby": {"source_type": "bridge", "source": "br0"}, "primary": EMULATED}
TIMINGS = {}


def timed(what):
    """Record how long the block took (reported at the end of the module)."""
    class Timer:
        def __enter__(self):
            self.started = time.monotonic()
            return self

        def __exit__(self, *_exc):
            TIMINGS[what] = round(time.monotonic() - self.started, 2)
    return Timer()


def task(lab, module, args, check=False, diff=False, host=HV):
    """One module run on a hypervisor through ansible-playbook, with check and diff mode."""
    return lab.ansible(host, module, args, check=check, diff=diff)


def wait_guest(lab, states, timeout=120):
    """guest_failover_info with expect, retried while the guest agent is not up yet (the module fails at once then)."""
    deadline = time.monotonic() + timeout
    while True:
        result = lab.failover(HV, VM, expect=states, timeout=10)
        if "state" in result or time.monotonic() > deadline:
            return result
        time.sleep(1)


def pair(lab, check=False, diff=False, **changes):
    args = json.loads(json.dumps(PAIR))
    args.update(changes)
    return task(lab, "netfailover.standby.standby_pair", args, check=check, diff=diff)


def inactive_xml(lab, name=VM):
    return lab.command(HV, "virsh", "dumpxml", "--inactive", name)["stdout"]


def secure_inactive_xml(lab, name):
    """The persistent definition with its secrets (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)."""
    return lab.command(HV, "virsh", "dumpxml", "--inactive", "--security-info", name)["stdout"]


def virsh(lab, *argv):
    return lab.command(HV, "virsh", *argv)["stdout"]


def define(lab, xml_text):
    result = lab.ansible(HV, "community.libvirt.virt", {"command": "define", "xml": xml_text})
    assert not result.get("failed"), result


def fresh_domain(lab_xml, name, address):
    """The lab guest's definition without its NICs (and the lab's override): a plain VM with a new name and address."""
    root = ET.fromstring(lab_xml)
    root.find("name").text = name
    root.remove(root.find("uuid"))
    devices = root.find("devices")
    for interface in devices.findall("interface"):
        devices.remove(interface)
    for override in root.findall("{http://libvirt.org/schemas/domain/qemu/1.0}override"):
        root.remove(override)
    cmdline = root.find("os/cmdline")
    cmdline.text = " ".join("nflab.ip=" + address if word.startswith("nflab.ip=") else "nflab.hostname=" + name
                            if word.startswith("nflab.hostname=") else word for word in cmdline.text.split())
    for source in root.iter("source"):
        if source.get("path"):
            source.set("path", source.get("path").replace("vm1-serial", name + "-serial"))
    serial = devices.find("serial")
    ET.SubElement(serial, "alias", {"name": "ua-serial0"})  # for the alias collision
    ET.register_namespace("qemu", "http://libvirt.org/schemas/domain/qemu/1.0")
    return ET.tostring(root, encoding="unicode")


PC_DOMAIN = """<domain type='qemu'><name>vmcpc</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"""
NON_VIRTIO_DOMAIN = """<domain type='qemu'><name>vmcnv</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features><devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
<interface type='bridge'><mac address='52:54:00:6c:0c:09'/><source bridge='br0'/><model type='e1000e'/><alias name='ua-standby0'/></interface>
</devices></domain>"""


def clean(lab):
    """Destroy and undefine this module's domains and network, in one play (one SSH session, not one per command)."""
    env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
    mine = list(DOMAINS)
    tasks = [
        {"name": "List the domains", "community.libvirt.virt": {"command": "list_vms"}, "register": "defined"},
        {"name": "List the running domains", "community.libvirt.virt": {"command": "list_vms", "state": "running"}, "register": "running"},
        {"name": "Destroy the test domains", "community.libvirt.virt": {"name": "{{ item }}", "state": "destroyed"},
         "loop": "{{ running.list_vms | intersect(%s) }}" % json.dumps(mine)},
        {"name": "Undefine the test domains", "community.libvirt.virt": {"name": "{{ item }}", "command": "undefine"},
         "loop": "{{ defined.list_vms | intersect(%s) }}" % json.dumps(mine)},
        {"name": "Undefine the VF pool", "ansible.builtin.command": {"argv": ["virsh", "net-undefine", VF_POOL]},
         "register": "undefined", "changed_when": "undefined.rc == 0", "failed_when": False},
    ]
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "play.yml").write_text(json.dumps([{"hosts": HV, "gather_facts": False, "tasks": tasks}]))
        completed = run([VENV_BIN / "ansible-playbook", "-i", INVENTORY, Path(work) / "play.yml"], env=env)
    assert completed.returncode == 0, completed.stdout[-3000:]


@pytest.fixture(scope="module")
def fresh(lab):
    """vmc1 and the small refusal domains, defined on hv1; all destroyed and undefined at the end."""
    clean(lab)
    lab_xml = inactive_xml(lab, "vm1")
    define(lab, fresh_domain(lab_xml, VM, "192.0.2.21/24"))
    define(lab, fresh_domain(lab_xml, "vmc2", "192.0.2.22/24"))
    define(lab, fresh_domain(lab_xml, "vmc3", "192.0.2.23/24"))
    define(lab, PC_DOMAIN)
    define(lab, NON_VIRTIO_DOMAIN)
    yield lab
    clean(lab)
    (LAB_STATE / "test_30_timings.json").write_text(json.dumps(TIMINGS, indent=2))
    print("\ntest_30_configure timings (s): " + json.dumps(TIMINGS))


def test_check_mode_predicts_the_pair_and_defines_nothing(fresh):
    before = inactive_xml(fresh)
    result = pair(fresh, check=True, diff=True)
    assert result["changed"] and not result.get("failed"), result
    assert result["mac_source"] == "generated" and result["after"]["primary"]["model"] == "vmxnet3"
    assert result["after"]["root_port"]["problem"] is None
    assert "<teaming type=\"persistent\" />" in result["diff"]["after"] and "teaming" not in result["diff"]["before"]
    assert inactive_xml(fresh) == before


def test_present_defines_the_pair_and_a_second_run_changes_nothing(fresh):
    with timed("standby_pair present (first run, ansible-playbook)"):
        first = pair(fresh, diff=True)
    assert first["changed"] and not first.get("failed"), first
    domain = ET.fromstring(inactive_xml(fresh))
    interfaces = {i.find("alias").get("name"): i for i in domain.findall("devices/interface")}
    standby, primary = interfaces["ua-standby0"], interfaces["ua-primary0"]
    assert standby.find("model").get("type") == "virtio" and standby.find("teaming").get("type") == "persistent"
    assert standby.find("link").get("state") == "down"
    assert primary.find("model").get("type") == "vmxnet3" and primary.find("teaming") is None
    assert standby.find("mac").get("address") == primary.find("mac").get("address") == first["mac"]
    port = [c for c in domain.findall("devices/controller") if c.get("index") == str(first["root_port_index"])][0]
    assert port.get("model") == "pcie-root-port" and port.find("address").get("function") == "0x0"
    assert int(primary.find("address").get("bus"), 16) == first["root_port_index"]
    with timed("standby_pair present (second run, ansible-playbook)"):
        second = pair(fresh)
    assert not second["changed"] and second["mac"] == first["mac"] and second["mac_source"] == "kept", second


def test_the_guest_boots_into_the_steady_failover_state(fresh):
    with timed("vmc1 start to guest steady"):
        virsh(fresh, "start", VM)
        result = wait_guest(fresh, ["steady"])
    assert result["state"] == "steady" and not result.get("failed"), result.get("msg")
    assert result["failover"]["facts"]["primary"]["driver"] == "vmxnet3"
    info = task(fresh, "netfailover.standby.standby_info", {"name": VM, "guest_check": True})
    report = info["domains"][0]
    assert report["ready"] and report["guest"]["state"] == "steady", report
    assert report["pairs"][0]["standby_negotiated"] == "yes"
    assert report["pairs"][0]["standby"]["tap"].startswith("vnet") and report["pairs"][0]["primary"]["attached"]
    assert not pair(fresh)["restart_required"]


@pytest.mark.parametrize("changes, message", [
    ({"mac": LAB_MAC}, "is already used by domain(s) vm1 on this hypervisor"),
    ({"primary": dict(EMULATED, alias="ua-serial0")}, "Alias ua-serial0 is already used by serial"),
    ({"primary": dict(EMULATED, slot=1)}, "would share a (multifunction) slot"),
    ({"primary": dict(EMULATED, root_port_index=2)}, "multifunction slot 00:01"),
    ({"name": "vmcpc"}, "i440fx machine type"),
    ({"name": "vmcnv"}, "is not virtio-net"),
])
def test_refusals_change_nothing(fresh, changes, message):
    name = changes.get("name", VM)
    before = inactive_xml(fresh, name)
    result = pair(fresh, **changes)
    assert result.get("failed") and message in result["msg"] and "Fix:" in result["msg"], result
    assert result["msg"].endswith("Nothing was changed.")
    assert inactive_xml(fresh, name) == before


def test_apply_live_sets_the_running_standby_link(fresh):
    with timed("apply_live link up to guest armed"):
        up = pair(fresh, standby={"source": "br0", "link_state": "up"}, apply_live=True)
        armed = fresh.failover(HV, VM, expect=["armed"], timeout=30)
    assert up["live_changed"] and not up["restart_required"] and armed["state"] == "armed", (up, armed.get("msg"))
    down = pair(fresh, apply_live=True)
    assert down["live_changed"] and fresh.failover(HV, VM, expect=["steady"], timeout=30)["state"] == "steady"


def test_absent_gives_back_a_plain_vm(fresh):
    result = task(fresh, "netfailover.standby.standby_pair", {"name": VM, "state": "absent"})
    assert result["changed"] and result["restart_required"] and result["removed_primaries"] == ["ua-primary0"], result
    domain = ET.fromstring(inactive_xml(fresh))
    (interface,) = domain.findall("devices/interface")
    assert interface.find("teaming") is None and interface.find("link") is None
    assert not [c for c in domain.findall("devices/controller") if c.find("alias") is not None]
    assert not task(fresh, "netfailover.standby.standby_pair", {"name": VM, "state": "absent"})["changed"]
    virsh(fresh, "destroy", VM)
    with timed("plain vmc1 start to guest not_negotiated"):
        virsh(fresh, "start", VM)
        plain = wait_guest(fresh, ["not_negotiated"])
    assert plain["state"] == "not_negotiated" and not plain["failover"]["master"], plain.get("msg")
    virsh(fresh, "destroy", VM)


def test_hostdev_and_vf_pool_variants_pass_libvirts_validation(fresh):
    network = ("<network><name>{0}</name><forward mode='hostdev' managed='yes'><pf dev='pf0'/></forward></network>".format(VF_POOL))
    with tempfile.NamedTemporaryFile("w", suffix=".xml", dir="/tmp") as handle:
        handle.write(network)
        handle.flush()
        virsh(fresh, "net-define", handle.name)  # the lab's hypervisors share the machine's /tmp
    variants = {"vmc2": {"type": "hostdev", "pci_address": "0000:42:02.5"}, "vmc3": {"type": "network", "network": VF_POOL}}
    for name, primary in variants.items():
        result = pair(fresh, name=name, primary=primary)
        assert result["changed"] and not result.get("failed"), result
        assert not pair(fresh, name=name, primary=primary)["changed"]
        primary_xml = [i for i in ET.fromstring(inactive_xml(fresh, name)).findall("devices/interface")
                       if i.find("alias").get("name") == "ua-primary0"][0]
        teaming = primary_xml.find("teaming")
        assert primary_xml.get("type") == primary["type"]
        assert (teaming.get("type"), teaming.get("persistent")) == ("transient", "ua-standby0")
    info = task(fresh, "netfailover.standby.standby_info", {})
    reports = {report["name"]: report for report in info["domains"]}
    assert reports["vmc2"]["ready"] and reports["vmc2"]["pairs"][0]["primary"]["kind"] == "hostdev", reports["vmc2"]
    assert reports["vmc3"]["ready"] and reports["vmc3"]["pairs"][0]["primary"]["kind"] == "network", reports["vmc3"]
    assert reports["vm1"]["ready"] and {p["code"] for p in reports["vmcpc"]["problems"]} >= {"machine_type", "no_pair"}


def test_libvirt_itself_refuses_teaming_on_an_emulated_primary(fresh):
    """Why the emulated primary carries no teaming element (lab-facts.md)."""
    root = ET.fromstring(inactive_xml(fresh, "vmc2"))
    root.find("name").text = "vmcbad"
    root.remove(root.find("uuid"))
    devices = root.find("devices")
    hostdev = [i for i in devices.findall("interface") if i.get("type") == "hostdev"][0]
    devices.remove(hostdev)
    emulated = ET.fromstring("<interface type='bridge'><mac address='{0}'/><source bridge='esw0'/><model type='vmxnet3'/>"
                             "<teaming type='transient' persistent='ua-standby0'/><alias name='ua-primary0'/></interface>".format(
                                 hostdev.find("mac").get("address")))
    devices.append(emulated)
    ET.register_namespace("qemu", "http://libvirt.org/schemas/domain/qemu/1.0")
    result = fresh.ansible(HV, "community.libvirt.virt", {"command": "define", "xml": ET.tostring(root, encoding="unicode")})
    assert result.get("failed") and "teaming transient interface must be type='hostdev'" in result["msg"], result


def test_the_configure_playbook_configures_and_boots_vmc1(fresh):
    if VM in virsh(fresh, "list", "--name").split():
        virsh(fresh, "destroy", VM)  # the lab guest ignores ACPI shutdown requests: the role would wait for nothing
    env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
    argv = [VENV_BIN / "ansible-playbook", "-i", INVENTORY, REPO / "playbooks" / "configure.yml", "-e", "vm=" + VM,
            "-e", "standby_source=br0", "-e", "primary_type=emulated", "-e", "primary_source_bridge=esw0", "-e", "start=true"]
    with timed("configure playbook (pair, start, guest steady, report)"):
        completed = run(argv, env=env, cwd=REPO)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "vmc1: ready to fail over" in completed.stdout, completed.stdout[-4000:]
    recap = completed.stdout.split("PLAY RECAP")[-1]
    assert re.search(r"hv2\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", recap), recap  # hv2 does not define vmc1: skipped
    assert fresh.failover(HV, VM, expect=["steady"], timeout=30)["state"] == "steady"
    again = run(argv, env=env, cwd=REPO)
    recap = again.stdout.split("PLAY RECAP")[-1]
    assert again.returncode == 0 and set(re.findall(r"changed=\d+", recap)) == {"changed=0"}, again.stdout[-3000:]


def test_a_vnc_password_survives_the_configure_playbook_and_stays_out_of_its_output(fresh):
    """standby_pair reads the definition with VIR_DOMAIN_XML_SECURE and defines it back: the password stays; what the
    playbook prints (its --diff too) and what the module returns show it masked (issue 14)."""
    root = ET.fromstring(fresh_domain(inactive_xml(fresh, "vm1"), "vmcpw", "192.0.2.24/24"))
    ET.SubElement(root.find("devices"), "graphics", {"type": "vnc", "port": "-1", "autoport": "yes", "passwd": "s3cret"})
    define(fresh, ET.tostring(root, encoding="unicode"))
    assert "passwd='s3cret'" in secure_inactive_xml(fresh, "vmcpw")
    env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
    argv = [VENV_BIN / "ansible-playbook", "-i", INVENTORY, REPO / "playbooks" / "configure.yml", "--diff", "-e", "vm=vmcpw",
            "-e", "hypervisor=" + HV, "-e", "standby_source=br0", "-e", "primary_type=emulated", "-e", "primary_source_bridge=esw0"]
    with timed("configure playbook on a domain with a VNC password (pair, report; not started)"):
        completed = run(argv, env=env, cwd=REPO)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0 and "vmcpw: ready to fail over" in completed.stdout, output[-4000:]
    assert "<teaming type=\"persistent\" />" in completed.stdout and "s3cret" not in output, output[-4000:]  # the --diff, masked
    stored = secure_inactive_xml(fresh, "vmcpw")
    assert "passwd='s3cret'" in stored and "<teaming type='persistent'/>" in stored, stored
    again = run(argv, env=env, cwd=REPO)
    recap = again.stdout.split("PLAY RECAP")[-1]
    assert again.returncode == 0 and set(re.findall(r"changed=\d+", recap)) == {"changed=0"}, again.stdout[-3000:]
    gone = task(fresh, "netfailover.standby.standby_pair", {"name": "vmcpw", "state": "absent"}, diff=True)
    assert gone["changed"] and not gone.get("failed") and "s3cret" not in json.dumps(gone), gone
    assert 'passwd="********"' in gone["diff"]["before"] and 'passwd="********"' in gone["diff"]["after"]
    stored = secure_inactive_xml(fresh, "vmcpw")
    assert "passwd='s3cret'" in stored and "teaming" not in stored, stored
