# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AnsibleModule wrapper: connection option, missing library, one catch point."""

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as lc
from ansible_collections.netfailover.standby.plugins.module_utils.module import LibvirtModule


def domain_names_main():
    """A minimal module: list the domains at ``uri``."""
    module = LibvirtModule(argument_spec={"name": {"type": "str"}}, supports_check_mode=True, read_only=True)
    module.run(lambda m: {"changed": False, "names": lc.list_domain_names(m.connection), "check_mode": m.check_mode})


def failing_main():
    module = LibvirtModule(argument_spec={})
    module.run(lambda m: lc.get_domain(m.connection, "absent-vm"))


def test_uri_option_reaches_libvirt(run_module):
    outcome = run_module(domain_names_main, {"uri": "test:///default"})
    assert not outcome.failed
    assert outcome.result["names"] == ["test"]


def test_check_mode_is_exposed(run_module):
    outcome = run_module(domain_names_main, {"uri": "test:///default", "_ansible_check_mode": True})
    assert outcome.result["check_mode"] is True


def test_collection_error_becomes_fail_json(run_module):
    outcome = run_module(failing_main, {"uri": "test:///default"})
    assert outcome.failed
    assert "Domain 'absent-vm' not found at test:///default" in outcome.result["msg"]
    assert outcome.result["libvirt_error_code"] == lc.VIR_ERR_NO_DOMAIN


def test_missing_libvirt_python_fails_with_missing_required_lib(run_module, monkeypatch):
    monkeypatch.setattr(lc, "libvirt", None)
    monkeypatch.setattr(lc, "LIBVIRT_IMPORT_ERROR", "Traceback: No module named 'libvirt'")
    outcome = run_module(domain_names_main, {"uri": "test:///default"})
    assert outcome.failed
    assert "Failed to import the required Python library (libvirt-python)" in outcome.result["msg"]
    assert outcome.result["exception"] == "Traceback: No module named 'libvirt'"


def test_uri_defaults_to_the_system_instance(run_module, monkeypatch):
    opened = []
    monkeypatch.setattr(lc, "open_connection", lambda uri, read_only: opened.append((uri, read_only)) or FakeConnection())
    run_module(domain_names_main, {})
    assert opened == [("qemu:///system", True)]


class FakeConnection:
    def listAllDomains(self, flags):  # noqa: N802 - libvirt's name
        return []

    def close(self):
        return 0
