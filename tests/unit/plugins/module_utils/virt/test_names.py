# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""names.name_problem: libvirt's rules for a domain name, and the filter domain_name_problem that the playbooks and
the migrate role check names with."""

import pytest

from ansible_collections.netfailover.standby.plugins.filter.domain_name import FilterModule
from ansible_collections.netfailover.standby.plugins.module_utils.virt.names import name_problem

ACCEPTED = ["vm1", "db:1", "hv2", "web 1", " leading space", "ünïcødé", "名前", "[fe80::1]:22", "a,b", "x=y", "tab\there",
            ".", "..", "-dash", "vf-0000:3b:02.1", "{{ not a template }}", "a" * 250, "emoji \U0001F600"]


@pytest.mark.parametrize("name", ACCEPTED)
def test_libvirt_accepts(name):
    assert name_problem(name) == ""


@pytest.mark.parametrize("name, reason", [
    ("", "it is empty"),
    ("a/b", "it contains '/'"),
    ("/", "it contains '/'"),
    ("a\nb", "it contains a line break"),
    ("a\rb", "it contains a line break"),
    ("a\x00b", "it contains U+0000"),
    ("a\x1bb\x7f", "it contains U+001B"),
    ("a\ufffeb", "it contains U+FFFE"),
    ("a\ud800b", "it contains U+D800"),
    (None, "is a string, not None"),
    (1, "is a string, not 1"),
    (["vm1"], "is a string, not ['vm1']"),
])
def test_libvirt_refuses_with_the_reason(name, reason):
    problem = name_problem(name)
    assert reason in problem and "virsh list --all" in problem, problem


def test_the_filter_is_the_same_rule():
    domain_name_problem = FilterModule().filters()["domain_name_problem"]
    assert domain_name_problem("db:1") == "" and "it contains '/'" in domain_name_problem("a/b")
