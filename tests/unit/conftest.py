# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the unit tests: run a module's main() with arguments and catch its exit; the libvirt stand-in."""

import contextlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.tests.unit.plugins import fake_libvirt

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
except ImportError:  # ansible-core 2.16-2.18: AnsibleModule reads its arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        """The module arguments ``args`` for the AnsibleModule made inside the block."""
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


class ModuleExit(Exception):
    """Raised instead of sys.exit by exit_json/fail_json; ``result`` holds what the module returned."""

    def __init__(self, result, failed):
        super().__init__(json.dumps(result, default=str))
        self.result = result
        self.failed = failed


@pytest.fixture
def run_module(monkeypatch):
    """Return run(main, args) -> ModuleExit, with AnsibleModule's exits turned into an exception."""

    def exit_json(_module, **result):
        raise ModuleExit(result, failed=False)

    def fail_json(_module, **result):
        raise ModuleExit(result, failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(main, args):
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as outcome:
                main()
        return outcome.value

    return run


@pytest.fixture(autouse=True)
def libvirt_stand_in(monkeypatch):
    """Where libvirt-python is absent, the collection's ``libvirt`` is the fake's stand-in (constants, libvirtError).

    So code under test recognises the errors of fake domains and connections as libvirt's; a test that opens a
    connection (libvirt's test driver) skips. Tests of the missing library set ``libvirt`` to None themselves.
    """
    if not fake_libvirt.HAS_LIBVIRT:
        monkeypatch.setattr(libvirt_connection, "libvirt", fake_libvirt.FAKE_LIBVIRT)
