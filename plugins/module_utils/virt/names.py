# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domain names: the names libvirt's QEMU driver refuses, told before a run touches any host.

Everything else is a valid name (spaces, colons, non-ASCII letters, a name equal to an inventory host), and the
collection passes it unchanged to libvirt. libvirt refuses, when it parses a definition:
- an empty name (virDomainDefParseXML: VIR_ERR_NO_NAME);
- a name with a newline (virXMLCheckIllegalChars(name, "\\n")); a carriage return reads back as one (XML line ends);
- a name with '/' (virDomainDefValidate, for every driver without VIR_DOMAIN_DEF_FEATURE_NAME_SLASH: QEMU has not);
- a character that XML 1.0 cannot carry (control characters other than tab, U+FFFE, U+FFFF, lone surrogates).
"""

from __future__ import annotations


def _xml_char(character):
    code = ord(character)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def name_problem(name):
    """Why libvirt refuses ``name`` as a domain name, as a sentence that says what to give instead; '' when it is
    a name libvirt accepts."""
    if name is None or not isinstance(name, str):
        return "A libvirt domain name is a string, not {0!r}: give the name `virsh list --all` shows.".format(name)
    why = None
    if not name:
        why = "it is empty"
    elif "/" in name:
        why = "it contains '/', which libvirt's QEMU driver refuses in a name"
    elif "\n" in name or "\r" in name:
        why = "it contains a line break, which libvirt refuses in a name"
    else:
        bad = sorted({c for c in name if not _xml_char(c)})
        if bad:
            why = "it contains {0}, which a libvirt definition (XML) cannot carry".format(
                ", ".join("U+{0:04X}".format(ord(c)) for c in bad))
    if why is None:
        return ""
    return "{0!r} cannot be a libvirt domain name: {1}. Give the name exactly as `virsh list --all` shows it.".format(
        name, why)
