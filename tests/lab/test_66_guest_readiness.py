# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest readiness audit (issue 16) against real misconfigured guests: each misconfiguration the lab guest's init
makes by kernel parameter (lab/guest/init: an address on the standby, busybox udhcpc on the VF, a standby MTU,
udev-style names, an agent that blocks guest-exec) is found by guest_readiness_info with its fix; migrate.yml refuses
a guest with a refuse finding before anything changes and migrates it with that finding set to warn; the udev-named
guest migrates hv1 -> hv2 and back with the warning names_unstable_after_replug in both reports.

The lab guest has no udev: its init renames the netdevs once at boot as systemd 250-253's udev would, and leaves a VF
plugged later with its kernel name, as that udev does. What the audit reads of udev itself - ``udevadm --version`` and
udev's database entry for the VF (``/run/udev/data/n<ifindex>``, ID_NET_NAME_SLOT) - the guest's init writes as systemd
252's udev would have them (a VF's entry within a second of its arrival); this test writes them again through guest-exec
before each audit (udev_252 below), so that the audit never races the init's loop.

vm1 is defined again on hv1 with the kernel parameter of each case, and at the end booted again from its original
definition, steady, so that the next test file finds the lab as lab-up left it.
"""

import time

import pytest

GUEST = "vm1"
MAC = "52:54:00:6c:00:01"
BOOT_TIMEOUT = 600  # a TCG boot on a busy 2-core machine, to the agent listing the pair's three netdevs
AUDIT_TIMEOUT = 180  # until a misconfiguration made after boot (udhcpc on the VF, started within seconds) shows
AGENT_TIMEOUT = 120
MIGRATE = {"vm": GUEST, "migrate_pf": "pf0"}
SLAVE_IP = "198.51.100.7/24"  # another subnet: the guest stays reachable on its master's address
BLOCKED = "guest-exec,guest-exec-status"
BOOTED = {"parameter": None}  # the kernel parameter vm1 was last booted with (None: as lab-up left it)

# case -> (kernel parameter, finding id, severity, the pair's role of the netdev it names, words of the fix and snippet)
CASES = {
    "an address on the standby": ("nflab.slave_ip=" + SLAVE_IP, "address_on_slave", "refuse", "standby",
                                  ["remove the address from {netdev} and put it on {master}", "ip addr del " + SLAVE_IP + " dev {netdev}"]),
    "udhcpc on the VF": ("nflab.udhcpc_vf=1", "dhcp_client_on_slave", "refuse", "primary",
                         ["run the DHCP client on the failover master {master} only (e.g. udhcpc -i {master})"]),
    "a standby MTU": ("nflab.mtu_standby=1400", "mtu_mismatch", "refuse", "standby",
                      ["set the MTU on the failover master only", "ip link set dev {master} mtu "]),
    "udev-style names": ("nflab.names=udev", "names_unstable_after_replug", "warn", "primary",
                         ["name only the failover master ens10 (its name is stable)"]),
}


def guest_sh(lab, hv, script):
    """Run ``script`` with the guest's /bin/sh through guest-exec and wait (bounded) for it to succeed."""
    pid = lab.agent(hv, GUEST, "guest-exec", {"path": "/bin/sh", "arg": ["-c", script], "capture-output": True})["pid"]
    deadline = time.monotonic() + AGENT_TIMEOUT
    while True:
        status = lab.agent(hv, GUEST, "guest-exec-status", {"pid": pid})
        if status.get("exited"):
            assert status.get("exitcode") == 0, status
            return
        assert time.monotonic() < deadline, "the guest did not finish {0!r}".format(script)
        time.sleep(1)


# udevadm of systemd 252, and udev's entry for every VF of the pair (a slave that is not the standby): the name it
# wants (ID_NET_NAME_SLOT) whatever name the VF has now. Idempotent: run again after each migration (a new VF).
UDEV_252 = r"""
mkdir -p /sbin /run/udev/data
printf '#!/bin/sh\necho 252\n' > /sbin/udevadm && chmod 755 /sbin/udevadm
for d in /sys/class/net/*; do
  [ "$(cat "$d/address")" = "{mac}" ] && [ -e "$d/master" ] || continue
  [ "$(cat "$d/phys_port_name" 2>/dev/null)" = sby ] && continue
  printf 'E:INTERFACE=%s\nE:ID_NET_NAME_SLOT=ens11\n' "${{d##*/}}" > "/run/udev/data/n$(cat "$d/ifindex")"
done
""".format(mac=MAC)


