# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Any libvirt domain name migrates the right domain (issue 15): `db:1` (host:port to Ansible's inventory parser) and
`hv2` (the name of an inventory host, the destination itself).

The lab's vm1 is defined again under each name on hv1 (its persistent definition, with only <name> changed), boots
into its steady state and is migrated hv1 -> hv2 with playbooks/migrate.yml, as an operator would. At the end vm1 is
defined and booted again on hv1 from its original definition, steady, and the renamed domains are gone from both
hypervisors, so that the next test file finds the lab as lab-up left it.
"""

import re
import time
from xml.sax.saxutils import escape

import pytest

GUEST = "vm1"
NAMES = ("db:1", "hv2")
BOOT_TIMEOUT = 300  # a TCG boot on a busy machine, to the guest's steady state
TIMINGS = {}


def boot_as(lab, name, definition):
    """Remove vm1 and the renamed domains everywhere, define ``definition`` under ``name`` on hv1, start it and wait
    for the guest's steady state."""
    started = time.monotonic()
    lab.remove_domains((GUEST,) + NAMES)
    connection = lab.connect("hv1")
    try:
        xml = definition.replace("<name>{0}</name>".format(GUEST), "<name>{0}</name>".format(escape(name)), 1)
        domain = connection.defineXML(xml)
        assert domain.name() == name
        domain.create()
    finally:
        connection.close()
    result = lab.failover("hv1", name, expect=["steady"], timeout=BOOT_TIMEOUT)
    assert result.get("state") == "steady", result
    TIMINGS["boot as {0!r}".format(name)] = round(time.monotonic() - started, 1)


@pytest.fixture(scope="module")
def definition(lab):
    """vm1's persistent definition on hv1; vm1 is booted from it again at the end, whatever happened."""
    assert lab.hypervisor_running(GUEST) == "hv1", "the lab promises vm1 on hv1"
    xml = lab.persistent_xml("hv1", GUEST)
    assert "<name>{0}</name>".format(GUEST) in xml
    yield xml
    boot_as(lab, GUEST, xml)
    lab.remove_domains(NAMES)
    print("\ntimings (s):", TIMINGS)


@pytest.mark.parametrize("name", NAMES)
def test_the_domain_of_that_name_migrates(lab, definition, name, tmp_path):
    boot_as(lab, name, definition)
    started = time.monotonic()
    run = lab.playbook("migrate.yml", {"vm": name, "source": "hv1", "destination": "hv2", "migrate_pf": "pf0"}, tmp_path)
    TIMINGS["migrate {0!r} hv1 -> hv2".format(name)] = round(time.monotonic() - started, 1)
    assert run.rc == 0, run.output[-4000:]
    # the report is the domain's own, under its name: <report dir>/<name>.json
    assert run.report is not None, sorted(p.name for p in tmp_path.iterdir())
    assert run.report["vm"] == name and run.report["outcome"] == "migrated", run.report
    assert run.report["runs_on"] == "hv2" and run.report["final_state"] == "steady", run.report
    assert "{0} runs on hv2 with its VF".format(name) in run.output  # the summary line, by the domain's name
    # the right domain moved: it runs on hv2 under its name, steady, and nothing of that name runs on hv1
    assert lab.hypervisor_running(name) == "hv2"
    assert lab.failover("hv2", name, expect=["steady"], timeout=30).get("state") == "steady"
    assert name not in lab.command("hv1", "virsh", "list", "--name")["stdout"].splitlines()
    # the VM was the run's own in-memory host, neither host `db` port 1 nor merged into the inventory host hv2
    recap = set(re.findall(r"^(\S+)\s+: ok=", run.output, re.MULTILINE))
    assert "netfailover_vm_0" in recap and recap <= {"localhost", "netfailover_vm_0", "hv1", "hv2"}, recap
