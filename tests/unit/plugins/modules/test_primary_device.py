# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""primary_device through its main(): check mode against the test driver; attach/detach against a fake domain."""

import pytest

from ansible.module_utils import basic

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.plugins.modules import primary_device
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import (
    PRIMARY_XML,
    TEST_NODE_URI,
    FakeConnection,
    FakeDomain,
    domain_xml,
)


@pytest.fixture(autouse=True)
def no_event_loop(monkeypatch):
    """The module starts libvirt's event loop before it connects; here that is only recorded."""
    order = []
    monkeypatch.setattr(primary_device, "start_event_loop", lambda: order.append("event loop"))
    opener = lc.open_connection
    monkeypatch.setattr(lc, "open_connection", lambda **kwargs: order.append("connect") or opener(**kwargs))
    return order


@pytest.mark.parametrize("args, changed, present", [
    ({"state": "absent"}, True, {"live": False}),
    ({"state": "present"}, False, {"live": True}),  # already there: no xml needed
    ({"state": "absent", "persistent": True}, True, {"live": False, "persistent": False}),
    ({"state": "absent", "live": False, "persistent": True}, True, {"persistent": False}),
])
def test_check_mode_against_the_test_driver(run_module, args, changed, present):
    outcome = run_module(primary_device.main, dict(uri=TEST_NODE_URI, name="vm1", alias="ua-primary0",
                                                   _ansible_check_mode=True, _ansible_diff=True, **args))
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is changed
    assert outcome.result["present"] == present
    assert set(outcome.result["diff"]["before"]) == set(present)


def test_the_event_loop_starts_before_the_connection(run_module, no_event_loop):
    run_module(primary_device.main, dict(uri=TEST_NODE_URI, name="vm1", alias="ua-primary0", _ansible_check_mode=True))
    assert no_event_loop[:2] == ["event loop", "connect"]


@pytest.mark.parametrize("args, message", [
    ({"name": "vm-off", "state": "absent"}, "Domain vm-off is not running, so it has no live definition to change"),
    ({"name": "vm1", "alias": "ua-primary7", "state": "present"}, "xml is required: device ua-primary7 is not in the live"),
    ({"name": "vm1", "state": "present", "expect_states": ["happy"]}, "value of expect_states must be one or more of"),
    ({"name": "vm1", "state": "gone"}, "value of state must be one of: present, absent"),
])
def test_clear_errors(run_module, args, message):
    args.setdefault("alias", "ua-primary0")
    outcome = run_module(primary_device.main, dict(uri=TEST_NODE_URI, **args))
    assert outcome.failed
    assert message in outcome.result["msg"]


def test_detach_and_attach_through_main(run_module, monkeypatch):
    domain = FakeDomain()
    monkeypatch.setattr(lc, "open_connection", lambda **kwargs: FakeConnection([domain]))
    monkeypatch.setattr("ansible_collections.netfailover.standby.plugins.module_utils.guest.agent.ping",
                        lambda _domain, timeout=5: True)
    detached = run_module(primary_device.main, dict(uri="test:///default", name="vm1", alias="ua-primary0", state="absent"))
    assert not detached.failed, detached.result
    assert detached.result["changed"] and "removed_seconds" in detached.result["timings"]
    assert "ua-primary0" not in domain.live

    monkeypatch.setattr(primary_device.guest_failover, "agent_reader", lambda _domain: lambda: {"hostname": "vm1", "netdevs": {}})
    attached = run_module(primary_device.main, dict(uri="test:///default", name="vm1", alias="ua-primary0", state="present",
                                                    xml=PRIMARY_XML, wait_for_guest=False))
    assert not attached.failed, attached.result
    assert attached.result["changed"] and attached.result["present"] == {"live": True}
    assert "ua-primary0" in domain.live


def test_agent_warning_reaches_ansible(run_module, monkeypatch):
    domain = FakeDomain(live=domain_xml(primary=False))
    monkeypatch.setattr(lc, "open_connection", lambda **kwargs: FakeConnection([domain]))

    def ping(_domain, timeout=5):
        raise lc.LibvirtCollectionError("Could not talk to the guest agent of domain vm1: Guest agent is not responding")

    monkeypatch.setattr("ansible_collections.netfailover.standby.plugins.module_utils.guest.agent.ping", ping)
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _module, warning: warned.append(warning))
    outcome = run_module(primary_device.main, dict(uri="test:///default", name="vm1", alias="ua-primary0", xml=PRIMARY_XML,
                                                   verify_level="full"))
    assert not outcome.failed
    assert len(warned) == 1 and "The guest agent of domain vm1 does not answer" in warned[0]


def test_wait_for_arrival_goes_on_with_a_domain_that_runs_here(run_module):
    outcome = run_module(primary_device.main, dict(uri=TEST_NODE_URI, name="vm1", alias="ua-primary0", wait_for_arrival=5,
                                                   _ansible_check_mode=True))
    assert not outcome.failed, outcome.result
    assert outcome.result["timings"]["arrival_wait_seconds"] < 5 and outcome.result["present"] == {"live": True}


def test_wait_for_arrival_of_a_domain_that_never_comes_changes_nothing(run_module):
    outcome = run_module(primary_device.main, dict(uri=TEST_NODE_URI, name="vm-elsewhere", alias="ua-primary0",
                                                   wait_for_arrival=0.2))
    assert outcome.failed
    assert "Domain vm-elsewhere did not start arriving at test:///" in outcome.result["msg"]
    assert "Nothing was changed here" in outcome.result["msg"]