def udev_252(lab, hv):
    guest_sh(lab, hv, UDEV_252)


def boot(lab, definition, parameter=None):
    """vm1 from ``definition`` (with the kernel ``parameter``) on hv1, wherever it ran; waits (bounded) until its agent
    lists the pair's three netdevs."""
    xml = definition.replace("</cmdline>", " {0}</cmdline>".format(parameter), 1) if parameter else definition
    BOOTED.clear()
    lab.start_afresh("hv1", GUEST, xml, MAC, BOOT_TIMEOUT)
    BOOTED["parameter"] = parameter


def booted_with(lab, definition, parameter):
    """vm1 on hv1 booted with ``parameter``: booted again only when it was not (or it runs elsewhere now)."""
    if BOOTED.get("parameter", "unknown") != parameter or lab.hypervisor_running(GUEST) != "hv1":
        boot(lab, definition, parameter)
    if "ga_block" not in (parameter or ""):
        assert lab.failover("hv1", GUEST, expect=["steady"], timeout=BOOT_TIMEOUT).get("state") == "steady"


def audit(lab, hv, **options):
    result = lab.ansible(hv, "netfailover.standby.guest_readiness_info", dict(name=GUEST, **options))
    assert not result.get("failed") and result["changed"] is False, result
    return result


def audit_until(lab, hv, finding_id):
    """The audit once it shows ``finding_id`` (a misconfiguration made just after boot), within AUDIT_TIMEOUT."""
    deadline = time.monotonic() + AUDIT_TIMEOUT
    while True:
        result = audit(lab, hv)
        if any(f["id"] == finding_id for f in result["findings"]) or time.monotonic() >= deadline:
            return result
        time.sleep(3)


def pair_names(lab, hv):
    failover = lab.failover(hv, GUEST)["failover"]
    return {"master": failover["master"], "standby": failover["standby"], "primary": failover["primary"]}


@pytest.fixture(scope="module")
def original(lab):
    assert lab.hypervisor_running(GUEST) == "hv1", "the lab promises vm1 on hv1"
    xml = lab.persistent_xml("hv1", GUEST)
    assert "<cmdline>" in xml
    yield xml
    boot(lab, xml)
    assert lab.failover("hv1", GUEST, expect=["steady"], timeout=BOOT_TIMEOUT).get("state") == "steady"


