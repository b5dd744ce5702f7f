# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/hooks/qemu_hook.py: the lab's emulated VF refuses to migrate unless QEMU unplugs it itself, as an assigned VF does;
every lab guest holds one of the hypervisor's emulated VFs while its QEMU runs there.

Run as libvirt runs it: the domain name, the operation and sub-operation as arguments, the domain XML on stdin."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HOOK = Path(__file__).resolve().parents[3] / "lab" / "hooks" / "qemu_hook.py"

VF = """<interface type='bridge'><mac address='52:54:00:6c:00:01'/><source bridge='esw0'/><model type='vmxnet3'/>
  <alias name='ua-primary0'/></interface>"""
STANDBY = """<interface type='bridge'><mac address='52:54:00:6c:00:01'/><source bridge='br0'/><model type='virtio'/>
  <teaming type='persistent'/><alias name='ua-standby0'/></interface>"""
PAIRED = """<qemu:override><qemu:device alias='ua-primary0'><qemu:frontend>
  <qemu:property name='failover_pair_id' type='string' value='ua-standby0'/></qemu:frontend></qemu:device></qemu:override>"""


def domain(devices, extra=""):
    return ("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>vm1</name><devices>{0}</devices>"
            "{1}</domain>").format(devices, extra)


def run_hook(operation, xml):
    return subprocess.run([sys.executable, str(HOOK), "vm1", operation, "begin", "-"], input=xml, text=True,
                          capture_output=True, check=False, timeout=60)


@pytest.mark.parametrize("xml, refused", [
    (domain(STANDBY), False),  # the manual dance unplugged the VF
    (domain(STANDBY + VF, PAIRED), False),  # teaming: QEMU unplugs it at migration (wait-unplug)
    (domain(STANDBY + VF), True),  # a VF still assigned
    (domain(STANDBY + VF.replace("ua-primary0", "ua-primary1"), PAIRED), True),  # the override pairs another device
])
def test_migrate_refused_only_with_an_unpaired_vf(xml, refused):
    result = run_hook("migrate", xml)
    assert (result.returncode != 0) == refused
    assert result.stdout == ""  # empty output: libvirt keeps the incoming XML as it is
    if refused:
        assert "cannot migrate a domain with an assigned VF" in result.stderr
        assert "ua-primary" in result.stderr


@pytest.mark.parametrize("operation", ["prepare", "start", "started", "stopped", "release", "reconnect", "attach"])
def test_other_operations_pass(operation):
    assert run_hook(operation, domain(STANDBY + VF)).returncode == 0


# --- VF reservations: every lab guest holds a VF of pf0 while its QEMU runs on the hypervisor ----------------------------

def lab_domain(name, pairs=1, vf=True):
    """A lab guest: ``pairs`` STANDBY pairs (ua-standbyN on br0, teaming persistent), with their VFs plugged or not."""
    devices = "".join(STANDBY.replace("ua-standby0", "ua-standby{0}".format(n))
                      + (VF.replace("ua-primary0", "ua-primary{0}".format(n)) if vf else "") for n in range(pairs))
    return domain(devices).replace("<name>vm1</name>", "<name>{0}</name>".format(name))


@pytest.fixture
def host(tmp_path):
    """The hook as lab-up installs it (with nflab.json beside it) on hv3, whose pf0 has 3 VFs."""
    from ansible_collections.netfailover.standby.lab import nflab  # pylint: disable=import-outside-toplevel
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "qemu_hook.py").write_text(HOOK.read_text())
    nflab.build_sysfs(tmp_path / "sys", 3)
    config = {"hypervisor": "hv3", "pf": "pf0", "sysfs_root": str(tmp_path / "sys"), "reservations": str(tmp_path / "run")}
    (hooks / "nflab.json").write_text(json.dumps(config))
    return Host(hooks / "qemu_hook.py", tmp_path / "run")


class Host:
    def __init__(self, hook, folder):
        self.hook = hook
        self.folder = folder

    def call(self, name, operation, sub_operation, xml):
        return subprocess.run([sys.executable, str(self.hook), name, operation, sub_operation, "-"], input=xml, text=True,
                              capture_output=True, check=False, timeout=60)

    def start(self, name, xml):
        """What a start does: prepare begin (may refuse), then start begin and started begin."""
        for operation in ("prepare", "start", "started"):
            result = self.call(name, operation, "begin", xml)
            if result.returncode != 0:
                return result
        return result

    def reservations(self):
        return {path.name[3:]: (path / "owner").read_text() if (path / "owner").exists() else None
                for path in sorted(self.folder.glob("vf-*"))}

    def take(self, address, owner):
        """A reservation of someone else (a fake VM's)."""
        self.folder.mkdir(exist_ok=True)
        (self.folder / ("vf-" + address)).mkdir()
        (self.folder / ("vf-" + address) / "owner").write_text(owner + "\n")


