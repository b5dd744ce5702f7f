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
    text = run(["ansible-doc", "-t", "role", "netfailover.standby." + role], env=NAME_ENV)
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


def tasks_of(tasks):
    """Every task of a task list, those inside a block, rescue or always too."""
    for task in tasks:
        yield task
        for section in ("block", "rescue", "always"):
            yield from tasks_of(task.get(section, []))


@pytest.mark.parametrize("playbook", sorted(PLAYBOOK_ROLES))
def test_the_playbook_sets_only_role_options(playbook):
    """What the playbook hands the role (include_role vars, add_host variables) are options of the role."""
    role = PLAYBOOK_ROLES[playbook]
    plays = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
    handed = set()
    for play in plays:
        for task in tasks_of(play.get("tasks", [])):
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


# --- VM names (issue 15): any libvirt domain name reaches the role unchanged; names libvirt refuses stop the run ----

# results as one JSON line each: ansible-core 2.16's YAML output wraps and quotes messages differently from 2.19's
NAME_ENV = {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
NAME_INVENTORY = {"all": {"children": {"hypervisors": {"hosts": {
    "hv1": {"ansible_host": "192.0.2.250"}, "hv2": {"ansible_host": "192.0.2.251", "marker": "the hypervisor hv2"}}}}}}


def run_first_plays(tmp_path, playbook, extravars):
    """The playbook's first play as it is, then a play over the migration batch that shows each in-memory host and
    runs the role's own validation with the vars the playbook's include_role hands it; the hosts' variables as JSON."""
    plays = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
    include = [t for t in tasks_of(plays[-2]["tasks"]) if "ansible.builtin.include_role" in t][0]
    out = tmp_path / "hosts.json"
    probe = {"hosts": "netfailover_migrating", "gather_facts": False, "tasks": [
        {"name": "Validate as the role does", "ansible.builtin.include_role": {
            "name": "netfailover.standby.migrate", "tasks_from": "validate"}, "vars": include["vars"]},
        {"name": "Collect", "run_once": True, "delegate_to": "localhost", "ansible.builtin.copy": {"dest": str(out), "content": (
            "{{ dict(groups['netfailover_migrating'] | zip(groups['netfailover_migrating'] | map('extract', hostvars)"
            " | map('dict2items') | map('selectattr', 'key', 'in', ['netfailover_vm_name', 'migrate_source', "
            "'migrate_destination', 'marker', 'ansible_port', 'ansible_host']) | map('items2dict'))) | to_json }}")}}]}
    (tmp_path / "inventory.json").write_text(json.dumps(NAME_INVENTORY))
    (tmp_path / "play.yml").write_text(json.dumps([plays[0], probe]))
    completed = run(["ansible-playbook", "-i", tmp_path / "inventory.json", tmp_path / "play.yml", "-e", json.dumps(extravars)],
                    env=NAME_ENV)
    return completed, (json.loads(out.read_text()) if out.exists() else None)


NAMES = ["db:1", "hv2", "web 1", "ünïcødé", "[fe80::1]:22", "a,b", "x=y"]


def test_every_vm_name_becomes_its_own_in_memory_host(tmp_path):
    completed, hosts = run_first_plays(tmp_path, "migrate.yml", {"vm": NAMES + ["db:1"], "source": "hv1", "destination": "hv2"})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # one host per distinct name, none of them an inventory host or host:port, each with only its own variables
    assert sorted(h["netfailover_vm_name"] for h in hosts.values()) == sorted(NAMES), hosts
    assert all(name.startswith("netfailover_vm_") for name in hosts), hosts
    assert all(set(h) == {"netfailover_vm_name", "migrate_source", "migrate_destination"} for h in hosts.values()), hosts
    # the role's own validation ran on each of them and let it pass
    recap = re.findall(r"^(netfailover_vm_\d+)\s+: ok=(\d+) .* failed=(\d+) ", completed.stdout, re.MULTILINE)
    assert sorted(h for h, ok, failed in recap if int(ok) >= 3 and failed == "0") == sorted(hosts), completed.stdout


@pytest.mark.parametrize("name, reason", [("", "it is empty"), ("a/b", "it contains '/'"),
                                          ("a\nb", "it contains a line break"), ("a\x01b", "it contains U+0001")])
def test_a_name_libvirt_refuses_stops_the_run_before_any_host(tmp_path, name, reason):
    completed, hosts = run_first_plays(tmp_path, "migrate.yml", {"vm": ["vm1", name], "source": "hv1", "destination": "hv2"})
    assert completed.returncode != 0 and hosts is None, completed.stdout
    assert "cannot be a libvirt domain name: " + reason in completed.stdout, completed.stdout
    assert "Nothing was changed." in completed.stdout


@pytest.mark.parametrize("name", ["", "a/b"])
def test_the_role_refuses_a_name_libvirt_refuses(tmp_path, name):
    """The role's own check, for a play that calls the role directly (not through the playbook)."""
    (tmp_path / "inventory.json").write_text(json.dumps(NAME_INVENTORY))
    (tmp_path / "play.yml").write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Validate", "ansible.builtin.include_role": {"name": "netfailover.standby.migrate", "tasks_from": "validate"},
         "vars": {"migrate_vm": name, "migrate_source": "hv1", "migrate_destination": "hv2"}}]}]))
    completed = run(["ansible-playbook", "-i", tmp_path / "inventory.json", tmp_path / "play.yml"], env=NAME_ENV)
    assert completed.returncode != 0
    assert "cannot be a libvirt domain name" in completed.stdout and "Nothing was changed." in completed.stdout, completed.stdout


