# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dance_plan filter: the dance's one definition, filled in with the role's pairs, for check mode."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netfailover.standby.plugins.filter.dance_plan import FilterModule, dance_plan

PAIR = {"mac": "52:54:00:6c:00:01", "standby_alias": "ua-standby0", "primary_alias": "ua-primary0", "source_vf": "", "destination_vf": ""}


def test_the_filter_is_registered():
    assert FilterModule().filters()["dance_plan"] is dance_plan


@pytest.mark.parametrize("variant, fdb, steps", [
    ("manual", True, ["standby_link_up", "primary_detach", "migrate", "primary_attach", "standby_link_down"]),
    ("teaming", True, ["standby_link_up", "migrate", "primary_replug", "standby_link_down"]),
    ("teaming", False, ["standby_link_up", "migrate", "primary_replug", "standby_link_down"]),
])
def test_the_steps_of_each_variant(variant, fdb, steps):
    plan = dance_plan([PAIR], variant, "hv1", "hv2", fdb=fdb)
    assert [step["step"] for step in plan] == steps
    assert plan[-1]["host"] == "hv2" and plan[-1]["expect"] == ["steady"]


def test_an_unknown_variant_is_refused():
    with pytest.raises(AnsibleFilterError, match="variant must be one of manual, teaming"):
        dance_plan([PAIR], "auto", "hv1", "hv2")
