# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The unit tests run where libvirt-python is not installed (issue 15).

Each check runs a Python of its own in which ``import libvirt`` fails (``sys.modules["libvirt"] = None``), as on a
machine without libvirt-python: every test module imports, and tests written on the fakes pass. The fake's stand-in
has libvirt-python's values where that is installed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection
from ansible_collections.netfailover.standby.tests.unit.plugins import fake_libvirt
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import FakeDomain, libvirt_error

UNIT = Path(__file__).resolve().parents[1]  # tests/unit
COLLECTIONS_ROOT = UNIT.parents[4]  # the folder that holds ansible_collections/netfailover/standby
PACKAGE = "ansible_collections.netfailover.standby.tests.unit"
BLOCK_LIBVIRT = "import sys\nsys.modules['libvirt'] = sys.modules['libvirt_qemu'] = None  # import fails: no libvirt-python\n"

ON_FAKES = "plugins/module_utils/virt/test_events.py"  # fake connections and domains only
ON_TEST_DRIVER = "plugins/modules/test_vf_info.py"  # libvirt's test driver throughout
# Import every module given, then run pytest on the files given: one interpreter (its start is most of the time).
IMPORT_THEN_RUN_PYTEST = BLOCK_LIBVIRT + """
import importlib, json, traceback
import pytest, _pytest.outcomes
failures = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except (Exception, _pytest.outcomes.OutcomeException):  # a module-level skip counts: it hides the whole file
        failures[name] = traceback.format_exc(limit=-3)
if sys.modules["libvirt"] is not None:
    failures["libvirt was imported"] = repr(sys.modules["libvirt"])
print("import failures: " + json.dumps(failures), flush=True)
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-rA"] + sys.argv[2:]))
"""


def unit_modules():
    """Dotted names of conftest.py and of every Python file under tests/unit (test modules and their helpers)."""
    return sorted(PACKAGE + "." + ".".join(path.relative_to(UNIT).with_suffix("").parts)
                  for path in UNIT.rglob("*.py") if "__pycache__" not in path.parts)


@pytest.fixture(scope="module")
def without_libvirt():
    """The output of IMPORT_THEN_RUN_PYTEST in a Python that has this one's import path but no libvirt."""
    path = [str(COLLECTIONS_ROOT)] + [entry for entry in sys.path if entry]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1")
    names = unit_modules()
    assert PACKAGE + ".plugins.fake_libvirt" in names and PACKAGE + ".conftest" in names and len(names) > 30
    process = subprocess.run([sys.executable, "-c", IMPORT_THEN_RUN_PYTEST, json.dumps(names), ON_FAKES, ON_TEST_DRIVER],
                             env=env, cwd=str(UNIT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=300, check=False)
    return process.returncode, process.stdout, process.stdout.splitlines()


def test_every_unit_test_module_imports_without_libvirt_python(without_libvirt):
    _returncode, output, lines = without_libvirt
    reported = [line for line in lines if line.startswith("import failures: ")]
    assert reported, output
    assert json.loads(reported[0][len("import failures: "):]) == {}


def test_tests_on_the_fakes_pass_and_tests_on_the_test_driver_skip_without_libvirt_python(without_libvirt):
    returncode, output, lines = without_libvirt
    assert returncode == 0, output
    passed = [line for line in lines if line.startswith("PASSED ")]
    skipped = [line for line in lines if line.startswith("SKIPPED ")]
    assert len(passed) >= 10 and all(line.startswith("PASSED " + ON_FAKES) for line in passed), output
    assert skipped and all(ON_TEST_DRIVER in line and line.endswith(fake_libvirt.NO_LIBVIRT) for line in skipped), output
    assert " failed" not in lines[-1] and " error" not in lines[-1], output


@pytest.mark.skipif(not fake_libvirt.HAS_LIBVIRT, reason="libvirt-python is not installed: no values to compare with")
def test_the_stand_in_has_libvirt_pythons_values():
    real = fake_libvirt.libvirt
    assert real is not fake_libvirt.FAKE_LIBVIRT
    values = {name: value for name, value in vars(fake_libvirt.FAKE_LIBVIRT).items() if name.startswith("VIR_")}
    assert len(values) > 30
    assert values == {name: getattr(real, name) for name in values}


@pytest.mark.parametrize("code", [fake_libvirt.FAKE_LIBVIRT.VIR_ERR_NO_DOMAIN, fake_libvirt.FAKE_LIBVIRT.VIR_ERR_DEVICE_MISSING])
def test_fake_errors_are_the_libvirt_errors_the_collection_catches(code):
    """libvirt-python's libvirtError where it is installed, the stand-in's elsewhere (conftest.py puts it in place)."""
    error = libvirt_error("no such thing", code)
    assert isinstance(error, connection.libvirt.libvirtError)
    assert (error.get_error_code(), error.get_error_message()) == (code, "no such thing")
    domain = FakeDomain()
    domain.errors["XMLDesc"] = error
    translated = connection.libvirt_call("read domain {name}")(lambda dom, name: dom.XMLDesc(0))
    with pytest.raises(connection.LibvirtCollectionError) as raised:
        translated(domain, name="vm1")
    assert raised.value.error_code == code
    assert raised.value.message.startswith("Could not read domain vm1: no such thing")
