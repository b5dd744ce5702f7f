# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The standby_pair module against libvirt's test driver (updateDeviceFlags, which it lacks, is faked)."""

import json
import re

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.virt import connection as libvirt_connection
from ansible_collections.netfailover.standby.plugins.module_utils.standby import configure as standby_configure
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains as standby_libvirt
from ansible_collections.netfailover.standby.plugins.modules import standby_pair
from ansible_collections.netfailover.standby.tests.unit.plugins import standby_samples as s
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import libvirt

URI = "test:///default"
EMULATED = {"type": "emulated", "source_bridge": "esw0"}


@pytest.fixture
def connection():
    """test:///default keeps the domains defined here while this connection stays open."""
    conn = libvirt.open(URI)
    yield conn
    for domain in conn.listAllDomains(0):  # the driver outlives the test while any libvirt object is alive
        if domain.name() != "test":
            if domain.isActive():
                domain.destroy()
            domain.undefine()
    conn.close()


def define(connection, name, text):
    return connection.defineXML(text.replace("<name>vm</name>", "<name>{0}</name>".format(name)))


def definition(connection, name):
    return connection.lookupByName(name).XMLDesc(standby_libvirt.XML_INACTIVE)


def args(name, **options):
    base = {"uri": URI, "name": name, "standby": {"source": "br0"}, "primary": EMULATED}
    base.update(options)
    return base


def test_present_then_idempotent_then_absent(run_module, connection):
    define(connection, "vm1", s.domain(acpi=False))
    first = run_module(standby_pair.main, args("vm1"))
    assert not first.failed and first.result["changed"], first.result
    assert first.result["mac_source"] == "generated" and first.result["acpi_added"]
    assert first.result["after"]["primary"]["mac"] == first.result["mac"]
    stored = definition(connection, "vm1")
    assert "<teaming type='persistent'/>" in stored and "ua-primary0-port" in stored

    second = run_module(standby_pair.main, args("vm1"))
    assert not second.result["changed"] and second.result["mac"] == first.result["mac"] and second.result["mac_source"] == "kept"
    assert definition(connection, "vm1") == stored

    gone = run_module(standby_pair.main, {"uri": URI, "name": "vm1", "state": "absent"})
    assert gone.result["changed"] and gone.result["removed_primaries"] == ["ua-primary0"]
    assert gone.result["after"]["primary"] is None and gone.result["after"]["standby"]["teaming"] is None
    assert run_module(standby_pair.main, {"uri": URI, "name": "vm1", "state": "absent"}).result["changed"] is False


@pytest.mark.parametrize("check_mode, diff_mode", [(True, True), (True, False), (False, True)])
def test_check_and_diff_modes(run_module, connection, check_mode, diff_mode):
    define(connection, "vm2", s.domain(s.standby()))
    before = definition(connection, "vm2")
    outcome = run_module(standby_pair.main, dict(args("vm2", primary={"type": "hostdev", "pci_address": "0000:42:02.5"}),
                                                 _ansible_check_mode=check_mode, _ansible_diff=diff_mode))
    assert outcome.result["changed"] and outcome.result["after"]["primary"]["type"] == "hostdev"
    assert (definition(connection, "vm2") == before) is check_mode
    assert ("diff" in outcome.result) is diff_mode
    if diff_mode:
        assert "<teaming type=\"transient\" persistent=\"ua-standby0\" />" in outcome.result["diff"]["after"]
        assert "transient" not in outcome.result["diff"]["before"]
    if check_mode:
        assert outcome.result["messages"] == ["The definition of vm2 would change."]


@pytest.mark.parametrize("text, options, message", [
    (s.domain(machine="pc-i440fx-7.2"), {}, "i440fx"),
    (s.domain(s.standby(model="e1000e")), {}, "is not virtio-net"),
    (s.domain("<serial type='pty'><alias name='ua-primary0'/></serial>"), {}, "Alias ua-primary0 is already used"),
    (s.domain(), {"primary": dict(EMULATED, slot=1)}, "would share a"),
    (s.domain(), {"mac": "aa:bb:cc:dd:ee:ff"}, "is already used by domain.s. test on this hypervisor"),
    (s.domain(), {"standby": {"alias": "nic0", "source": "br0"}}, "is not a libvirt user alias"),
])
def test_refusals_change_nothing(run_module, connection, text, options, message):
    define(connection, "vm3", text)
    before = definition(connection, "vm3")
    outcome = run_module(standby_pair.main, args("vm3", **options))
    assert outcome.failed and re.search(message, outcome.result["msg"]), outcome.result
    assert outcome.result["msg"].endswith("Nothing was changed.")
    assert definition(connection, "vm3") == before


