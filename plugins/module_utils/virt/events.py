# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""libvirt's event loop and the wait for a device's removal (DEVICE_REMOVED / DEVICE_REMOVAL_FAILED).

A detach request returns at once ("request sent"): the device is gone only when the guest has released
it and QEMU has removed it, which libvirt announces with the DEVICE_REMOVED event. The wait here listens
for that event and, as a fallback (no event loop, a missed event), re-reads the live XML.
"""

from __future__ import annotations

import threading
import time

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import libvirt_call

EVENT_ID_DEVICE_REMOVED = 15  # VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED
EVENT_ID_DEVICE_REMOVAL_FAILED = 22  # VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED

REMOVED = "removed"
REMOVAL_FAILED = "removal_failed"
TIMEOUT = "timeout"

_LOOP = {"thread": None}


def start_event_loop():
    """Register libvirt's default event implementation and run it in a daemon thread, once per process.

    Call it before opening the connection whose events are wanted: libvirt ties a connection to the
    event implementation registered when it was opened. Returns True when the loop runs.
    """
    libvirt = libvirt_connection.libvirt
    if libvirt is None:
        return False
    if _LOOP["thread"] is None:
        libvirt.virEventRegisterDefaultImpl()
        thread = threading.Thread(target=_run_event_loop, args=(libvirt,), name="libvirt-events", daemon=True)
        thread.start()
        _LOOP["thread"] = thread
    return True


def _run_event_loop(libvirt):
    while True:
        libvirt.virEventRunDefaultImpl()


@libvirt_call("register for device events of domain {name}")
def _register(connection, domain, event_id, callback, name=None):
    return connection.domainEventRegisterAny(domain, event_id, callback, None)


@libvirt_call("deregister device events")
def _deregister(connection, callback_id):
    return connection.domainEventDeregisterAny(callback_id)


class DeviceRemovalWatcher:
    """Listen for the removal of device ``alias`` of ``domain``; use it as a context manager.

    Enter it BEFORE sending the detach request, so an event that comes quickly is not missed.
    """

    def __init__(self, connection, domain, alias, use_events=True):
        self.connection = connection
        self.domain = domain
        self.alias = alias
        self.use_events = use_events
        self.events_registered = False
        self.outcome = None
        self.detail = None
        self._signal = threading.Event()
        self._callback_ids = []

    def __enter__(self):
        if self.use_events:
            name = self.domain.name()
            try:
                for event_id, callback in ((EVENT_ID_DEVICE_REMOVED, self._on_removed),
                                           (EVENT_ID_DEVICE_REMOVAL_FAILED, self._on_removal_failed)):
                    self._callback_ids.append(_register(self.connection, self.domain, event_id, callback, name=name))
                self.events_registered = True
            except libvirt_connection.LibvirtCollectionError as error:
                self.detail = "events unavailable, re-reading the live XML instead: {0}".format(error.message)
        return self

    def __exit__(self, *exc_info):
        for callback_id in self._callback_ids:
            try:
                _deregister(self.connection, callback_id)
            except libvirt_connection.LibvirtCollectionError:
                pass  # best effort: the connection is closed at the module's end anyway
        self._callback_ids = []
        return False

    # libvirt calls these from its event loop thread
    def _on_removed(self, _connection, _domain, device_alias, _opaque):
        if device_alias == self.alias:
            self._finish(REMOVED, "DEVICE_REMOVED event")

    def _on_removal_failed(self, _connection, _domain, device_alias, _opaque):
        if device_alias == self.alias:
            self._finish(REMOVAL_FAILED, "DEVICE_REMOVAL_FAILED event")

    def _finish(self, outcome, detail):
        if self.outcome is None:
            self.outcome = outcome
            self.detail = detail
        self._signal.set()

    def wait(self, timeout, still_present, interval=0.5, clock=time.monotonic):
        """Wait up to ``timeout`` seconds for the removal.

        ``still_present()`` re-reads the live XML (the fallback). Returns (outcome, seconds waited, how),
        outcome being REMOVED, REMOVAL_FAILED or TIMEOUT.
        """
        started = clock()
        while True:
            remaining = timeout - (clock() - started)
            if self._signal.wait(max(0.0, min(interval, remaining))):
                return self.outcome, clock() - started, self.detail
            if not still_present():
                self._finish(REMOVED, "gone from the live XML")
                return self.outcome, clock() - started, self.detail
            if clock() - started >= timeout:
                return TIMEOUT, clock() - started, self.detail
