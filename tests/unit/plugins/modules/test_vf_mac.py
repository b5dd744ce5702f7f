# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vf_mac through its main(): the exact argv given to AnsibleModule.run_command, the VF by its PCI address on a fake
sysfs tree, the refusal of a VF another domain of libvirt's test:///default uses, and the no-VF error of the lab's pf0."""

from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.plugins.modules import vf_mac
from ansible_collections.netfailover.standby.tests.unit.plugins import sriov_host as host
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

SAMPLES = Path(__file__).parents[1] / "module_utils" / "fixtures" / "iproute2"
MAC = "52:54:00:6c:00:01"


@pytest.fixture
def ip(monkeypatch):
    """`ip` on the fake host (enp59s0f0 and its 8 VFs): every argv given to run_command is recorded."""
    return host.fake_ip(monkeypatch)


@pytest.fixture
def sysfs(tmp_path, monkeypatch):
    root = host.build_sysfs(tmp_path / "sys")
    monkeypatch.setattr(vf_mac, "SYSFS_ROOT", root)
    return root


@pytest.fixture
def domains():
    connection = libvirt.open(host.TEST_URI)  # test:///default keeps its domains while a connection is open
    remove = host.define_host(connection)
    yield connection
    remove()
    connection.close()


def set_argv(vf, mac=MAC, pf=host.PF):
    return ["/sbin/ip", "link", "set", "dev", pf, "vf", str(vf), "mac", mac]


@pytest.mark.parametrize("args, changed, sets", [
    ({"pf": host.PF, "vf": 1, "mac": MAC}, True, [set_argv(1)]),
    ({"pf": host.PF, "vf": 2, "mac": host.WEB1_MAC}, False, []),
    ({"pf": host.PF, "vf": 4, "state": "absent"}, True, [set_argv(4, "00:00:00:00:00:00")]),
    ({"pf": host.PF, "vf": 4, "state": "absent", "_ansible_check_mode": True}, True, []),
])
def test_the_seeds_style_without_libvirt(run_module, ip, monkeypatch, args, changed, sets):
    monkeypatch.setattr(libvirt_connection, "libvirt", None)  # a host without libvirt-python
    outcome = run_module(vf_mac.main, dict(check_owners=False, _ansible_diff=True, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is changed
    assert ip.sets() == sets
    assert outcome.result["address"] is None
    assert outcome.result["diff"]["after"]["mac"] == outcome.result["mac"]


def test_the_owner_check_needs_libvirt_python(run_module, ip, monkeypatch):
    monkeypatch.setattr(libvirt_connection, "libvirt", None)
    outcome = run_module(vf_mac.main, dict(pf=host.PF, vf=1, mac=MAC))
    assert outcome.failed and "libvirt-python" in outcome.result["msg"]
    assert ip.commands == []


@pytest.mark.parametrize("args, vf, changed, sets", [
    ({"address": "0000:3b:02.4", "mac": MAC}, 4, True, [set_argv(4)]),  # the stale MAC of a free VF
    ({"address": "3b:02.4", "mac": MAC, "_ansible_check_mode": True}, 4, True, []),
    ({"address": "0000:3b:02.7", "state": "absent"}, 7, False, []),
    ({"address": "0000:3b:02.2", "state": "absent", "domain": "web1"}, 2, True, [set_argv(2, "00:00:00:00:00:00")]),
    ({"pf": host.PF, "vf": 2, "mac": host.WEB1_MAC, "domain": "web1"}, 2, False, []),
])
def test_the_vf_by_its_address_with_the_owner_check(run_module, ip, sysfs, domains, args, vf, changed, sets):
    outcome = run_module(vf_mac.main, dict(uri=host.TEST_URI, **args))
    assert not outcome.failed, outcome.result
    result = outcome.result
    assert (result["changed"], result["pf"], result["vf"], result["address"]) == (changed, host.PF, vf, host.VFS[vf])
    assert result["owners"] == (["web1"] if vf == 2 else [])
    assert ip.sets() == sets


@pytest.mark.parametrize("args, message", [
    ({"address": "0000:3b:02.1", "domain": "vm1", "mac": MAC},
     "VF 0000:3b:02.1 (enp59s0f0 vf 1) is used by domains db1, db2; nothing was changed. It is not vm1's VF: pick a free "
     "VF for vm1 (netfailover.standby.vf_info lists them)."),
    ({"address": "0000:3b:02.3", "state": "absent"},
     "VF 0000:3b:02.3 (enp59s0f0 vf 3) is used by domain tr1; nothing was changed. If it is tr1's own VF, say so with "
     "domain=tr1; otherwise pick a free VF (netfailover.standby.vf_info lists them)."),
    ({"pf": host.PF, "vf": 2, "mac": MAC, "domain": "vm1", "_ansible_check_mode": True},
     "VF 0000:3b:02.2 (enp59s0f0 vf 2) is used by domain web1; nothing was changed. It is not vm1's VF: pick a free VF "
     "for vm1 (netfailover.standby.vf_info lists them)."),
])
def test_a_vf_another_domain_uses_is_refused(run_module, ip, sysfs, domains, args, message):
    outcome = run_module(vf_mac.main, dict(uri=host.TEST_URI, **args))
    assert outcome.failed
    assert outcome.result["msg"] == message
    assert outcome.result["changed"] is False and outcome.result["commands"] == []
    assert ip.sets() == []


@pytest.mark.parametrize("args, message", [
    ({"address": "0000:3b:02.1", "pf": host.PF, "mac": MAC}, "parameters are mutually exclusive: address|pf"),
    ({"address": "0000:3b:02.1", "vf": 1, "mac": MAC}, "parameters are mutually exclusive: address|vf"),
    ({"mac": MAC}, "one of the following is required: address, pf"),
    ({"pf": host.PF, "mac": MAC}, "parameters are required together: pf, vf"),
    ({"address": "0000:3b:02.1"}, "state is present but all of the following are missing: mac"),
    ({"address": "enp59s0f0v1", "mac": MAC}, "address must be a PCI address such as 0000:3b:02.1, not 'enp59s0f0v1'."),
    ({"address": "0000:3b:00.0", "mac": MAC}, "0000:3b:00.0 is not an SR-IOV VF: "),
    ({"address": "0000:5e:02.0", "mac": MAC}, "The PF 0000:5e:00.0 of VF 0000:5e:02.0 has no network device"),
])
def test_bad_input(run_module, ip, sysfs, args, message):
    outcome = run_module(vf_mac.main, dict(uri=host.TEST_URI, **args))
    assert outcome.failed
    assert message in outcome.result["msg"]
    assert ip.sets() == []


def test_the_lab_pf_has_no_vfs(run_module, ip):
    """The owner check (on by default) comes after the PF's own answer: the lab's error stays the same."""
    ip.link = (SAMPLES / "ip_link_veth_no_vfs.json").read_text()
    outcome = run_module(vf_mac.main, dict(pf="pf0", vf=5, mac=MAC))
    assert outcome.failed
    assert outcome.result["msg"].startswith("pf0 has no VF 5: pf0 reports no VFs")
    assert ip.commands == [["/sbin/ip", "-j", "link", "show", "dev", "pf0"]]