@pytest.mark.parametrize("library, hypervisor, message", [
    (6000000, 7002000, "libvirt 6.0.0 is older than 6.1.0"),
    (9000000, 4001000, "QEMU 4.1.0 is older than 4.2.0"),
])
def test_old_versions_are_refused(run_module, connection, monkeypatch, library, hypervisor, message):
    define(connection, "vm4", s.domain())
    monkeypatch.setattr(standby_configure, "versions", lambda _conn: (
        (library // 1000000, library // 1000 % 1000, 0), (hypervisor // 1000000, hypervisor // 1000 % 1000, 0)))
    monkeypatch.setattr(standby_libvirt, "hypervisor_type", lambda _conn: "QEMU")
    outcome = run_module(standby_pair.main, args("vm4"))
    assert outcome.failed and message in outcome.result["msg"]


@pytest.mark.parametrize("options, missing", [
    ({"primary": {"type": "hostdev"}}, "pci_address"),
    ({"primary": {"type": "network"}}, "network"),
    ({"primary": {"type": "emulated"}}, "source_bridge"),
    ({"primary": None}, "primary"),
])
def test_required_options(run_module, connection, options, missing):
    define(connection, "vm5", s.domain())
    outcome = run_module(standby_pair.main, args("vm5", **{k: v for k, v in options.items() if v is not None}) if options["primary"]
                         else {"uri": URI, "name": "vm5"})
    assert outcome.failed and missing in outcome.result["msg"]


def test_unknown_domain(run_module, connection):
    outcome = run_module(standby_pair.main, args("nope"))
    assert outcome.failed and "Domain 'nope' not found" in outcome.result["msg"]


@pytest.fixture
def running(connection, monkeypatch):
    """A running domain whose definition has the pair with the standby link down; live updates recorded, not sent."""
    define(connection, "vm6", s.paired()).create()
    calls = []
    monkeypatch.setattr(standby_configure.lv, "update_live_device", lambda _d, xml, name=None, alias=None: calls.append(xml))
    return calls


def test_running_domain_needs_a_restart_for_a_new_primary(run_module, running):
    outcome = run_module(standby_pair.main, args("vm6", primary={"type": "hostdev", "pci_address": "0000:42:02.5"}))
    assert outcome.result["changed"] and outcome.result["active"] and outcome.result["restart_required"]
    assert any("applies at its next start" in m for m in outcome.result["messages"])
    again = run_module(standby_pair.main, args("vm6", primary={"type": "hostdev", "pci_address": "0000:42:02.5"}))
    assert not again.result["changed"] and again.result["restart_required"]  # still lagging until restarted
    assert running == []


@pytest.mark.parametrize("apply_live, check_mode, changed, sent", [
    (False, False, True, False),
    (True, True, True, False),
    (True, False, True, True),
])
def test_link_state_of_a_running_domain(run_module, running, apply_live, check_mode, changed, sent):
    outcome = run_module(standby_pair.main, dict(args("vm6", standby={"source": "br0", "link_state": "up"}, apply_live=apply_live),
                                                 _ansible_check_mode=check_mode))
    assert outcome.result["changed"] is changed and not outcome.result["restart_required"]
    assert outcome.result["live_changed"] is apply_live
    assert bool(running) is sent
    if sent:
        assert "<link state=\"up\" />" in running[0] and "testnet" in running[0]  # the live device, tap and address included
    if not apply_live:
        assert any("apply_live=true" in m and "virsh domif-setlink vm6" in m for m in outcome.result["messages"])


# --- secrets: read with VIR_DOMAIN_XML_SECURE, defined back, masked in what the module returns ---------------------------

VNC = "<graphics type='vnc' port='-1' autoport='yes' passwd='s3cret'/>"
COOKIE_DISK = ("<disk type='network' device='cdrom'><source protocol='https' name='/x.iso'><host name='h.example'/>"
               "<cookies><cookie name='session'>c00kie</cookie></cookies></source><target dev='sdb' bus='sata'/><readonly/></disk>")
SECRETS = ("s3cret", "c00kie")


def secure_definition(connection, name):
    return connection.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE)


def shown(outcome):
    """Everything the module returned, as one text (what a log or a registered variable would show)."""
    return json.dumps(outcome.result)


@pytest.mark.parametrize("text, options, check_mode", [
    (s.domain(s.standby() + VNC + COOKIE_DISK), {}, False),
    (s.domain(s.standby() + VNC + COOKIE_DISK), {}, True),
    (s.paired(VNC + COOKIE_DISK + s.emulated(bus=8)), {"state": "absent", "primary": None}, False),
])
def test_secrets_stay_in_the_definition_and_out_of_the_result(run_module, connection, text, options, check_mode):
    define(connection, "vm7", text)
    outcome = run_module(standby_pair.main, dict(args("vm7", **options), _ansible_check_mode=check_mode, _ansible_diff=True))
    assert not outcome.failed and outcome.result["changed"], outcome.result
    stored = secure_definition(connection, "vm7")
    assert "passwd='s3cret'" in stored and ">c00kie</cookie>" in stored
    assert ("ua-primary0" in stored) is (options.get("state") != "absent" and not check_mode)
    assert not any(secret in shown(outcome) for secret in SECRETS), outcome.result
    for side in ("before", "after"):
        assert 'passwd="********"' in outcome.result["diff"][side] and ">********</cookie>" in outcome.result["diff"][side]
    again = run_module(standby_pair.main, dict(args("vm7", **options), _ansible_diff=True))
    assert "passwd='s3cret'" in secure_definition(connection, "vm7") and not any(secret in shown(again) for secret in SECRETS)


def test_the_module_reads_on_a_read_write_connection(run_module, connection, monkeypatch):
    """libvirt refuses VIR_DOMAIN_XML_SECURE on a read-only connection."""
    define(connection, "vm11", s.domain(s.standby() + VNC))
    opened = []
    real = libvirt_connection.open_connection
    monkeypatch.setattr(libvirt_connection, "open_connection", lambda uri, read_only: (
        opened.append(read_only), real(uri=uri, read_only=read_only))[1])
    assert not run_module(standby_pair.main, args("vm11")).failed
    assert opened == [False]


def test_every_read_of_a_running_domain_is_secure(run_module, connection, monkeypatch):
    define(connection, "vm8", s.paired(VNC + s.emulated(bus=8))).create()
    reads, sent = [], []
    real = standby_configure.lv.read_xml
    monkeypatch.setattr(standby_configure.lv, "read_xml", lambda domain, which="persistent", name=None, secure=False: (
        reads.append((which, secure)), real(domain, which, name=name, secure=secure))[1])
    monkeypatch.setattr(standby_configure.lv, "update_live_device", lambda _d, xml, name=None, alias=None: sent.append(xml))
    outcome = run_module(standby_pair.main, args("vm8", standby={"source": "br0", "link_state": "up"}, apply_live=True))
    assert outcome.result["changed"] and outcome.result["live_changed"] and len(sent) == 1, outcome.result
    assert ("persistent", True) in reads and ("live", True) in reads and all(secure for _which, secure in reads)
    assert "passwd='s3cret'" in secure_definition(connection, "vm8") and "s3cret" not in shown(outcome)


def test_a_failure_message_is_masked(run_module, connection, monkeypatch):
    define(connection, "vm9", s.domain(s.standby() + VNC))

    def refuse(_connection, xml, validate=True, name=None):
        raise standby_configure.LibvirtCollectionError("Could not define domain {0}: XML error near {1}".format(
            name, xml[xml.index("<graphics"):xml.index("</graphics>")]), result={"xml": xml})

    monkeypatch.setattr(standby_configure.lv, "define", refuse)
    outcome = run_module(standby_pair.main, args("vm9"))
    assert outcome.failed and 'passwd="********"' in outcome.result["msg"], outcome.result
    assert "s3cret" not in shown(outcome)


def test_a_definition_that_would_lose_a_secret_is_refused(run_module, connection, monkeypatch):
    """A bug that masked (or dropped) the password in the desired definition: the module refuses, defines nothing."""
    define(connection, "vm10", s.domain(s.standby() + VNC))
    before = secure_definition(connection, "vm10")
    real = standby_configure.build_present

    def masking_build(root, *rest):
        desired, facts = real(root, *rest)
        desired.find("devices/graphics").set("passwd", "********")
        return desired, facts

    monkeypatch.setattr(standby_configure, "build_present", masking_build)
    outcome = run_module(standby_pair.main, args("vm10"))
    assert outcome.failed and "would change or drop the passwd of graphics vnc" in outcome.result["msg"], outcome.result
    assert outcome.result["msg"].endswith("Nothing was changed.")
    assert secure_definition(connection, "vm10") == before
