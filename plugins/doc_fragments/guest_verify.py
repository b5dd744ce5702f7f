# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guest check a step module runs after its change: the verification of the dance, without a task of its own."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    DOCUMENTATION = r"""
options:
  verify_states:
    description:
      - After its change, the module reads the guest's failover state through the QEMU guest agent, as
        M(netfailover.standby.guest_failover_info) does, until it is one of these states, for at most O(verify_timeout)
        seconds. Otherwise the module fails with the state machine's diagnostic (what the guest shows and what to fix).
      - The same check as a separate M(netfailover.standby.guest_failover_info) task with O(netfailover.standby.guest_failover_info#module:expect),
        without the cost of one more task between two steps of a migration.
      - Empty (the default) skips the check. Not run in check mode, which changes nothing.
    type: list
    elements: str
    choices: [not_negotiated, standby_only_up, standby_only_down, steady, armed, primary_no_carrier, both_down,
              primary_not_enslaved, master_admin_down]
    default: []
  verify_timeout:
    description:
      - Seconds to wait for one of O(verify_states).
    type: float
    default: 30
"""
