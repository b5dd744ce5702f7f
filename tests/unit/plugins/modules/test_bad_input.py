# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input for every module: a clear error that says what to fix, and no change (issue 7).

Modules that talk to libvirt run against libvirt's test:///default driver (one domain, "test"); the
domain's definition is compared before and after to prove that nothing changed.
"""

import importlib

import pytest

from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

TEST_URI = "test:///default"
MODULES = "ansible_collections.netfailover.standby.plugins.modules."

CASES = [
    # module, arguments, words the message must contain
    ("guest_failover_info", {"name": "no-such-vm"}, ["'no-such-vm' not found", "Domains defined there: test"]),
    ("guest_failover_info", {"source": "agent"}, ["name"]),
    ("guest_failover_info", {"name": "test", "expect": ["bogus"]}, ["expect", "bogus"]),
    ("guest_failover_info", {"name": "test", "timeout": "soon"}, ["timeout", "float"]),
    ("standby_link", {"name": "no-such-vm", "state": "up"}, ["'no-such-vm' not found"]),
    ("standby_link", {"name": "test", "state": "sideways"}, ["state", "sideways"]),
    ("standby_link", {"name": "test", "state": "up", "alias": "ua-nope"}, ["ua-nope"]),
    ("standby_link", {"name": "test", "state": "up", "alias": "ua-standby0", "tap": "vnet0"}, ["mutually exclusive", "alias", "tap"]),
    ("primary_device", {"name": "no-such-vm", "alias": "ua-primary0", "state": "absent"}, ["'no-such-vm' not found"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "state": "present"}, ["xml"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "state": "present", "xml": "<interface"}, ["XML"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "timeout": "long"}, ["timeout", "float"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "state": "absent", "fdb_mac": "52:54:00:6c:00:01"},
     ["fdb_mac needs fdb_pf (with step) or fdb_port", "nothing was changed"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "state": "absent", "fdb_mac": "52:54:00:6c:00:01", "fdb_pf": "pf0"},
     ["fdb_pf steers the entry by the dance", "give step"]),
    ("standby_link", {"name": "test", "state": "up", "fdb_mac": "52:54:00:6c:00:01", "fdb_pf": "pf0", "fdb_port": "pf0"},
     ["mutually exclusive", "fdb_port", "fdb_pf"]),
    ("standby_link", {"name": "test", "state": "up", "step": "primary_detach"}, ["primary_detach is not a step of this module"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "state": "absent", "fdb_mac": "52:54:00:zz:00:01",
                        "fdb_port": "vnet0"}, ["52:54:00:zz:00:01"]),
    ("primary_device", {"name": "test", "alias": "ua-primary0", "verify_states": ["calm"]}, ["verify_states", "calm"]),
    ("standby_link", {"name": "test", "state": "up", "fdb_mac": "nope", "fdb_port": "pf0"}, ["nope"]),
    ("standby_link", {"name": "test", "state": "up", "verify_timeout": "a while"}, ["verify_timeout", "float"]),
    ("live_migrate", {"name": "test", "destination_uri": "test:///default", "fdb_port": "vnet0"},
     ["required by 'fdb_port'", "fdb_mac"]),
    ("live_migrate", {"name": "no-such-vm", "destination_uri": "test:///default"}, ["no-such-vm"]),
    ("live_migrate", {"name": "test"}, ["destination_uri"]),
    ("live_migrate", {"name": "test", "destination_uri": "qemu+tcp://192.0.2.250/system", "mode": "teleport"}, ["mode", "teleport"]),
    ("live_migrate", {"name": "test", "destination_uri": "test:///default", "bandwidth": "fast"}, ["bandwidth", "int"]),
    ("fdb_entry", {"mac": "52:54:00:zz:00:01", "port": "pf0", "state": "absent"}, ["52:54:00:zz:00:01"]),
    ("fdb_entry", {"mac": "52:54:00:6c:00:01", "state": "absent"}, ["port"]),
    ("fdb_entry", {"mac": "52:54:00:6c:00:01", "port": "pf0", "flavour": "sticky"}, ["flavour", "sticky"]),
    ("vf_mac", {"pf": "pf0", "vf": 1, "mac": "not-a-mac", "state": "present"}, ["not-a-mac"]),
    ("vf_mac", {"pf": "pf0", "vf": "first", "state": "absent"}, ["vf", "int"]),
    ("vf_mac", {"pf": "pf0", "vf": 1, "state": "present"}, ["mac"]),
    ("standby_pair", {"name": "no-such-vm", "standby": {"source": "br0"},
                      "primary": {"type": "emulated", "source_bridge": "esw0"}}, ["'no-such-vm' not found"]),
    ("standby_pair", {"name": "test", "mac": "bad", "standby": {"source": "br0"},
                      "primary": {"type": "emulated", "source_bridge": "esw0"}}, ["bad"]),
    ("standby_pair", {"name": "test", "standby": {"source": "br0"}, "primary": {"type": "hostdev"}}, ["pci_address"]),
    ("standby_info", {"name": "no-such-vm"}, ["'no-such-vm' not found"]),
    ("guest_readiness_info", {"name": "no-such-vm"}, ["'no-such-vm' not found"]),
    ("guest_readiness_info", {"name": "test", "severities": {"mtu_mismatch": "fatal"}}, ["severities", "mtu_mismatch: 'fatal'", "warn, refuse or ignore"]),
    ("guest_readiness_info", {"name": "test", "severities": {"mtu": "warn"}}, ["mtu is no finding", "mtu_mismatch"]),
    ("guest_readiness_info", {"name": "test", "macs": ["eth0"]}, ["macs: eth0 is not a unicast MAC address"]),
]


def definition(name="test"):
    connection = libvirt.open(TEST_URI)
    try:
        return connection.lookupByName(name).XMLDesc(0)
    finally:
        connection.close()


@pytest.mark.parametrize("module_name, arguments, words", CASES,
                         ids=["{0}-{1}".format(c[0], i) for i, c in enumerate(CASES)])
def test_bad_input_fails_clearly_and_changes_nothing(run_module, module_name, arguments, words):
    module = importlib.import_module(MODULES + module_name)
    before = definition()
    outcome = run_module(module.main, dict(arguments, uri=TEST_URI) if module_name not in ("fdb_entry", "vf_mac") else arguments)
    assert outcome.failed, outcome.result
    message = outcome.result["msg"]
    for word in words:
        assert word.lower() in message.lower(), message
    assert not outcome.result.get("changed")
    assert definition() == before
