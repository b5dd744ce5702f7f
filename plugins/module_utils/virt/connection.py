# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The libvirt connection layer: one guarded import, one exception, small wrappers around libvirt calls.

Every libvirt call of the collection goes through a function decorated with ``libvirt_call`` so that a
``libvirt.libvirtError`` always reaches the user as a ``LibvirtCollectionError`` that says what was
being done, what libvirt answered and, where we know it, how to fix it.
"""

from __future__ import annotations

import functools
import traceback

try:
    import libvirt
except ImportError:
    libvirt = None
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()
else:
    LIBVIRT_IMPORT_ERROR = None
    # libvirt prints every error to stderr by default; ours reach the user through LibvirtCollectionError.
    libvirt.registerErrorHandler(lambda _context, _error: None, None)

DEFAULT_URI = "qemu:///system"

# libvirt error codes (virErrorNumber) that we explain to the user. Numbers, so this table can be
# read without libvirt-python installed.
VIR_ERR_NO_DOMAIN = 42
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_SYSTEM_ERROR = 38
VIR_ERR_OPERATION_INVALID = 55
VIR_ERR_AUTH_FAILED = 45
VIR_ERR_AGENT_UNRESPONSIVE = 86
VIR_ERR_OPERATION_TIMEOUT = 68
VIR_ERR_ARGUMENT_UNSUPPORTED = 74
VIR_ERR_DEVICE_MISSING = 99

HINTS = {
    VIR_ERR_NO_DOMAIN: "check the domain name with `virsh list --all` on that hypervisor",
    VIR_ERR_SYSTEM_ERROR: "check that libvirtd runs on the hypervisor and that the URI is right",
    VIR_ERR_AUTH_FAILED: "check the credentials or the polkit/SASL set-up for this URI",
    VIR_ERR_AGENT_UNRESPONSIVE: "start the QEMU guest agent inside the guest and make sure the domain has an "
                                "org.qemu.guest_agent.0 channel",
    VIR_ERR_OPERATION_INVALID: "the domain is not in a state that allows this (is it running?)",
    VIR_ERR_DEVICE_MISSING: "check the device alias with `virsh dumpxml DOMAIN`",
}


class LibvirtCollectionError(Exception):
    """The one exception modules of this collection map to fail_json.

    ``result`` carries whatever partial result the failing step produced (for example timings
    collected before a timeout), so a failure can still report what happened.
    """

    def __init__(self, message, error_code=None, result=None):
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.result = result or {}


class LibvirtUnavailable(LibvirtCollectionError):
    """libvirt-python is not importable on the node running the module."""


def error_code_of(exception):
    """Return libvirt's error code of a libvirtError (None for anything else)."""
    get_error_code = getattr(exception, "get_error_code", None)
    return get_error_code() if get_error_code else None


def translate_libvirt_error(action, exception):
    """Build the collection exception for a libvirtError raised while doing ``action``."""
    code = error_code_of(exception)
    detail = (exception.get_error_message() if hasattr(exception, "get_error_message") else None) or str(exception)
    message = "Could not {0}: {1}".format(action, detail)
    hint = HINTS.get(code)
    if hint:
        message = "{0} ({1})".format(message, hint)
    return LibvirtCollectionError(message, error_code=code)


def libvirt_call(action, missing_is_none=False, missing_codes=(VIR_ERR_NO_DOMAIN,)):
    """Decorate a function that calls libvirt.

    ``action`` is a description such as ``"look up domain {name}"``; it is formatted with the
    function's keyword arguments. With ``missing_is_none`` a "not found" error returns None.
    """

    def decorator(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except LibvirtCollectionError:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                if libvirt is None or not isinstance(exc, libvirt.libvirtError):
                    raise
                if missing_is_none and error_code_of(exc) in missing_codes:
                    return None
                raise translate_libvirt_error(_describe(action, kwargs), exc) from exc

        return wrapper

    return decorator


def _describe(action, kwargs):
    try:
        return action.format(**kwargs)
    except (KeyError, IndexError):
        return action


def require_libvirt():
    """Raise LibvirtUnavailable when libvirt-python cannot be imported."""
    if libvirt is None:
        raise LibvirtUnavailable("libvirt-python is not installed", result={"exception": LIBVIRT_IMPORT_ERROR})


@libvirt_call("connect to libvirt at {uri}")
def open_connection(uri=DEFAULT_URI, read_only=False):
    """Open a libvirt connection; read-only where the caller never changes anything."""
    require_libvirt()
    if read_only:
        return libvirt.openReadOnly(uri)
    return libvirt.open(uri)


@libvirt_call("look up domain {name}", missing_is_none=True)
def find_domain(connection, name):
    """Return the virDomain called ``name``, or None when there is none."""
    return connection.lookupByName(name)


def get_domain(connection, name):
    """Return the virDomain called ``name``; fail with the list of known domains when there is none."""
    domain = find_domain(connection, name=name)
    if domain is None:
        known = ", ".join(sorted(list_domain_names(connection))) or "none"
        raise LibvirtCollectionError(
            "Domain {0!r} not found at {1}. Domains defined there: {2}. Check the name, or point "
            "`uri` at the hypervisor that runs it.".format(name, connection_uri(connection), known),
            error_code=VIR_ERR_NO_DOMAIN)
    return domain


@libvirt_call("list domains")
def list_domain_names(connection):
    """Names of every domain, running or only defined."""
    return [domain.name() for domain in connection.listAllDomains(0)]


@libvirt_call("read the connection URI")
def connection_uri(connection):
    """The URI libvirt reports for this connection (normalised, e.g. qemu:///system)."""
    return connection.getURI()


@libvirt_call("read the libvirt and hypervisor versions")
def versions(connection):
    """Return (libvirt version, hypervisor version) as (major, minor, micro) tuples."""
    return split_version(connection.getLibVersion()), split_version(connection.getVersion())


def split_version(number):
    """libvirt packs versions as major * 1,000,000 + minor * 1,000 + micro."""
    return number // 1000000, (number // 1000) % 1000, number % 1000
