# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A rolling upgrade (issue 13): migrate.yml between an older and a newer hypervisor, both ways, both variants.

A lab of its own (prefix nflabx, or the lab's prefix + x) with hv1 on Debian 12's libvirt 9.0 / QEMU 7.2 and hv2 on libvirt 11.3 / QEMU 10.0
(each hypervisor's mount namespace sees its own packages). The guest starts on hv1, the older one, so its machine
type (q35 as QEMU 7.2 expands it) exists on both: a guest started on the newer QEMU could not go back. Every row
(outage, libvirt downtime) goes into mixed-platforms.json in that lab's state folder and is printed at the end.
"""

import json

import pytest

from conftest import LAB_PREFIX, lab_down, lab_up

PREFIX = LAB_PREFIX + "x"  # nflabx beside the lab nflab
PLATFORMS = "hv1=debian12,hv2=current"
VM = "vm1"
ROWS = []


@pytest.fixture(scope="module")
def mixed():
    yield
    lab_down(PREFIX)
    print("\nvariant  | from -> to                  | outcome  | outage ms | libvirt downtime ms | wall s")
    for row in ROWS:
        print("{variant:8} | {route:27} | {outcome:8} | {outage_ms!s:9} | {downtime_ms!s:19} | {wall_seconds}".format(**row))


def migrate(lab, variant, source, destination, tmp_path):
    handle = lab.start_probe(VM)
    request = {"vm": VM, "source": source, "destination": destination, "migrate_pf": "pf0", "variant": variant}
    result = lab.playbook("migrate.yml", request, tmp_path / "{0}-{1}".format(variant, source))
    probe = handle.stop()
    assert result.rc == 0 and result.report["outcome"] == "migrated", result.output[-3000:]
    assert result.report["runs_on"] == destination and result.report["final_state"] == "steady"
    assert lab.hypervisor_running(VM) == destination
    assert lab.probe(VM, count=10)["received"] >= 10
    versions = lab.facts["platforms"]
    ROWS.append({"variant": variant, "outcome": result.report["outcome"], "outage_ms": probe["longest_gap_ms"],
                 "route": "{0} ({1}) -> {2} ({3})".format(source, versions[source]["qemu"], destination,
                                                          versions[destination]["qemu"]),
                 "downtime_ms": result.report["libvirt_downtime_ms"],
                 "wall_seconds": result.report.get("wall_seconds")})
    (lab.state / "mixed-platforms.json").write_text(json.dumps(ROWS, indent=2))


@pytest.mark.parametrize("variant", ["manual", "teaming"])
def test_migrate_between_libvirt_9_and_11_both_ways(mixed, variant, tmp_path):
    # a variant of its own: the lab is rebuilt; two hypervisors, one of each platform
    lab = lab_up(PREFIX, NFLAB_PLATFORM=PLATFORMS, NFLAB_VARIANT=variant, NFLAB_HYPERVISORS="2")
    versions = lab.facts["platforms"]
    assert versions["hv1"]["libvirt"].startswith("9.") and versions["hv1"]["qemu"].startswith("7.2")
    assert int(versions["hv2"]["libvirt"].split(".")[0]) >= 11 and int(versions["hv2"]["qemu"].split(".")[0]) >= 10
    assert lab.hypervisor_running(VM) == "hv1"
    migrate(lab, variant, "hv1", "hv2", tmp_path)  # the upgrade: onto the newer hypervisor
    migrate(lab, variant, "hv2", "hv1", tmp_path)  # and back, as a rollback of the upgrade would
