# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter dance_plan: the migration dance for a VM's pairs, step by step, as check mode shows it (migration/dance.py)."""

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance
from ansible_collections.netfailover.standby.plugins.module_utils.migration.plan import plan


def dance_plan(pairs, variant, source, destination, keep_standby_up=False, fdb=False):
    if variant not in dance.DANCES:
        raise AnsibleFilterError("dance_plan: variant must be one of {0}, not {1!r}.".format(", ".join(sorted(dance.DANCES)), variant))
    return plan(variant, list(pairs or []), source, destination, keep_standby_up=bool(keep_standby_up), fdb=bool(fdb))


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"dance_plan": dance_plan}
