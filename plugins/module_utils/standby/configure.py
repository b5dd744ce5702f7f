# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The standby_pair module's flow: retrieve -> build desired -> compare -> define (not in check mode) -> report.

It edits the persistent definition only (what the next start uses). On a running domain it can change
the standby's link state live (``apply_live``); everything else waits for a restart, and the result says so.
It reads with VIR_DOMAIN_XML_SECURE, so a VNC/SPICE password stays in the definition it defines back, and masks
such secrets in everything it returns (secure_xml).
"""

from __future__ import annotations

import copy
import random

from ansible_collections.netfailover.standby.plugins.module_utils.virt import domain_xml as dx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import secure_xml as sx
from ansible_collections.netfailover.standby.plugins.module_utils.virt import domains as lv
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import (
    LibvirtCollectionError,
    get_domain,
    versions,
)
from ansible_collections.netfailover.standby.plugins.module_utils.standby.pair import (
    PairRefused,
    build_absent,
    build_present,
    pair_summary,
    validate_spec,
    version_problem,
    without_link_state,
)


def _check_hypervisor(connection, name):
    library, hypervisor = versions(connection)
    problem = version_problem(library, hypervisor, lv.hypervisor_type(connection))
    if problem:
        raise PairRefused("Domain {0} cannot get a STANDBY pair on this hypervisor: {1}.".format(name, problem))
    return {"libvirt": ".".join(map(str, library)), "hypervisor": ".".join(map(str, hypervisor))}


def _live_link(domain, name, live_root, spec, after_root, apply_live, check_mode):
    """Compare (and with apply_live, set) the running standby's link state. Returns (changed, message or None)."""
    live = dx.interface_with_alias(live_root, spec.standby_alias)
    wanted = dx.interface_with_alias(after_root, spec.standby_alias)
    if live is None or wanted is None:
        return False, None
    current, target = dx.link_state_of(live), dx.link_state_of(wanted)
    if current == target:
        return False, None
    if not apply_live:
        return False, ("The running standby {0} (tap {1}) has its link {2}; the definition says {3}: it applies at the next start, "
                       "or now with apply_live=true (or virsh domif-setlink {4} {1} {3}).".format(
                           spec.standby_alias, dx.target_dev_of(live), current, target, name))
    if not check_mode:
        device = copy.deepcopy(live)
        dx.set_child(device, "link", {"state": target})
        lv.update_live_device(domain, dx.to_string(device), name=name, alias=spec.standby_alias)
    return True, "The running standby {0} link was set {1}.".format(spec.standby_alias, target)


def configure(connection, name, spec, state="present", check_mode=False, diff_mode=False, apply_live=False, rng=None, warn=None):
    """Make domain ``name``'s definition carry (present) or lose (absent) the pair described by ``spec``.

    ``warn`` receives warnings (the module passes AnsibleModule.warn). The result, and the message and partial result
    of a failure, have the domain's secrets masked.
    """
    try:
        return sx.mask_secrets(_configure(connection, name, spec, state, check_mode, diff_mode, apply_live, rng, warn))
    except LibvirtCollectionError as error:
        raise sx.mask_error(error)


def _configure(connection, name, spec, state, check_mode, diff_mode, apply_live, rng, warn):
    validate_spec(spec, state)
    domain = get_domain(connection, name)
    result = {"name": name, "state": state}
    if state == "present":
        result["versions"] = _check_hypervisor(connection, name)
    before_text = lv.read_xml(domain, "persistent", name=name, secure=True)  # secure: it is defined back
    before = dx.parse(before_text, "definition of domain " + name)
    if state == "present":
        taken = lv.macs_elsewhere(lv.macs_by_domain(connection), name)
        desired, facts = build_present(before, spec, taken, rng or random.SystemRandom(), name)
    else:
        desired, facts = build_absent(before, spec)
    before_summary = pair_summary(before, spec.standby_alias, spec.primary_alias)
    desired_summary = pair_summary(desired, spec.standby_alias, spec.primary_alias)
    changed = before_summary != desired_summary
    after = desired if changed else before
    if changed:
        sx.check_secrets_kept(before, desired, name)  # also in check mode: it predicts the refusal
    if changed and not check_mode:
        lv.define(connection, dx.to_string(desired), validate=True, name=name)
        after = dx.parse(lv.read_xml(domain, "persistent", name=name, secure=True), "definition of domain " + name)
        if pair_summary(after, spec.standby_alias, spec.primary_alias) != desired_summary:
            (warn or (lambda _message: None))("libvirt stored the pair differently from what the module defined; compare "
                                              "before/after (a next run may change it again)")
    after_summary = pair_summary(after, spec.standby_alias, spec.primary_alias)
    result.update(facts)
    result.update({"changed": changed, "before": before_summary, "after": after_summary,
                   "active": lv.is_active(domain, name=name), "restart_required": False, "messages": []})
    if result["active"]:
        _report_live(domain, name, spec, after, result, apply_live, check_mode)
    if not result["messages"]:
        result["messages"].append("The definition of {0} {1}.".format(
            name, ("would change" if check_mode else "changed") if changed else "is already as asked"))
    if diff_mode:
        result["diff"] = {"before": dx.normalised(before_text), "after": dx.to_string(copy.deepcopy(after))}
    return result


def _report_live(domain, name, spec, after, result, apply_live, check_mode):
    # secure: the standby's live element goes back to libvirt (apply_live)
    live_root = dx.parse(lv.read_xml(domain, "live", name=name, secure=True), "live XML of domain " + name)
    live_summary = pair_summary(live_root, spec.standby_alias, spec.primary_alias)
    result["restart_required"] = without_link_state(live_summary) != without_link_state(result["after"])
    if result["restart_required"]:
        result["messages"].append(
            "Domain {0} runs with an older definition: the pair as defined applies at its next start (shut it down and start "
            "it again; a reboot inside the guest keeps the running devices).".format(name))
    link_changed, message = _live_link(domain, name, live_root, spec, after, apply_live, check_mode)
    if message:
        result["messages"].append(message)
    result["live_changed"] = link_changed
    result["changed"] = result["changed"] or link_changed
