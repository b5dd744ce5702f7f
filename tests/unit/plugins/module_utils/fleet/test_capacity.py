# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The parts of capacity.py the module tests do not reach: memory units, the PFs sysfs lists (legacy and switchdev),
a pool's entry."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.fleet import capacity
from ansible_collections.netfailover.standby.plugins.module_utils.host import sriov
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host


@pytest.mark.parametrize("xml, mib", [
    ("<currentMemory unit='KiB'>262144</currentMemory>", 256),
    ("<currentMemory>262144</currentMemory>", 256),  # KiB when no unit
    ("<memory unit='MiB'>512</memory>", 512),
    ("<memory unit='G'>2</memory>", 2048),
    ("<memory unit='bytes'>1048577</memory>", 2),  # rounded up
    ("<memory unit='KiB'> </memory>", 0),
])
def test_memory_mib(xml, mib):
    assert capacity.memory_mib(ET.fromstring(xml)) == mib


def test_an_unknown_memory_unit_is_an_error():
    with pytest.raises(LibvirtCollectionError, match="Unknown memory unit 'pages' in <memory>"):
        capacity.memory_mib(ET.fromstring("<memory unit='pages'>1</memory>"))


def test_the_pfs_with_vfs_enabled(tmp_path):
    """enp59s0f0 (legacy) and the switchdev PF by its own netdev; not the PF with SR-IOV off, the one without a netdev,
    the representors, a plain NIC or a veth."""
    assert sriov.sriov_pfs(host.build_sysfs(tmp_path / "sys")) == ["enp175s0f0np0", "enp59s0f0"]
    assert sriov.sriov_pfs(str(tmp_path / "nothing")) == []


def test_a_pool_entry():
    vfs = [sriov.vf_entry("pf0", n, "0000:3b:02.{0}".format(n)) for n in (2, 0, 1)]
    entry = capacity.pool_entry(vfs, {"0000:3b:02.1": ["db1"], "0000:5e:02.0": ["gpu"]}, {"0000:3b:02.2": "vm1/ua-primary0"})
    assert entry == {"total": 3, "free": ["0000:3b:02.0"], "used": {"0000:3b:02.1": ["db1"]},
                     "reserved": {"0000:3b:02.2": "vm1/ua-primary0"}, "error": None}
