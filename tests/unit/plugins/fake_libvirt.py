# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fakes for what libvirt's test driver cannot do: device updates, attach/detach, device events, migration, job stats.

``FakeDomain`` keeps a live and a persistent XML and changes them as libvirt would; every call is recorded
in ``calls``. Reads (lookups, XML, running or not) are tested against the real test driver elsewhere:
``TEST_NODE_URI`` points libvirt's test driver at a node with the lab's guest (a STANDBY pair sharing one MAC).

Nothing here needs libvirt-python: ``FAKE_LIBVIRT`` has the constants and ``libvirtError`` the tests use, and stands in
for libvirt-python where that is not installed; there, a test that opens a connection skips.
"""

import copy
import os
import threading
import types
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection

# Whether libvirt-python is installed, as the collection's one guarded import found it (this file never imports
# libvirt itself). Read from the import error, which no test patches, not from ``libvirt_connection.libvirt``.
HAS_LIBVIRT = libvirt_connection.LIBVIRT_IMPORT_ERROR is None
# Why a test that opens a connection (libvirt's test driver) skips where libvirt-python is absent.
NO_LIBVIRT = "libvirt-python is not installed: this test uses libvirt's test driver (test:///...)"


class libvirtError(Exception):  # noqa: N801 - libvirt's name
    """libvirt-python's libvirtError: ``err`` is libvirt's error tuple (code, domain, message, level, str1-3, int1-2)."""

    def __init__(self, defmsg):
        super().__init__(defmsg)
        self.err = None

    def _field(self, index):
        return None if self.err is None else self.err[index]

    def get_error_code(self):
        return self._field(0)

    def get_error_domain(self):
        return self._field(1)

    def get_error_message(self):
        return self._field(2)

    def get_error_level(self):
        return self._field(3)


def _needs_libvirt(*_args, **_kwargs):
    pytest.skip(NO_LIBVIRT)


def _event_loop_that_waits(*_args, **_kwargs):
    threading.Event().wait()  # as virEventRunDefaultImpl with no event source: it never returns


# The part of libvirt-python the unit tests and the code they run use; the values are libvirt's. Where libvirt-python is
# absent, tests/unit/conftest.py puts it in the place of the collection's ``libvirt`` (connection.py), so that fake
# domains and connections raise errors the collection recognises; opening a connection skips the test.
FAKE_LIBVIRT = types.ModuleType("libvirt", "A stand-in for libvirt-python in unit tests (tests/unit/plugins/fake_libvirt.py).")
FAKE_LIBVIRT.__dict__.update(
    libvirtError=libvirtError, open=_needs_libvirt, openReadOnly=_needs_libvirt, registerErrorHandler=lambda *_args: 0,
    virEventRegisterDefaultImpl=lambda: 0, virEventRunDefaultImpl=_event_loop_that_waits,
    VIR_ERR_INTERNAL_ERROR=1, VIR_ERR_NO_SUPPORT=3, VIR_ERR_OPERATION_FAILED=9, VIR_ERR_SYSTEM_ERROR=38,
    VIR_ERR_NO_DOMAIN=42, VIR_ERR_AUTH_FAILED=45, VIR_ERR_OPERATION_INVALID=55, VIR_ERR_OPERATION_TIMEOUT=68,
    VIR_ERR_ARGUMENT_UNSUPPORTED=74, VIR_ERR_OPERATION_ABORTED=78, VIR_ERR_AGENT_UNRESPONSIVE=86, VIR_ERR_DEVICE_MISSING=99,
    VIR_FROM_NONE=0, VIR_ERR_ERROR=2,
    VIR_DOMAIN_XML_SECURE=1, VIR_DOMAIN_XML_INACTIVE=2, VIR_DOMAIN_XML_MIGRATABLE=8,
    VIR_DOMAIN_AFFECT_CURRENT=0, VIR_DOMAIN_AFFECT_LIVE=1, VIR_DOMAIN_AFFECT_CONFIG=2,
    VIR_DOMAIN_JOB_NONE=0, VIR_DOMAIN_JOB_UNBOUNDED=2, VIR_DOMAIN_JOB_COMPLETED=3, VIR_DOMAIN_JOB_FAILED=4,
    VIR_DOMAIN_JOB_CANCELLED=5, VIR_DOMAIN_JOB_STATS_COMPLETED=1, VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED=2,
    VIR_MIGRATE_LIVE=1, VIR_MIGRATE_PEER2PEER=2, VIR_MIGRATE_PERSIST_DEST=8, VIR_MIGRATE_UNDEFINE_SOURCE=16,
    VIR_MIGRATE_AUTO_CONVERGE=8192, VIR_MIGRATE_POSTCOPY=32768,
    VIR_MIGRATE_PARAM_URI="migrate_uri", VIR_MIGRATE_PARAM_DEST_XML="destination_xml", VIR_MIGRATE_PARAM_BANDWIDTH="bandwidth",
    VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED=15, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED=22,
)

# What the tests call ``libvirt``: libvirt-python where it is installed (its errors are the ones the collection catches),
# the stand-in elsewhere.
libvirt = libvirt_connection.libvirt if HAS_LIBVIRT else FAKE_LIBVIRT

TEST_NODE_URI = "test://" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "libvirt-test-node.xml")

MAC = "52:54:00:6c:00:01"
STANDBY = ("<interface type='bridge'><mac address='{mac}'/><source bridge='br0'/><target dev='vnet0'/>"
           "<model type='virtio'/><teaming type='persistent'/><link state='{link}'/><alias name='ua-standby0'/>"
           "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></interface>")
PRIMARY = ("<interface type='bridge'><mac address='{mac}'/><source bridge='esw0'/><target dev='vnet1'/>"
           "<model type='vmxnet3'/><rom enabled='no'/><alias name='ua-primary0'/>"
           "<address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/></interface>")
PRIMARY_XML = ("<interface type='bridge'><mac address='{mac}'/><source bridge='esw0'/><model type='vmxnet3'/>"
               "<rom enabled='no'/><alias name='ua-primary0'/>"
               "<address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/></interface>").format(mac=MAC)

# jobStats(COMPLETED) of a real lab migration (hv1 -> hv2, TCG guest with 256 MiB)
LAB_COMPLETED = {"operation": 4, "time_elapsed": 4426, "time_elapsed_net": 4423, "downtime": 52, "downtime_net": 49,
                 "setup_time": 1, "data_total": 269230080, "data_processed": 109113326, "data_remaining": 0,
                 "memory_total": 269230080, "memory_processed": 109113326, "memory_remaining": 0, "memory_bps": 377051182,
                 "memory_constant": 39229, "memory_normal": 26501, "memory_normal_bytes": 108548096, "memory_dirty_rate": 0,
                 "memory_iteration": 3, "memory_postcopy_requests": 0, "memory_page_size": 4096, "disk_total": 0,
                 "disk_processed": 0, "disk_remaining": 0, "type": 3}


def domain_xml(name="vm1", link="down", primary=True, extra=""):
    devices = STANDBY.format(mac=MAC, link=link) + (PRIMARY.format(mac=MAC) if primary else "") + extra
    return "<domain type='kvm'><name>{0}</name><devices>{1}</devices></domain>".format(name, devices)


def libvirt_error(message, code=libvirt.VIR_ERR_INTERNAL_ERROR):
    """A libvirtError with a chosen code, as libvirt raises it."""
    error = libvirt.libvirtError(message)
    error.err = (code, 0, message, 2, None, None, None, 0, 0)
    return error


def _find_alias(root, alias):
    devices = root.find("devices")
    for device in devices:
        found = device.find("alias")
        if found is not None and found.get("name") == alias:
            return devices, device
    return devices, None


class FakeDomain:  # pylint: disable=too-many-instance-attributes
    """A domain whose device calls change its XML the way libvirt would."""

    def __init__(self, name="vm1", live=None, persistent=None, active=True, is_persistent=True):
        self._name = name
        self.live = live if live is not None else domain_xml(name)
        self.persistent = persistent if persistent is not None else self.live
        self.active = active
        self.is_persistent = is_persistent
        self.calls = []
        self.errors = {}  # method name -> libvirtError to raise
        self.removal_is_delayed = False  # detachDeviceAlias(LIVE) only sends the request: remove_pending() finishes it
        self.pending_removal = None
        self.on_detach = None  # callback(alias) when a live removal is requested
        self.jobs = []  # jobStats(0) answers, in order (the last one repeats)
        self.completed = None  # jobStats(COMPLETED) answer
        self.migrate_result = None  # callable run by migrateToURI3 / migrate3 (may block or raise)

    def _call(self, method, *args):
        self.calls.append((method,) + args)
        if method in self.errors:
            raise self.errors[method]

    def name(self):
        return self._name

    def isActive(self):  # noqa: N802 - libvirt's name
        return 1 if self.active else 0

    def isPersistent(self):  # noqa: N802
        return 1 if self.is_persistent else 0

    def XMLDesc(self, flags=0):  # noqa: N802
        self._call("XMLDesc", flags)
        return self.persistent if flags & libvirt.VIR_DOMAIN_XML_INACTIVE else self.live

    # device calls -------------------------------------------------------------------------------------------
    def updateDeviceFlags(self, xml, flags):  # noqa: N802
        self._call("updateDeviceFlags", xml, flags)
        new = ET.fromstring(xml)
        root = ET.fromstring(self.live)
        devices, old = _find_alias(root, new.find("alias").get("name"))
        index = list(devices).index(old)
        devices.remove(old)
        devices.insert(index, new)
        self.live = ET.tostring(root, encoding="unicode")
        return 0

    def attachDeviceFlags(self, xml, flags):  # noqa: N802
        self._call("attachDeviceFlags", xml, flags)
        for where, flag in (("live", libvirt.VIR_DOMAIN_AFFECT_LIVE), ("persistent", libvirt.VIR_DOMAIN_AFFECT_CONFIG)):
            if flags & flag:
                root = ET.fromstring(getattr(self, where))
                devices, existing = _find_alias(root, ET.fromstring(xml).find("alias").get("name"))
                if existing is not None:
                    raise libvirt_error("non unique alias detected", libvirt.VIR_ERR_OPERATION_FAILED)
                devices.append(ET.fromstring(xml))
                setattr(self, where, ET.tostring(root, encoding="unicode"))
        return 0

    def detachDeviceAlias(self, alias, flags):  # noqa: N802
        self._call("detachDeviceAlias", alias, flags)
        if flags & libvirt.VIR_DOMAIN_AFFECT_CONFIG:
            self.persistent = self._without(self.persistent, alias)
        if flags & libvirt.VIR_DOMAIN_AFFECT_LIVE:
            if self.removal_is_delayed:
                self.pending_removal = alias
            else:
                self.live = self._without(self.live, alias)
            if self.on_detach:
                self.on_detach(alias)
        return 0

    def remove_pending(self):
        self.live = self._without(self.live, self.pending_removal)
        self.pending_removal = None

    @staticmethod
    def _without(xml, alias):
        root = ET.fromstring(xml)
        devices, device = _find_alias(root, alias)
        if device is None:
            raise libvirt_error("device not found: no device found with alias " + alias, libvirt.VIR_ERR_DEVICE_MISSING)
        devices.remove(device)
        return ET.tostring(root, encoding="unicode")

    # migration calls ----------------------------------------------------------------------------------------
    def jobStats(self, flags=0):  # noqa: N802
        self._call("jobStats", flags)
        if flags & libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED:
            return copy.deepcopy(self.completed) if self.completed else {"type": libvirt.VIR_DOMAIN_JOB_NONE}
        if not self.jobs:
            return {"type": libvirt.VIR_DOMAIN_JOB_NONE}
        return self.jobs.pop(0) if len(self.jobs) > 1 else self.jobs[0]

    def migrateSetMaxDowntime(self, downtime, flags=0):  # noqa: N802
        self._call("migrateSetMaxDowntime", downtime, flags)
        return 0

    def migrateStartPostCopy(self, flags=0):  # noqa: N802
        self._call("migrateStartPostCopy", flags)
        return 0

    def abortJob(self):  # noqa: N802
        self._call("abortJob")
        return 0

    def migrateToURI3(self, uri, params, flags):  # noqa: N802
        self._call("migrateToURI3", uri, params, flags)
        return self.migrate_result() if self.migrate_result else 0

    def migrate3(self, connection, params, flags):
        self._call("migrate3", connection, params, flags)
        return self.migrate_result() if self.migrate_result else FakeDomain(self._name)


class FakeConnection:  # pylint: disable=too-many-instance-attributes
    """A connection with some domains; records event registrations so tests can fire events. The node's figures
    (getInfo, getMemoryStats, getFreeMemory, getHostname) and CPU comparisons, which libvirt's test driver has not got,
    are attributes a test sets: ``memory_stats`` None answers as a driver without node statistics, ``cpu_compare``
    is a callable(xml, arch, virt_type) that returns virCPUCompareResult or raises (None: not supported)."""

    def __init__(self, domains=(), uri="qemu:///system", events_supported=True):
        self.domains = {domain.name(): domain for domain in domains}
        self.uri = uri
        self.events_supported = events_supported
        self.callbacks = {}
        self.closed = False
        self.read_only = None
        self.hostname = "hv1"
        self.info = ["x86_64", 16000, 4, 2400, 1, 1, 4, 1]  # virNodeInfo: memory in MiB
        self.memory_stats = {"total": 16384000, "free": 8192000, "buffers": 102400, "cached": 1024000}  # KiB
        self.free_memory = 8192000 * 1024  # bytes
        self.cpu_compare = None
        self.compared = []  # (api, xml, arch, virt_type) of each CPU comparison
        self.networks = {}  # name -> (active, XML)

    def getHostname(self):  # noqa: N802
        return self.hostname

    def getInfo(self):  # noqa: N802
        return list(self.info)

    def getMemoryStats(self, cell, flags=0):  # noqa: N802
        if self.memory_stats is None:
            raise libvirt_error("this function is not supported by the connection driver: virNodeGetMemoryStats",
                                libvirt.VIR_ERR_NO_SUPPORT)
        return dict(self.memory_stats)

    def getFreeMemory(self):  # noqa: N802
        return self.free_memory

    def compareHypervisorCPU(self, emulator, arch, machine, virttype, xml, flags=0):  # noqa: N802 # pylint: disable=too-many-arguments
        self.compared.append(("compareHypervisorCPU", xml, arch, virttype))
        if self.cpu_compare is None:
            raise libvirt_error("this function is not supported by the connection driver: virConnectCompareHypervisorCPU",
                                libvirt.VIR_ERR_NO_SUPPORT)
        return self.cpu_compare(xml, arch, virttype)

    def compareCPU(self, xml, flags=0):  # noqa: N802
        self.compared.append(("compareCPU", xml, None, None))
        if self.cpu_compare is None:
            raise libvirt_error("this function is not supported by the connection driver: virConnectCompareCPU",
                                libvirt.VIR_ERR_NO_SUPPORT)
        return self.cpu_compare(xml, None, None)

    def listAllNetworks(self, flags=0):  # noqa: N802
        return [FakeNetwork(name, *state) for name, state in sorted(self.networks.items())]

    def networkLookupByName(self, name):  # noqa: N802
        if name not in self.networks:
            raise libvirt_error("Network not found: no network with matching name '{0}'".format(name), 43)
        return FakeNetwork(name, *self.networks[name])

    def lookupByName(self, name):  # noqa: N802
        if name not in self.domains:
            raise libvirt_error("Domain not found: no domain with matching name '{0}'".format(name), libvirt.VIR_ERR_NO_DOMAIN)
        return self.domains[name]

    def listAllDomains(self, flags=0):  # noqa: N802
        return list(self.domains.values())

    def getURI(self):  # noqa: N802
        return self.uri

    def domainEventRegisterAny(self, domain, event_id, callback, opaque):  # noqa: N802
        if not self.events_supported:
            raise libvirt_error("could not initialize domain event timer")
        callback_id = len(self.callbacks) + 1
        self.callbacks[callback_id] = (event_id, callback, domain)
        return callback_id

    def domainEventDeregisterAny(self, callback_id):  # noqa: N802
        self.callbacks.pop(callback_id, None)
        return 0

    def fire(self, event_id, alias):
        for registered_id, callback, domain in list(self.callbacks.values()):
            if registered_id == event_id:
                callback(self, domain, alias, None)

    def close(self):
        self.closed = True
        return 0


class FakeNetwork:
    """A libvirt network: its name, whether it is active, its XML."""

    def __init__(self, name, active, xml):
        self._name, self.active, self.xml = name, active, xml

    def name(self):
        return self._name

    def isActive(self):  # noqa: N802
        return 1 if self.active else 0

    def XMLDesc(self, flags=0):  # noqa: N802
        return self.xml
