# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ecosystem checks (issue 8): execution environment, role interfaces, AWX job templates, release tarball.

They run offline against the working tree and the collections tree that tools/sync-collection.sh fills
(tools/test.sh runs one file per step). Helpers here read the roles' argument specs and the playbooks' headers
and variables, which the role-interface and AWX checks compare.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.meta
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
COLLECTIONS_ROOT = Path(os.environ.get("NFS_COLLECTIONS_ROOT", "/var/cache/netfailover.standby/collections"))
COLLECTION_DIR = COLLECTIONS_ROOT / "ansible_collections" / "netfailover" / "standby"
# The role each playbook runs; its options are what `-e <role>_*` passes through.
PLAYBOOK_ROLES = {"configure.yml": "configure", "migrate.yml": "migrate", "evacuate.yml": "migrate",
                  "return_evacuated.yml": "migrate"}
# Names a playbook may read without declaring them (Ansible's own; lookup is its template function).
MAGIC_VARIABLES = {"item", "inventory_hostname", "groups", "hostvars", "playbook_dir", "omit", "ansible_check_mode", "lookup"}
# Keys whose value is a bare Jinja expression, not a template.
CONDITIONAL_KEYS = {"when", "that", "failed_when", "changed_when", "until"}
# One line of a playbook header's variable table:  "#   NAME (required)   -> TARGET: text"
HEADER_LINE = re.compile(r"^#   (?P<name>[a-z_]+\*?)(?P<required> \(required\))?\s+-> (?P<text>.*)$")


def run(argv, env=None, **kwargs):
    """A command with the venv first on PATH and the collections tree on ANSIBLE_COLLECTIONS_PATH."""
    environment = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]),
                       ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT))
    environment.update(env or {})
    return subprocess.run([str(a) for a in argv], check=False, text=True, capture_output=True, env=environment, **kwargs)


def argument_spec(role):
    """The options of the role's main entry point."""
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return specs["main"]["options"]


def playbook_header(playbook):
    """The header's variable table: name -> {"required": bool, "target": role option or None, "text": the line}."""
    table = {}
    for line in (REPO / "playbooks" / playbook).read_text().splitlines():
        if line == "---":
            continue
        if not line.startswith("#"):
            break
        match = HEADER_LINE.match(line)
        if table and re.match(r"^#\s{20,}\S", line):  # a continuation line of the previous variable
            table[list(table)[-1]]["text"] += " " + line[1:].strip()
        elif match:
            target = re.match(r"({0}_[a-z_]+)\b".format(PLAYBOOK_ROLES[playbook]), match["text"])
            table[match["name"]] = {"required": bool(match["required"]), "text": match["text"],
                                    "target": target.group(1) if target else None}
    return table


def _strings(node, key=None):
    """(key, string) for every string in a loaded playbook, with the key it sits under."""
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield from _strings(value, child_key)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key)
    elif isinstance(node, str):
        yield key, node


def _keys(node, wanted):
    """Values of the keys named ``wanted`` anywhere in a loaded playbook."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == wanted:
                yield value
            yield from _keys(value, wanted)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value, wanted)


class _AnyPlugin(dict):
    """Every filter and test name exists (Ansible's and the collection's are not loaded here: only names matter)."""

    def __contains__(self, name):
        return True

    def get(self, name, default=None):
        return lambda *args, **kwargs: None

    def __getitem__(self, name):
        return self.get(name)


def playbook_variables(playbook):
    """The variables a playbook reads from outside (extra vars): every name its templates use but do not define."""
    plays = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
    environment = jinja2.Environment()
    environment.filters = _AnyPlugin()
    environment.tests = _AnyPlugin()
    used = set()
    for key, text in _strings(plays):
        source = "{{ (" + text + ") }}" if key in CONDITIONAL_KEYS else text
        used |= jinja2.meta.find_undeclared_variables(environment.parse(source))
    defined = set(_keys(plays, "register"))
    for facts in _keys(plays, "ansible.builtin.set_fact"):
        defined |= set(facts)
    for role_vars in _keys(plays, "vars"):
        defined |= set(role_vars)
    for added in _keys(plays, "ansible.builtin.add_host"):  # host variables the playbook gives its in-memory hosts
        defined |= set(added)
    return {name for name in used - defined - MAGIC_VARIABLES if not name.startswith("__") and not name.startswith("ansible_")}
