# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes a report as JSON on the controller, in the controller's own process: no module run, no round trip.

The migrate role ends every VM's run with one; a file and a copy task for it cost two module runs (more than a
second on a busy controller) in the wall time of every migration.
"""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "content": {"type": "dict", "required": True},
    "mode": {"type": "str", "default": "0644"},
}


def render(content):
    return json.dumps(content, indent=4, sort_keys=True) + "\n"


def write_atomically(path, text, mode):
    """Create the folders, write a temporary file beside the report, then rename it over the report."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o755, exist_ok=True)
    # a short prefix: the report is named after the VM, and a long name plus a prefix would pass 255 bytes
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".report-")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def read_text(path):
    try:
        with open(path) as stream:
            return stream.read()
    except OSError:
        return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)  # raises on bad arguments
        try:
            mode = int(args["mode"], 8)
        except ValueError:
            raise AnsibleActionFail("mode must be an octal string such as '0644', not {0!r}".format(args["mode"])) from None
        path, text = args["path"], render(args["content"])
        before = read_text(path)
        result.update(path=path, changed=before != text)
        if result["changed"] and not self._task.check_mode:
            try:
                write_atomically(path, text, mode)
            except OSError as error:
                raise AnsibleActionFail("Cannot write the report {0}: {1}. Give a writable folder.".format(path, error)) from error
        if self._task.diff:
            result["diff"] = {"before": before or "", "after": text, "before_header": path, "after_header": path}
        return result
