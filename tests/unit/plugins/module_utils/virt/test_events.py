# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for DEVICE_REMOVED: the event, DEVICE_REMOVAL_FAILED, the live-XML fallback, the timeout."""

import threading

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import events as de
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import FakeConnection, FakeDomain, libvirt


def test_event_ids_match_libvirt():
    assert de.EVENT_ID_DEVICE_REMOVED == libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED
    assert de.EVENT_ID_DEVICE_REMOVAL_FAILED == libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED


@pytest.mark.parametrize("event, alias, present, outcome, detail", [
    (de.EVENT_ID_DEVICE_REMOVED, "ua-primary0", True, de.REMOVED, "DEVICE_REMOVED event"),
    (de.EVENT_ID_DEVICE_REMOVAL_FAILED, "ua-primary0", True, de.REMOVAL_FAILED, "DEVICE_REMOVAL_FAILED event"),
    (de.EVENT_ID_DEVICE_REMOVED, "ua-other", True, de.TIMEOUT, None),  # another device's event is ignored
    (None, None, False, de.REMOVED, "gone from the live XML"),  # no event, but the XML says it is gone
    (None, None, True, de.TIMEOUT, None),
])
def test_watcher_outcomes(event, alias, present, outcome, detail):
    domain = FakeDomain()
    connection = FakeConnection([domain])
    with de.DeviceRemovalWatcher(connection, domain, "ua-primary0") as watcher:
        assert watcher.events_registered and len(connection.callbacks) == 2
        if event is not None:
            connection.fire(event, alias)
        result, waited, how = watcher.wait(0.2, lambda: present, interval=0.05)
    assert (result, how) == (outcome, detail)
    assert waited < 0.2 if outcome != de.TIMEOUT else waited >= 0.2
    assert connection.callbacks == {}  # deregistered on exit


def test_an_event_from_the_event_loop_thread_wakes_the_wait():
    domain = FakeDomain()
    connection = FakeConnection([domain])
    with de.DeviceRemovalWatcher(connection, domain, "ua-primary0") as watcher:
        timer = threading.Timer(0.1, connection.fire, (de.EVENT_ID_DEVICE_REMOVED, "ua-primary0"))
        timer.start()
        outcome, waited, _how = watcher.wait(5, lambda: True, interval=1)
        timer.join()
    assert outcome == de.REMOVED
    assert waited < 1  # woken by the event, not by the next poll


def test_without_events_the_live_xml_is_read():
    domain = FakeDomain()
    connection = FakeConnection([domain], events_supported=False)
    reads = []
    with de.DeviceRemovalWatcher(connection, domain, "ua-primary0") as watcher:
        assert not watcher.events_registered
        assert "events unavailable" in watcher.detail
        outcome, _waited, how = watcher.wait(2, lambda: reads.append(1) or len(reads) < 3, interval=0.01)
    assert outcome == de.REMOVED and how == "gone from the live XML"
    assert len(reads) == 3


def test_start_event_loop_without_libvirt(monkeypatch):
    monkeypatch.setattr(de.libvirt_connection, "libvirt", None)
    assert de.start_event_loop() is False


def test_start_event_loop_registers_once(monkeypatch):
    registered = []

    class FakeLibvirt:
        @staticmethod
        def virEventRegisterDefaultImpl():  # noqa: N802
            registered.append(1)

        @staticmethod
        def virEventRunDefaultImpl():  # noqa: N802
            threading.Event().wait(0.05)

    monkeypatch.setattr(de.libvirt_connection, "libvirt", FakeLibvirt)
    monkeypatch.setitem(de._LOOP, "thread", None)  # pylint: disable=protected-access
    assert de.start_event_loop() and de.start_event_loop()
    assert registered == [1]
    assert de._LOOP["thread"].daemon  # pylint: disable=protected-access
