# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/hooks/qemu_hook.py: the lab's emulated VF refuses to migrate unless QEMU unplugs it itself, as an assigned VF does.

Run as libvirt runs it: the domain name, the operation and sub-operation as arguments, the domain XML on stdin."""

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
