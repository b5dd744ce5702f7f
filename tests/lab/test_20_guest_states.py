# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guest_failover_info classifies the lab guest in every state the lab can produce.

The steps are the seed's dance done by hand with virsh (argv, over SSH), so that the module is judged
against the guest's real kernel and not against the collection's own step modules.
"""

import time
import xml.etree.ElementTree as ET

import pytest

GUEST = "vm1"
MAC = "52:54:00:6c:00:01"


def standby_tap(lab, hv):
    """The standby's tap, from the live XML: taps differ from start to start and host to host."""
    domain = ET.fromstring(lab.command(hv, "virsh", "dumpxml", GUEST)["stdout"])
    for interface in domain.findall("devices/interface"):
        if interface.find("alias").get("name") == "ua-standby0":
            return interface.find("target").get("dev")
    raise AssertionError("no standby interface in the live XML")


def set_standby_link(lab, hv, state):
    lab.command(hv, "virsh", "domif-setlink", GUEST, standby_tap(lab, hv), state)


def detach_primary(lab, hv):
    """Detach the VF and wait for DEVICE_REMOVED (its alias leaves the live XML): migrating while the guest's
    pciehp is still powering the slot off fails on the destination ("Bad config data" for the root port)."""
    lab.command(hv, "virsh", "detach-device-alias", GUEST, "ua-primary0", "--live")
    deadline = time.monotonic() + 30
    while "ua-primary0" in lab.command(hv, "virsh", "dumpxml", GUEST)["stdout"]:
        assert time.monotonic() < deadline, "the guest did not release the VF within 30 s"
        time.sleep(0.5)


def attach_primary(lab, hv):
    primary_xml = lab.inventory["all"]["children"]["guests"]["hosts"][GUEST]["nflab_primary_xml"]
    lab.command(hv, "virsh", "attach-device", GUEST, primary_xml, "--live")


def expect(lab, hv, *states, timeout=30):
    result = lab.failover(hv, GUEST, expect=list(states), timeout=timeout)
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.fixture(scope="module")
def dance(lab):
    """The guest starts steady on hv1 and is put back there, steady, at the end."""
    expect(lab, "hv1", "steady")
    yield lab
    where = "hv1" if GUEST in lab.command("hv1", "virsh", "list", "--name")["stdout"].split() else "hv2"
    if where == "hv2":  # the seed's dance back: the lab's hypervisors refuse to migrate the guest with its VF
        set_standby_link(lab, "hv2", "up")
        if "ua-primary0" in lab.command("hv2", "virsh", "dumpxml", GUEST)["stdout"]:
            detach_primary(lab, "hv2")
        expect(lab, "hv2", "standby_only_up")
        lab.command("hv2", "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST,
                    "qemu+tcp://198.51.100.11/system")
        attach_primary(lab, "hv1")
        expect(lab, "hv1", "armed", timeout=60)
        set_standby_link(lab, "hv1", "down")
    expect(lab, "hv1", "steady", "armed")


def test_steady(dance):
    assert expect(dance, "hv1", "steady")["failover"]["code"] == "G3"


def test_an_unmet_expectation_fails_with_a_diagnostic(dance):
    result = dance.failover("hv1", GUEST, expect=["armed"], timeout=1)
    assert result["failed"]
    assert "expected armed but the guest on vm1 is steady" in result["msg"]
    # it kept reading until the timeout (how many reads fit in 1 s depends on the machine's pace)
    assert result["reads"] >= 1 and result["elapsed_seconds"] >= 1


def test_armed_after_standby_link_up(dance):
    set_standby_link(dance, "hv1", "up")
    result = expect(dance, "hv1", "armed")
    assert result["failover"]["facts"]["standby"]["carrier"] is True


def forget_the_vf_path(lab, hv):
    """The seed's `bridge fdb del MAC dev PF master`: the bridge learned the guest's MAC on the PF while the VF carried its
    traffic, and would keep sending there (until the entry ages out, 300 s) unless the guest happens to transmit through
    the standby first; without the entry it floods, and the guest's first reply teaches it the standby's tap."""
    result = lab.ansible(hv, "netfailover.standby.fdb_entry", {"mac": MAC, "port": "pf0", "state": "absent"})
    assert not result.get("failed"), result.get("msg")


def test_standby_only_after_primary_detach(dance):
    detach_primary(dance, "hv1")
    result = expect(dance, "hv1", "standby_only_up")
    assert result["failover"]["primary"] is None
    forget_the_vf_path(dance, "hv1")
    assert dance.probe(GUEST, count=10)["received"] >= 10  # traffic runs on the standby


def test_standby_only_after_migration(dance):
    dance.command("hv1", "virsh", "migrate", "--live", "--persistent", "--undefinesource", "--p2p", GUEST,
                  "qemu+tcp://198.51.100.12/system")
    assert expect(dance, "hv2", "standby_only_up")["failover"]["master"]


def test_armed_after_reattach_on_the_destination(dance):
    attach_primary(dance, "hv2")
    result = expect(dance, "hv2", "armed")
    assert result["failover"]["facts"]["primary"]["driver"] == "vmxnet3"
    set_standby_link(dance, "hv2", "down")
    expect(dance, "hv2", "steady")


def test_outage_standby_down_without_primary_then_restore(dance):
    set_standby_link(dance, "hv2", "up")
    expect(dance, "hv2", "armed")
    detach_primary(dance, "hv2")
    expect(dance, "hv2", "standby_only_up")
    set_standby_link(dance, "hv2", "down")
    result = expect(dance, "hv2", "standby_only_down")
    assert result["failover"]["outage"] is True
    assert dance.probe(GUEST, count=5, duration=1.0)["received"] == 0  # really no path
    # restore: standby up first, then the primary, then the steady state
    set_standby_link(dance, "hv2", "up")
    expect(dance, "hv2", "standby_only_up")
    attach_primary(dance, "hv2")
    expect(dance, "hv2", "armed")
    set_standby_link(dance, "hv2", "down")
    expect(dance, "hv2", "steady")
    assert dance.probe(GUEST, count=10)["received"] >= 10
