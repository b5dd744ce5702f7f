# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one FDB steering policy: per step and variant, which port the entry goes to and whether it is pinned or unpinned."""

import pytest

from ansible_collections.netfailover.standby.plugins.module_utils.migration import dance, fdb_steering
from ansible_collections.netfailover.standby.plugins.module_utils.migration.fdb_steering import step_fdb_entry
from ansible_collections.netfailover.standby.plugins.module_utils.virt.connection import LibvirtCollectionError
from ansible_collections.netfailover.standby.tests.unit.plugins.fake_libvirt import MAC, FakeDomain, domain_xml


class FakeAnsible:
    def run_command(self, argv, **_kwargs):
        raise AssertionError("building an entry runs nothing: {0}".format(argv))

    def get_bin_path(self, name, required=False):
        return "/usr/sbin/" + name


def entry(**params):
    base = {"fdb_mac": MAC.upper(), "fdb_port": None, "fdb_pf": "pf0", "variant": "manual", "state": None}
    base.update(params)
    module = {"standby_link_up": "standby_link", "standby_link_down": "standby_link", "migrate": "live_migrate"}.get(base.get("step"), "primary_device")
    return step_fdb_entry(FakeAnsible(), FakeDomain(live=domain_xml(link="up")), base, module)


@pytest.mark.parametrize("step, variant, state, port, entry_state", [
    ("standby_link_up", "manual", "up", "pf0", "present"),
    ("primary_detach", "manual", "absent", "vnet0", "present"),  # the standby's tap, read from the live XML by MAC
    ("primary_attach", "manual", "present", "pf0", "present"),
    ("standby_link_down", "teaming", "down", "pf0", "absent"),
    ("migrate", "teaming", None, "vnet0", "present"),
    ("primary_replug", "teaming", "present", "pf0", "present"),
])
def test_each_step_moves_the_entry_where_the_policy_says(step, variant, state, port, entry_state):
    found = entry(step=step, variant=variant, state=state)
    assert (found.port, found.state, found.flavour, found.sticky) == (port, entry_state, "static", True)


def test_a_step_that_steers_nothing_gives_no_entry():
    assert entry(step="migrate", variant="manual") is None


def test_every_policy_entry_names_a_step_of_its_dance_and_is_described():
    for (variant, step), moves in fdb_steering.POLICY.items():
        dance.get_step(variant, step)
        assert moves and fdb_steering.describe(variant, step)


def test_a_port_of_your_own_is_used_as_given():
    found = entry(step=None, fdb_pf=None, fdb_port="br-uplink")
    assert (found.port, found.state) == ("br-uplink", "present")


@pytest.mark.parametrize("params, message", [
    ({"step": None}, "fdb_pf steers the entry by the dance: give step"),
    ({"step": None, "fdb_pf": None}, "fdb_mac needs fdb_pf"),
    ({"step": "primary_attach", "fdb_port": "pf0"}, "not both"),
])
def test_what_cannot_be_steered_is_refused(params, message):
    with pytest.raises(LibvirtCollectionError, match=message):
        entry(**params)
