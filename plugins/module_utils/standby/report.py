# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Find the STANDBY pairs of any domain definition and say whether the domain can fail over (readiness report).

Every problem comes with its fix. Pure functions on ElementTree; the live XML (when the domain runs)
adds tap names, live link states and whether the primary is attached now.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.standby import pci_placement
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pair import (
    ALIAS_RE,
    is_transient_teaming,
    machine_problem,
    version_problem,
)

CONFIGURE_HINT = "netfailover.standby.standby_pair (state=present) does it"


def problem(code, text, fix):
    return {"code": code, "problem": text, "fix": fix}


def primary_kind(element):
    """hostdev, network (a hostdev VF pool), plain_hostdev (<hostdev> with teaming), emulated (test-only) or virtio."""
    if element.tag == "hostdev":
        return "plain_hostdev"
    if element.get("type") == "hostdev":
        return "hostdev"
    if element.get("type") == "network" and is_transient_teaming(element):
        return "network"
    return "virtio" if dx.model_of(element) == "virtio" else "emulated"


def qemu_override_pair_id(root, alias):
    """The failover_pair_id a <qemu:override> gives device ``alias`` (the lab's QEMU-driven emulated pairing)."""
    namespace = "{" + dx.QEMU_NAMESPACE + "}"
    for device in root.iter(namespace + "device"):
        if device.get("alias") == alias:
            for prop in device.iter(namespace + "property"):
                if prop.get("name") == "failover_pair_id":
                    return prop.get("value")
    return None


def find_pairs(root):
    """[(standby, [primaries])]: virtio interfaces with teaming or with a partner (by teaming reference or MAC)."""
    interfaces = dx.interfaces(root)
    candidates = interfaces + [h for h in root.findall("devices/hostdev") if dx.teaming_of(h)]
    pairs = []
    for standby in interfaces:
        if dx.model_of(standby) != "virtio" or standby.get("type") == "hostdev":
            continue
        alias, mac = dx.alias_of(standby), dx.mac_of(standby)
        primaries = [e for e in candidates if e is not standby and (
            (alias and is_transient_teaming(e) and dx.teaming_of(e).get("persistent") == alias) or (mac and dx.mac_of(e) == mac))]
        if dx.teaming_of(standby) is not None or primaries:
            pairs.append((standby, primaries))
    return pairs


def _live_interface(live_root, alias):
    if live_root is None or not alias:
        return None
    return next((e for e in dx.interfaces(live_root) + live_root.findall("devices/hostdev") if dx.alias_of(e) == alias), None)


def _standby_facts(standby, live_root):
    live = _live_interface(live_root, dx.alias_of(standby))
    return {"alias": dx.alias_of(standby), "mac": dx.mac_of(standby), "type": standby.get("type"), "source": dx.source_of(standby),
            "teaming": dx.teaming_of(standby), "link_state": dx.link_state_of(standby),
            "tap": dx.target_dev_of(live) if live is not None else None,
            "live_link_state": dx.link_state_of(live) if live is not None else None}


def _primary_facts(root, primary, live_root):
    address = dx.pci_address(primary)
    port = dx.pci_controllers(root).get(address["bus"]) if address else None
    live = _live_interface(live_root, dx.alias_of(primary))
    return {"kind": primary_kind(primary), "alias": dx.alias_of(primary), "mac": dx.mac_of(primary), "type": primary.get("type"),
            "source": dx.source_of(primary), "model": dx.model_of(primary), "teaming": dx.teaming_of(primary),
            "address": dx.format_pci(address),
            "root_port": {"index": int(port.get("index")), "model": port.get("model"),
                          "address": dx.format_pci(dx.pci_address(port))} if port is not None else None,
            "tap": dx.target_dev_of(live) if live is not None else None,
            "attached": (live is not None) if live_root is not None else None}


def _standby_problems(standby):
    found = []
    alias = dx.alias_of(standby)
    if dx.teaming_of(standby) is None:
        found.append(problem("missing_standby_teaming", "the virtio NIC {0} has no <teaming type='persistent'/>: QEMU does not offer "
                             "STANDBY (VIRTIO_NET_F_STANDBY) to the guest".format(alias or dx.mac_of(standby)),
                             "add <teaming type='persistent'/> to it; " + CONFIGURE_HINT))
    if not alias or not ALIAS_RE.match(alias):
        found.append(problem("standby_alias", "the standby {0} has no user alias (ua-...): the primary's teaming element refers to "
                             "the standby by alias".format(dx.mac_of(standby)),
                             "give it <alias name='ua-standby0'/>; " + CONFIGURE_HINT))
    return found


