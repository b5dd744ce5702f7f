# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' argument specs are complete and visible in ansible-doc; the playbooks accept the same variables.

Each playbook's header has a table of the variables it reads (-e or AWX survey answers) and the role option each one
sets, plus a `<role>_*` line: any role option passes through as an extra variable of its own name.
"""

import json
import re

import pytest
import yaml

from conftest import PLAYBOOK_ROLES, REPO, argument_spec, playbook_header, playbook_variables, run

ROLES = ("configure", "migrate")


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_the_argument_spec(role):
    completed = run(["ansible-doc", "-t", "role", "--json", "netfailover.standby." + role])
    assert completed.returncode == 0, completed.stderr
    entry = json.loads(completed.stdout)["netfailover.standby." + role]["entry_points"]["main"]
    assert entry["short_description"] and entry["description"]
    assert set(entry["options"]) == set(argument_spec(role))
    text = run(["ansible-doc", "-t", "role", "netfailover.standby." + role], env={"ANSIBLE_NOCOLOR": "1"})
    assert text.returncode == 0, text.stderr
    assert "ENTRY POINT: *main* - " + entry["short_description"] in text.stdout
    shown = set(re.findall(r"^[-=] ({0}_[a-z0-9_]+)\s".format(role), text.stdout, re.MULTILINE))
    assert shown == set(argument_spec(role)), sorted(set(argument_spec(role)) ^ shown)


@pytest.mark.parametrize("role", ROLES)
def test_the_argument_spec_covers_every_option(role):
    options = argument_spec(role)
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())
    assert set(defaults) == set(options), "defaults/main.yml and meta/argument_specs.yml name different options"
    for name, spec in options.items():
        assert spec.get("description"), name
        assert spec.get("type") in ("str", "int", "bool", "list", "dict", "path", "raw"), name
        if "default" in spec:
            assert spec["default"] == defaults[name], "{0}: argument spec default {1!r}, defaults/main.yml {2!r}".format(
                name, spec["default"], defaults[name])
        if "choices" in spec and "default" in spec:
            assert spec["default"] in spec["choices"], name
    used = set()
    for path in (REPO / "roles" / role).rglob("*.yml"):
        used |= set(re.findall(r"\b({0}_[a-z0-9_]+)".format(role), path.read_text()))
    # options of earlier releases, named only to refuse them (vars/main.yml: __<role>_removed_options)
    role_vars = yaml.safe_load((REPO / "roles" / role / "vars" / "main.yml").read_text()) if (REPO / "roles" / role / "vars" / "main.yml").exists() else {}
    used -= set(role_vars.get("__{0}_removed_options".format(role), []))
    assert used <= set(options), "read by the role but not in its argument spec: {0}".format(sorted(used - set(options)))


@pytest.mark.parametrize("playbook", sorted(PLAYBOOK_ROLES))
def test_the_playbook_header_documents_every_variable(playbook):
    header = playbook_header(playbook)
    read = playbook_variables(playbook)
    documented = {name for name in header if not name.endswith("*")}
    assert read == documented, "read but not documented: {0}; documented but not read: {1}".format(
        sorted(read - documented), sorted(documented - read))
    role = PLAYBOOK_ROLES[playbook]
    assert role + "_*" in header, "the header says that {0}_* role options pass through".format(role)
    options = argument_spec(role)
    for name, line in header.items():
        assert line["target"] is None or line["target"] in options, (name, line["target"])


@pytest.mark.parametrize("playbook", sorted(PLAYBOOK_ROLES))
def test_the_playbook_sets_only_role_options(playbook):
    """What the playbook hands the role (include_role vars, add_host variables) are options of the role."""
    role = PLAYBOOK_ROLES[playbook]
    plays = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
    handed = set()
    for play in plays:
        for task in play.get("tasks", []):
            if "ansible.builtin.include_role" in task:
                assert task["ansible.builtin.include_role"]["name"] == "netfailover.standby." + role
                handed |= set(task.get("vars", {}))
            if "ansible.builtin.add_host" in task:
                handed |= {k for k in task["ansible.builtin.add_host"] if k.startswith(role + "_")}
    assert handed and handed <= set(argument_spec(role)), sorted(handed - set(argument_spec(role)))
    header = playbook_header(playbook)
    targets = {line["target"] for line in header.values() if line["target"]}
    assert targets <= handed, "the header maps to options the playbook does not set: {0}".format(sorted(targets - handed))


def test_the_playbooks_parse():
    for playbook in sorted(PLAYBOOK_ROLES):
        completed = run(["ansible-playbook", "--syntax-check", REPO / "playbooks" / playbook,
                         "-e", json.dumps({"vm": "vm1", "source": "hv1", "destination": "hv2"})])
        assert completed.returncode == 0, completed.stdout + completed.stderr
