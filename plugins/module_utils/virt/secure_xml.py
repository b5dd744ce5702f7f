# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A domain's secrets: read them where the XML goes back to libvirt, keep them, and mask them wherever a person sees XML.

libvirt leaves a domain's secrets out of its XML unless the reader asks with ``VIR_DOMAIN_XML_SECURE`` (which it refuses
on a read-only connection): the ``passwd`` of a VNC or SPICE ``<graphics>`` and the ``<cookie>`` values of an http(s) or
ftp(s) network disk. XML read without the flag and defined back silently loses them. So every read whose XML is defined
back (or sent to libvirt) uses ``xml_flags(which, secure=True)``, ``check_secrets_kept`` refuses a definition that would
change or drop one, and every result, diff and error message that can carry domain XML goes through ``mask_secrets``.
Masking works on copies and texts only, so a masked value never reaches libvirt.
"""

from __future__ import annotations

import re

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

# libvirt constants as numbers, so this file reads without libvirt-python
XML_SECURE = 1  # VIR_DOMAIN_XML_SECURE: include passwords and cookies
XML_INACTIVE = 2  # VIR_DOMAIN_XML_INACTIVE: the persistent definition instead of the running domain

MASK = "********"
_PASSWD_RE = re.compile(r"""\b(passwd=)(?:"[^"]*"|'[^']*')""")
_COOKIE_RE = re.compile(r"(<cookie\b[^>]*>)[^<]*(</cookie>)")


def xml_flags(which="live", secure=False):
    """The XMLDesc flags for the ``persistent`` definition or the ``live`` domain, with its secrets when ``secure``."""
    return (XML_INACTIVE if which == "persistent" else 0) | (XML_SECURE if secure else 0)


def mask_text(text):
    """``text`` (XML, a diff, a message) with every ``passwd='...'`` and ``<cookie>`` value replaced by MASK."""
    text = _PASSWD_RE.sub(lambda match: match.group(1) + '"' + MASK + '"', text)
    return _COOKIE_RE.sub(lambda match: match.group(1) + MASK + match.group(2), text)


def mask_secrets(value):
    """A copy of a result (dicts, lists and strings at any depth) with the secrets of any domain XML in it masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_secrets(item) for item in value)
    return value


def mask_error(error):
    """The same LibvirtCollectionError with its message and partial result masked (re-raise it)."""
    error.message = mask_text(error.message)
    error.args = (error.message,) + tuple(error.args[1:])
    error.result = mask_secrets(error.result)
    return error


def _where(element, parents):
    """'graphics vnc' or 'disk sdb': which device holds a secret, for a message (never the secret itself)."""
    device = element
    while device in parents and parents[device].tag != "devices":
        device = parents[device]
    target = device.find("target")
    detail = device.get("type") if device.tag == "graphics" else (target.get("dev") if target is not None else None)
    return "{0} {1}".format(device.tag, detail) if detail else device.tag


def secrets_of(root):
    """[(what, value)] for every secret of a parsed domain XML, in document order: what the definition must keep."""
    parents = {child: parent for parent in root.iter() for child in parent}
    found = []
    for element in root.iter():
        if element.get("passwd") is not None:
            found.append(("the passwd of " + _where(element, parents), element.get("passwd")))
        if element.tag == "cookie":
            found.append(("cookie {0} of {1}".format(element.get("name"), _where(element, parents)), element.text or ""))
    return found


def check_secrets_kept(before, desired, name):
    """Refuse a desired definition whose secrets differ from the current one's (read with XML_SECURE).

    The module edits NICs only; a secret that changed means it would define a masked or dropped value.
    """
    kept, wanted = secrets_of(before), secrets_of(desired)
    if kept == wanted:
        return
    lost = sorted({what for what, _value in kept} ^ {what for what, _value in wanted}
                  | {what for (what, value), (_other, other) in zip(kept, wanted) if value != other})
    raise LibvirtCollectionError(
        "The new definition of domain {0} would change or drop {1}: the module keeps a definition's passwords and "
        "cookies as libvirt gives them with VIR_DOMAIN_XML_SECURE and never defines a masked one. This is a bug; report it "
        "with the domain's definition (passwords removed). Nothing was changed.".format(name, ", ".join(lost) or "a secret"))