def _primary_problems(root, standby, primary, notes):
    found = []
    kind, alias, p_alias = primary_kind(primary), dx.alias_of(standby), dx.alias_of(primary) or dx.describe_element(primary)
    teaming = dx.teaming_of(primary) or {}
    if kind == "virtio":
        found.append(problem("virtio_primary", "{0} shares the standby's MAC but is virtio-net: the guest's net_failover does not "
                             "enslave it as primary".format(p_alias), "remove it, or give it a MAC of its own"))
        return found
    if kind in ("hostdev", "network", "plain_hostdev") and teaming.get("type") != "transient":
        found.append(problem("missing_primary_teaming", "the {0} primary {1} has no <teaming type='transient' persistent='{2}'/>: "
                             "QEMU will not unplug it at migration".format(kind, p_alias, alias), "add it; " + CONFIGURE_HINT))
    elif teaming.get("type") == "transient" and teaming.get("persistent") != alias:
        found.append(problem("teaming_mismatch", "the primary {0} is teamed with {1!r}, the standby is {2!r}".format(
            p_alias, teaming.get("persistent"), alias), "make persistent= name the standby's alias; " + CONFIGURE_HINT))
    if kind == "plain_hostdev":
        notes.append("the primary {0} is a plain <hostdev>: libvirt does not set the VF's MAC; set {1} on the PF first "
                     "(ip link set PF vf N mac {1})".format(p_alias, dx.mac_of(standby)))
    elif dx.mac_of(primary) != dx.mac_of(standby):
        found.append(problem("mac_mismatch", "the primary {0} has MAC {1}, the standby {2} has {3}: the guest pairs the two by MAC "
                             "and libvirt does not check it".format(p_alias, dx.mac_of(primary), alias, dx.mac_of(standby)),
                             "give both the same MAC; " + CONFIGURE_HINT))
    placement = pci_placement.placement_problem(root, primary)
    if placement:
        found.append(problem("primary_placement", "the primary {0}: {1}".format(p_alias, placement),
                             "put it alone on a pcie-root-port in a slot of its own; " + CONFIGURE_HINT))
    if kind == "emulated":
        paired = qemu_override_pair_id(root, dx.alias_of(primary))
        notes.append("the primary {0} is an emulated {1} NIC (test-only, for labs without SR-IOV): {2}".format(
            p_alias, dx.model_of(primary) or "default-model",
            "QEMU pairs it through <qemu:override> failover_pair_id={0} (taints the domain)".format(paired) if paired else
            "QEMU does not know the pair, so it does not unplug it at migration; unplug it by alias first"))
    return found


def describe_pair(root, standby, primaries, live_root=None):
    notes, found = [], _standby_problems(standby)
    primary = primaries[0] if primaries else None
    if primary is None:
        found.append(problem("no_primary", "the standby {0} has no primary in the definition: the guest runs on virtio only".format(
            dx.alias_of(standby) or dx.mac_of(standby)), "add the VF (or VF pool) primary; " + CONFIGURE_HINT))
    if len(primaries) > 1:
        found.append(problem("several_primaries", "several devices claim to be the primary of {0}: {1}".format(
            dx.alias_of(standby), ", ".join(dx.describe_element(p) for p in primaries)), "keep one and remove the others"))
    for candidate in primaries:
        found.extend(_primary_problems(root, standby, candidate, notes))
    if dx.link_state_of(standby) == "up":
        notes.append("the standby's link is up in the definition: fine (net_failover prefers the primary, the armed state); "
                     "the steady state of the seed keeps it down")
    pair = {"mac": dx.mac_of(standby), "standby": _standby_facts(standby, live_root),
            "primary": _primary_facts(root, primary, live_root) if primary is not None else None,
            "macs_match": None if primary is None or primary.tag == "hostdev" else dx.mac_of(primary) == dx.mac_of(standby),
            "problems": found, "notes": notes}
    if live_root is not None:
        if primary is not None and not pair["primary"]["attached"]:
            notes.append("the primary {0} is not attached to the running domain (detached, or added to the definition after "
                         "the start: it comes at the next start)".format(dx.alias_of(primary)))
        if pair["standby"]["tap"] is None:
            notes.append("the running domain has no standby {0} (added to the definition after the start: it comes at the next "
                         "start)".format(dx.alias_of(standby)))
        elif pair["standby"]["live_link_state"] != pair["standby"]["link_state"]:
            notes.append("the running standby's link is {0}, the definition says {1}".format(
                pair["standby"]["live_link_state"], pair["standby"]["link_state"]))
    return pair


def _orphan_primaries(root, pairs):
    paired = {id(p) for _s, primaries in pairs for p in primaries}
    return [e for e in dx.interfaces(root) + root.findall("devices/hostdev") if is_transient_teaming(e) and id(e) not in paired]


def report_domain(name, root, live_root=None, version_info=None, taken_elsewhere=None):
    """The readiness report of one domain: pairs, problems (each with its fix), notes, ready."""
    pairs = find_pairs(root)
    described = [describe_pair(root, standby, primaries, live_root) for standby, primaries in pairs]
    found = []
    machine = machine_problem(root)
    if machine:
        text, _sep, fix = machine.partition(". Fix: ")
        found.append(problem("machine_type", text, fix))
    if not dx.has_acpi(root):
        found.append(problem("no_acpi", "ACPI is off: a hot-unplug of the primary then drops every PCIe root port of the guest, "
                             "the standby's included", "add <features><acpi/></features>; " + CONFIGURE_HINT))
    if version_info:
        versions = version_problem(*version_info)
        if versions:
            text, _sep, fix = versions.partition(". Fix: ")
            found.append(problem("versions", text, fix))
    for orphan in _orphan_primaries(root, pairs):
        found.append(problem("orphan_primary", "{0} is teamed with {1!r}, which is no virtio NIC of this domain".format(
            dx.describe_element(orphan), (dx.teaming_of(orphan) or {}).get("persistent")),
            "give the standby that alias, or fix persistent=; " + CONFIGURE_HINT))
    for mac in sorted({pair["mac"] for pair in described if pair["mac"]}):
        if taken_elsewhere and mac in taken_elsewhere:
            found.append(problem("mac_in_use", "the pair's MAC {0} is also used by domain(s) {1} on this hypervisor".format(
                mac, ", ".join(sorted(taken_elsewhere[mac]))), "give the pair a MAC of its own; " + CONFIGURE_HINT))
    if not described:
        found.append(problem("no_pair", "the domain has no STANDBY pair", "configure one; " + CONFIGURE_HINT))
    problems = found + [p for pair in described for p in pair["problems"]]
    return {"name": name, "machine": dx.machine_type(root), "acpi": dx.has_acpi(root), "active": live_root is not None,
            "pairs": described, "problems": problems, "notes": [n for pair in described for n in pair["notes"]],
            "ready": not problems}
