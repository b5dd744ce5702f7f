# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one wrapper around AnsibleModule that every module of the collection uses.

It merges the shared connection options, checks for libvirt-python once (with
``missing_required_lib``), opens the connection lazily, and maps ``LibvirtCollectionError`` to
``fail_json`` in one place.
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    DEFAULT_URI,
    LibvirtCollectionError,
)

CONNECTION_ARGUMENT_SPEC = {
    "uri": {"type": "str", "default": DEFAULT_URI},
}


class LibvirtModule:
    """Composition wrapper: ``LibvirtModule(argument_spec=..., supports_check_mode=True)``.

    Settings popped from the keyword arguments:
    ``needs_libvirt`` (default True): fail early with missing_required_lib when libvirt-python is absent
    (modules that need it only for some options call ``require_libvirt()`` themselves);
    ``read_only`` (default False): open the connection read-only;
    ``connection_options`` (default True): merge the shared connection options (``uri``); modules that never
    talk to libvirt (they run host commands) set it to False, together with ``needs_libvirt=False``;
    ``module_class``: the AnsibleModule class (tests substitute their own).
    """

    def __init__(self, **kwargs):
        self.needs_libvirt = kwargs.pop("needs_libvirt", True)
        self.read_only = kwargs.pop("read_only", False)
        module_class = kwargs.pop("module_class", AnsibleModule)
        argument_spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC) if kwargs.pop("connection_options", True) else {}
        argument_spec.update(kwargs.pop("argument_spec", {}))
        self.module = module_class(argument_spec=argument_spec, **kwargs)
        self._connection = None
        if self.needs_libvirt:
            self.require_libvirt()

    def require_libvirt(self):
        """Fail with missing_required_lib when libvirt-python is absent (for modules that need it only sometimes)."""
        if libvirt_connection.libvirt is None:
            self.module.fail_json(msg=missing_required_lib("libvirt-python"),
                                  exception=libvirt_connection.LIBVIRT_IMPORT_ERROR)

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    @property
    def connection(self):
        """The libvirt connection for ``uri``, opened on first use."""
        if self._connection is None:
            self._connection = libvirt_connection.open_connection(uri=self.params["uri"], read_only=self.read_only)
        return self._connection

    def close(self):
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # pylint: disable=broad-except
                pass  # closing is best effort: the module's result is already decided
            self._connection = None

    def exit_json(self, **result):
        self.close()
        self.module.exit_json(**result)

    def fail_json(self, msg, **result):
        self.close()
        self.module.fail_json(msg=msg, **result)

    def fail_from_exception(self, error):
        """Report a LibvirtCollectionError, with the partial result it carries."""
        result = dict(error.result)
        if error.error_code is not None:
            result["libvirt_error_code"] = error.error_code
        self.fail_json(error.message, **result)

    def run(self, runner):
        """Call ``runner(self)`` and exit with its result dict; the single catch point of a module."""
        try:
            result = runner(self)
        except LibvirtCollectionError as error:
            self.fail_from_exception(error)
        else:
            self.exit_json(**result)