def test_the_lab_guest_as_it_is_has_no_finding(lab, original):
    booted_with(lab, original, None)
    result = audit(lab, "hv1")
    assert result["level"] == "full" and result["findings"] == [] and result["refuse"] is False, result
    assert result["guest"]["net_failover"] in ("loaded", "builtin"), result["guest"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_misconfiguration_is_found_with_its_fix(lab, original, case):
    parameter, finding_id, severity, role, words = CASES[case]
    booted_with(lab, original, parameter)
    if finding_id == "names_unstable_after_replug":
        udev_252(lab, "hv1")
    names = pair_names(lab, "hv1")
    if parameter == "nflab.names=udev":
        assert names == {"master": "ens10", "standby": "ens10nsby", "primary": "ens11"}, names
    result = audit_until(lab, "hv1", finding_id)
    found = [f for f in result["findings"] if f["id"] == finding_id]
    assert len(found) == 1, result["findings"]
    finding = found[0]
    assert finding["severity"] == severity and finding["netdev"] == names[role] and finding["mac"] == MAC, finding
    text = finding["fix"] + "\n" + finding["snippet"]
    for word in words:
        assert word.format(netdev=finding["netdev"], **names) in text, finding
    assert result["refuse"] is (severity == "refuse")
    # the finding is the guest's only kind of problem (udhcpc may also have put a lease on the VF)
    others = {f["id"] for f in result["findings"]} - {finding_id}
    assert others <= ({"address_on_slave"} if finding_id == "dhcp_client_on_slave" else set()), result["findings"]
    assert finding_id in result["message"] and "Fix: " in result["message"]


def test_a_hardened_agent_is_audited_at_the_interfaces_level(lab, original):
    booted_with(lab, original, "nflab.ga_block=" + BLOCKED)
    result = audit(lab, "hv1")
    assert result["level"] == "interfaces" and result["findings"] == [], result
    unchecked = {u["check"] for u in result["unchecked"]}
    assert "address_on_slave" not in unchecked and {"dhcp_client_on_slave", "mtu_mismatch", "names_unstable_after_replug"} <= unchecked
    assert all("guest-exec" in u["why"] for u in result["unchecked"])
    assert result["pairs"][0]["mac"] == MAC and len(result["pairs"][0]["netdevs"]) == 3


def test_migrate_refuses_a_guest_with_a_refuse_finding_and_changes_nothing(lab, original, tmp_path):
    booted_with(lab, original, "nflab.slave_ip=" + SLAVE_IP)
    standby = pair_names(lab, "hv1")["standby"]
    before = lab.connect("hv1").lookupByName(GUEST).XMLDesc(0)
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv1", destination="hv2"), tmp_path)
    assert run.rc != 0 and run.report["outcome"] == "refused", run.output[-4000:]
    message = run.report["message"]
    assert "the readiness audit of its guest (full level) found what breaks failover" in message, message
    assert "[refuse] address_on_slave on {0}: ".format(standby) in message and "Fix: remove the address from " + standby in message
    assert "migrate_audit_severities: {address_on_slave: warn}" in message and "Nothing was changed." in message
    assert [(f["id"], f["netdev"], f["severity"]) for f in run.report["audit"]["findings"]] == [("address_on_slave", standby, "refuse")]
    assert run.report["audit"]["level"] == "full"
    # nothing changed: vm1 runs on hv1 with the same definition, steady, and its lock is gone
    assert lab.hypervisor_running(GUEST) == "hv1" and lab.connect("hv1").lookupByName(GUEST).XMLDesc(0) == before
    assert lab.failover("hv1", GUEST, expect=["steady"], timeout=60).get("state") == "steady"
    lock = lab.ansible("hv1", "ansible.builtin.stat", {"path": "/run/netfailover.standby/locks/" + GUEST})
    assert lock["stat"]["exists"] is False, lock


def test_migrate_proceeds_when_that_finding_is_a_warning(lab, original, tmp_path):
    booted_with(lab, original, "nflab.slave_ip=" + SLAVE_IP)
    standby = pair_names(lab, "hv1")["standby"]
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv1", destination="hv2",
                                           migrate_audit_severities={"address_on_slave": "warn"}), tmp_path)
    assert run.rc == 0 and run.report["outcome"] == "migrated", run.output[-4000:]
    assert [(f["id"], f["netdev"], f["severity"]) for f in run.report["audit"]["findings"]] == [("address_on_slave", standby, "warn")]
    assert "[warn] address_on_slave on {0}: ".format(standby) in " ".join(run.output.split())  # the module's warning
    assert lab.hypervisor_running(GUEST) == "hv2"


def test_the_udev_named_guest_migrates_both_ways_with_the_names_warning(lab, original, tmp_path):
    booted_with(lab, original, "nflab.names=udev")
    udev_252(lab, "hv1")
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv1", destination="hv2"), tmp_path / "there")
    assert run.rc == 0 and run.report["outcome"] == "migrated", run.output[-4000:]
    names = [(f["id"], f["netdev"], f["severity"]) for f in run.report["audit"]["findings"]]
    assert names == [("names_unstable_after_replug", "ens11", "warn")], run.report["audit"]
    assert lab.hypervisor_running(GUEST) == "hv2"
    # on hv2 the VF came back with its kernel name: udev did not rename it (the master and the standby kept theirs)
    after = pair_names(lab, "hv2")
    assert after["master"] == "ens10" and after["standby"] == "ens10nsby" and after["primary"].startswith("eth"), after
    udev_252(lab, "hv2")  # udev's entry for the new VF: it wants ens11
    run = lab.playbook("migrate.yml", dict(MIGRATE, source="hv2", destination="hv1"), tmp_path / "back")
    assert run.rc == 0 and run.report["outcome"] == "migrated", run.output[-4000:]
    findings = run.report["audit"]["findings"]
    assert [(f["id"], f["netdev"], f["severity"]) for f in findings] == [("names_unstable_after_replug", after["primary"], "warn")]
    assert "kept its kernel name although udev wants ens11" in findings[0]["what"], findings
    assert lab.hypervisor_running(GUEST) == "hv1"
    assert lab.failover("hv1", GUEST, expect=["steady"], timeout=120).get("state") == "steady"
