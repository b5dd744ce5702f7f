# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The standby_link module's run: the standby's live link state, the bridge entry pinned while it is up, the guest check.

While the standby link is up and the VF is still enslaved, the guest drops frames that reach it through the standby;
the standby's link-up announcements would teach the host bridge exactly that path. So, with an FDB pin, the guest's
MAC is pinned to the PF's port (static, sticky) before the link goes up, and the pin is removed after the link went
down again, when the VF carries the traffic and the bridge may learn the MAC as usual.
"""

from __future__ import annotations

from ansible_collections.netfailover.standby.plugins.module_utils.guest import failover as guest_failover
from ansible_collections.netfailover.standby.plugins.module_utils.guest.reading import reading_for
from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.virt import devices as domain_devices


def set_standby_link(domain, params, check_mode, fdb_pin=None):
    """Set the link (``params``: state, alias, tap, verify_states, verify_timeout). ``fdb_pin``: a bridge_fdb.FdbEntry
    whose state is present for ``up`` and absent for ``down``, or None. Returns the module result. With ``step``
    (standby_link_up or standby_link_down) the dance says which states to verify."""
    expectation = dance.step_expectation(params, "standby_link")
    up = params["state"] == "up"
    if fdb_pin is not None:
        fdb_pin.port_bridge_or_fail(domain)  # a wrong port fails before anything changes; the guest's tap gives the VLAN
    fdb_result = fdb_pin.run(check_mode=check_mode) if fdb_pin is not None and up else None
    alias = None if params.get("tap") else params["alias"]
    result = domain_devices.set_link_state(domain, params["state"], alias=alias, tap=params.get("tap"), check_mode=check_mode)
    if fdb_pin is not None and not up:
        fdb_result = fdb_pin.run(check_mode=check_mode)
    result["fdb"] = fdb_result
    result["changed"] = result["changed"] or bool(fdb_result and fdb_result["changed"])
    # the guest is checked on this standby's failover pair only: another pair of a guest with several is in its own step
    return guest_failover.verify_after_change(domain, params, check_mode, result, expectation=expectation,
                                              what="setting the standby link {0}".format(params["state"]),
                                              macs=[result["mac"]] if result.get("mac") else None,
                                              reading_factory=lambda: reading_for(domain, params))
