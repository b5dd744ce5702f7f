# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection layer against libvirt's built-in test driver, and in isolation with a fake libvirtError."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc

TEST_URI = "test:///default"  # libvirt's built-in driver: one running domain called "test", no daemon


@pytest.fixture
def connection():
    conn = lc.open_connection(uri=TEST_URI)
    yield conn
    conn.close()


def test_open_connection_reaches_the_test_driver(connection):
    assert lc.connection_uri(connection) == TEST_URI
    assert "test" in lc.list_domain_names(connection)


def test_read_only_connection(connection):
    read_only = lc.open_connection(uri=TEST_URI, read_only=True)
    assert read_only.isAlive() == 1
    read_only.close()


def test_find_domain_returns_the_domain_or_none(connection):
    assert lc.find_domain(connection, name="test").name() == "test"
    assert lc.find_domain(connection, name="no-such-domain") is None


def test_get_domain_names_the_known_domains_when_missing(connection):
    with pytest.raises(lc.LibvirtCollectionError) as error:
        lc.get_domain(connection, "no-such-domain")
    assert "'no-such-domain' not found at test:///default" in error.value.message
    assert "Domains defined there: test" in error.value.message
    assert error.value.error_code == lc.VIR_ERR_NO_DOMAIN


def test_versions_are_split_into_tuples(connection):
    library, hypervisor = lc.versions(connection)
    assert library >= (6, 1, 0)
    assert len(hypervisor) == 3


def test_unreachable_uri_is_translated():
    with pytest.raises(lc.LibvirtCollectionError) as error:
        lc.open_connection(uri="qemu+unix:///system?socket=/nonexistent/libvirt-sock")
    assert error.value.message.startswith("Could not connect to libvirt at qemu+unix:///system?socket=/nonexistent/libvirt-sock: ")
    assert "check that libvirtd runs on the hypervisor" in error.value.message


@pytest.mark.parametrize("number, expected", [
    (9000000, (9, 0, 0)),
    (6001000, (6, 1, 0)),
    (7002003, (7, 2, 3)),
])
def test_split_version(number, expected):
    assert lc.split_version(number) == expected


class FakeLibvirtError(Exception):
    """Stands in for libvirt.libvirtError with a chosen code, for codes the test driver cannot produce."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def get_error_code(self):
        return self.code

    def get_error_message(self):
        return self.message


class FakeLibvirt:
    libvirtError = FakeLibvirtError


@pytest.mark.parametrize("code, missing_is_none, expected", [
    (lc.VIR_ERR_NO_DOMAIN, True, None),
    (lc.VIR_ERR_NO_DOMAIN, False, "Could not look up domain vm1: Domain not found (check the domain name"),
    (lc.VIR_ERR_AGENT_UNRESPONSIVE, False, "Could not look up domain vm1: agent gone (start the QEMU guest agent"),
    (1, True, "Could not look up domain vm1: internal error"),
])
def test_libvirt_call_translates_errors(monkeypatch, code, missing_is_none, expected):
    monkeypatch.setattr(lc, "libvirt", FakeLibvirt)
    messages = {lc.VIR_ERR_NO_DOMAIN: "Domain not found", lc.VIR_ERR_AGENT_UNRESPONSIVE: "agent gone", 1: "internal error"}

    @lc.libvirt_call("look up domain {name}", missing_is_none=missing_is_none)
    def failing_lookup(name):
        raise FakeLibvirtError(code, messages[code])

    if expected is None:
        assert failing_lookup(name="vm1") is None
        return
    with pytest.raises(lc.LibvirtCollectionError) as error:
        failing_lookup(name="vm1")
    assert error.value.message.startswith(expected)
    assert error.value.error_code == code


def test_other_exceptions_pass_through(monkeypatch):
    monkeypatch.setattr(lc, "libvirt", FakeLibvirt)

    @lc.libvirt_call("do something")
    def broken():
        raise ValueError("a bug, not a libvirt error")

    with pytest.raises(ValueError):
        broken()


def test_require_libvirt_when_missing(monkeypatch):
    monkeypatch.setattr(lc, "libvirt", None)
    with pytest.raises(lc.LibvirtUnavailable) as error:
        lc.require_libvirt()
    assert error.value.message == "libvirt-python is not installed"
