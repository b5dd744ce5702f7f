# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running host commands (``ip``, ``bridge``) as argv lists and reading their JSON output.

``run_command`` is AnsibleModule.run_command (or a fake in tests): ``run_command(argv) -> (rc, stdout, stderr)``.
Never a shell string.
"""

from __future__ import annotations

import json
import re

from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError

MAC_PATTERN = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
ZERO_MAC = "00:00:00:00:00:00"


class CommandError(LibvirtCollectionError):
    """A host command failed; the message names the command and what it printed."""


def run_checked(run_command, argv, what):
    """Run argv; return its stdout, or raise CommandError saying what was being done."""
    rc, out, err = run_command(list(argv))
    if rc != 0:
        raise CommandError("Could not {0}: `{1}` failed with exit code {2}: {3}".format(
            what, " ".join(argv), rc, (err or out or "").strip()), result={"rc": rc, "stderr": err, "stdout": out})
    return out


def parse_json(text, argv):
    try:
        return json.loads(text or "[]")
    except ValueError as error:
        raise CommandError("`{0}` printed no valid JSON ({1}): {2!r}".format(" ".join(argv), error, (text or "")[:200])) from error


def normalize_mac(mac, option="mac"):
    """Lower-case, colon-separated; '-' separators accepted. Raises LibvirtCollectionError for anything else."""
    text = (mac or "").strip().lower().replace("-", ":")
    if not MAC_PATTERN.match(text):
        raise LibvirtCollectionError("{0} must be a MAC address such as 52:54:00:6c:00:01, not {1!r}.".format(option, mac))
    return text