# --- evacuate.yml's request (issue 17): checked on the controller before any hypervisor is contacted ---------------

EVACUATE_INVENTORY = {"all": {"children": {
    "hypervisors": {"hosts": {hv: {"ansible_host": "192.0.2.{0}".format(250 + n)} for n, hv in enumerate(["hv1", "hv2", "hv3"])}},
    "rack1": {"hosts": {"hv1": {}}}, "rack2": {"hosts": {"hv3": {}}}}}}


def run_evacuate_request(tmp_path, extravars):
    """evacuate.yml's first play as it is, then the destinations it settled on, as JSON (None when it stopped)."""
    plays = yaml.safe_load((REPO / "playbooks" / "evacuate.yml").read_text())
    out = tmp_path / "request.json"
    probe = {"hosts": "localhost", "gather_facts": False, "tasks": [{"name": "Collect", "ansible.builtin.copy": {
        "dest": str(out), "content": "{{ {'destinations': __evacuate_destinations, 'readers': __evacuate_readers} | to_json }}"}}]}
    (tmp_path / "inventory.json").write_text(json.dumps(EVACUATE_INVENTORY))
    (tmp_path / "play.yml").write_text(json.dumps([plays[0], probe]))
    completed = run(["ansible-playbook", "-i", tmp_path / "inventory.json", tmp_path / "play.yml", "-e", json.dumps(extravars)],
                    env=NAME_ENV)
    return completed, (json.loads(out.read_text()) if out.exists() else None)


@pytest.mark.parametrize("extravars, destinations", [
    ({"source": "hv1"}, ["hv2", "hv3"]),  # the group hypervisors without the source
    ({"source": "hv1", "destinations": ""}, ["hv2", "hv3"]),  # AWX's blank answer
    ({"source": "hv2", "destination": "hv3"}, ["hv3"]),  # earlier releases' variable
    ({"source": "hv2", "destinations": "hv3,\nhv1"}, ["hv3", "hv1"]),  # AWX's textarea
    ({"source": "hv1", "destinations": "rack2"}, ["hv3"]),  # a group
    ({"source": "hv3", "destinations": ["rack2", "hv1", "hv1"]}, ["hv1"]),  # a group stands for its hosts but the source
])
def test_evacuate_settles_the_destinations(tmp_path, extravars, destinations):
    completed, request = run_evacuate_request(tmp_path, extravars)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert request == {"destinations": destinations, "readers": [extravars["source"]] + destinations}