def test_a_start_reserves_the_first_free_vf_and_again_reuses_it(host):
    assert host.start("vm1", lab_domain("vm1")).returncode == 0
    assert host.reservations() == {"0000:3b:02.0": "vm1/ua-primary0\n"}
    assert host.start("vm1", lab_domain("vm1")).returncode == 0  # the one the domain holds
    assert host.start("vm2", lab_domain("vm2", pairs=2)).returncode == 0
    assert host.reservations() == {"0000:3b:02.0": "vm1/ua-primary0\n", "0000:3b:02.1": "vm2/ua-primary0\n",
                                   "0000:3b:02.2": "vm2/ua-primary1\n"}


def test_a_pair_without_its_vf_plugged_holds_one_too(host):
    """The manual dance migrates the domain with its VF unplugged: it still needs one here."""
    assert host.start("vm1", lab_domain("vm1", vf=False)).returncode == 0
    assert host.reservations() == {"0000:3b:02.0": "vm1/ua-primary0\n"}


def test_a_domain_without_a_standby_pair_reserves_nothing(host):
    assert host.start("plain", domain("<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>")
                      ).returncode == 0
    assert host.reservations() == {}


def test_a_start_with_no_free_vf_is_refused_and_changes_nothing(host):
    host.take("0000:3b:02.0", "fake/ua-primary0")
    host.take("0000:3b:02.2", "fake2/ua-primary0")
    refused = host.start("vm2", lab_domain("vm2", pairs=2))  # two pairs, one VF free: all or none
    assert refused.returncode == 1
    assert refused.stderr.startswith("no free VF of pf0 on hv3 for vm2/ua-primary1: 3 VFs, reserved: ")
    assert "0000:3b:02.0 by fake/ua-primary0" in refused.stderr and "choose another hypervisor" in refused.stderr
    assert sorted(host.reservations()) == ["0000:3b:02.0", "0000:3b:02.2"]  # 02.1, taken for ua-primary0, given back


def test_a_reservation_being_made_counts_as_taken(host):
    """A vf- folder without its owner file yet (another hook's mkdir came first): the next VF is taken."""
    host.folder.mkdir()
    (host.folder / "vf-0000:3b:02.0").mkdir()
    assert host.start("vm1", lab_domain("vm1")).returncode == 0
    assert host.reservations()["0000:3b:02.1"] == "vm1/ua-primary0\n"


def test_an_incoming_migration_without_a_free_vf_is_refused(host):
    for number in range(3):
        host.take("0000:3b:02.{0}".format(number), "fake/ua-primary{0}".format(number))
    refused = host.call("vm1", "migrate", "begin", lab_domain("vm1", vf=False))
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("no free VF of pf0 on hv3 for vm1/ua-primary0: 3 VFs, reserved: 0000:3b:02.0 by "
                                     "fake/ua-primary0, 0000:3b:02.1 by fake/ua-primary1, 0000:3b:02.2 by fake/ua-primary2 (in ")
    assert len(host.reservations()) == 3


def test_an_incoming_migration_reserves_at_prepare(host):
    """migrate begin only checks (a migration cancelled before QEMU starts leaves nothing); prepare reserves, and the
    release at "release end" follows whatever fails from then on."""
    xml = lab_domain("vm1", vf=False)
    assert host.call("vm1", "migrate", "begin", xml).returncode == 0
    assert host.reservations() == {}
    assert host.start("vm1", xml).returncode == 0
    assert host.reservations() == {"0000:3b:02.0": "vm1/ua-primary0\n"}


def test_an_incoming_migration_of_a_domain_that_holds_its_vfs_passes(host):
    """The migrate role's vf_reservation may have reserved the destination's VF for the domain (same owner naming)."""
    host.take("0000:3b:02.0", "vm1/ua-primary0")
    host.take("0000:3b:02.1", "fake/ua-primary0")
    host.take("0000:3b:02.2", "fake/ua-primary1")
    xml = lab_domain("vm1", vf=False)
    assert host.call("vm1", "migrate", "begin", xml).returncode == 0
    assert host.start("vm1", xml).returncode == 0
    assert host.reservations()["0000:3b:02.0"] == "vm1/ua-primary0\n"


def test_an_unpaired_vf_is_refused_before_capacity(host):
    refused = host.call("vm1", "migrate", "begin", lab_domain("vm1"))
    assert refused.returncode == 1 and "cannot migrate a domain with an assigned VF" in refused.stderr


def test_release_end_releases_the_domains_vfs_only(host):
    host.start("vm1", lab_domain("vm1", pairs=2))
    host.start("vm10", lab_domain("vm10"))  # "vm1/" is not a prefix of "vm10/..."
    for operation, sub_operation in (("stopped", "end"), ("release", "end")):
        assert host.call("vm1", operation, sub_operation, lab_domain("vm1", pairs=2)).returncode == 0
    assert host.reservations() == {"0000:3b:02.2": "vm10/ua-primary0\n"}
    assert host.call("vm1", "release", "end", lab_domain("vm1")).returncode == 0  # nothing left: still fine