@pytest.mark.parametrize("extravars, messages", [
    ({}, ["Usage: ansible-playbook evacuate.yml -e source=HYPERVISOR"]),
    ({"source": "hv9"}, ["The source hv9 is not an inventory host (hypervisors: hv1, hv2, hv3). Nothing was changed."]),
    ({"source": "hv1", "destinations": ["hv1", "hv2"]}, ["The destinations name the source hv1: a VM cannot move to the host it leaves."]),
    ({"source": "hv1", "destinations": "rack1"}, ["There is no destination: rack1 holds no host but the source hv1."]),
    # every problem at once
    ({"source": "hv1", "destination": "hv2", "destinations": "hv2 hv7", "parallel": 0, "parallel_per_destination": "two",
      "memory_reserve_mib": -5},
     ["Give destinations or destination (one hypervisor, as earlier releases did), not both.",
      "The destinations name hv7, neither an inventory host nor a group (hypervisors: hv1, hv2, hv3).",
      "parallel must be a whole number of at least 1, not 0.",
      "parallel_per_destination must be a whole number of at least 1, not two.",
      "memory_reserve_mib must be a whole number of at least 0, not -5. Nothing was changed."]),
])
def test_evacuate_refuses_a_bad_request_before_any_host(tmp_path, extravars, messages):
    completed, request = run_evacuate_request(tmp_path, extravars)
    assert completed.returncode != 0 and request is None, completed.stdout
    for message in messages:
        assert message in completed.stdout, completed.stdout


# --- rolling maintenance (issue 17): a playbook of imports, with no role of its own ---------------------------------

ROLLING = ["rolling_maintenance.yml", "rolling/hypervisor.yml", "rolling/unused_position.yml"]


def test_the_rolling_maintenance_header_names_every_variable_it_reads():
    """Every variable rolling_maintenance.yml and its per-hypervisor plays read from outside is named in its header;
    the facts that evacuate.yml and return_evacuated.yml leave on localhost count as read (their headers say so)."""
    header = []
    for line in (REPO / "playbooks" / "rolling_maintenance.yml").read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        header.append(line)
    named = set(re.findall(r"[a-z_]+", " ".join(header)))
    read = set().union(*(playbook_variables(playbook) for playbook in ROLLING))
    # what each import of rolling_maintenance.yml sets (rolling_position) is not read from outside
    plays = yaml.safe_load((REPO / "playbooks" / "rolling_maintenance.yml").read_text())
    read -= {name for entry in plays if "ansible.builtin.import_playbook" in entry for name in entry.get("vars", {})}
    assert read, "the playbooks read nothing?"
    assert read <= named, "read but not named in the header: {0}".format(sorted(read - named))


@pytest.mark.parametrize("group, count", [("hypervisors", 3), (["hv2", "hv1"], 2), ("nothing", 0)])
def test_rolling_maintenance_imports_one_position_per_hypervisor(tmp_path, group, count):
    """Each position imports one hypervisor's plays while the group has hosts for it, and the play that matches no host
    after that: the file names are chosen when the playbook is read."""
    inventory = {"all": {"children": {"hypervisors": {"hosts": {"hv1": {}, "hv2": {}, "hv3": {}}}}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    completed = run(["ansible-playbook", "--list-hosts", "-i", tmp_path / "inventory.json",
                     REPO / "playbooks" / "rolling_maintenance.yml", "-e", json.dumps({"group": group})])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    plays = re.findall(r"^\s*play #\d+ \([^)]*\): (.*?)\s+TAGS", completed.stdout, re.MULTILINE)
    starts = ("Start the next hypervisor of the rolling maintenance", "No hypervisor at this position")
    positions = [name for name in plays if name in starts]
    assert len(positions) == 32
    assert positions == ["Start the next hypervisor of the rolling maintenance"] * count + \
        ["No hypervisor at this position"] * (32 - count)
    assert plays.count("Check the evacuation request") == count and plays.count("Check the return request") == count
