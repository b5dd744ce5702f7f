# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job templates kept as code (awx/job_templates.yml, awx/surveys/*.json), checked without an AWX server.

The surveys are held to the rules AWX's API applies when a survey spec is saved (awx/api/views JobTemplateSurveySpec)
and to the playbooks they feed: every question sets a variable the playbook reads or a role option that passes
through, with a type that fits the role option. The rolling maintenance workflow (awx/workflow_rolling_maintenance.yml)
is checked through its `--tags plan` run, which builds the workflow's nodes without contacting AWX, against the awx.awx
module's documented options and its own argument checks (which run before it contacts the controller).
"""

import json
import socket

import pytest
import yaml

from conftest import PLAYBOOK_ROLES, REPO, argument_spec, playbook_header, playbook_variables, run

AWX = REPO / "awx"
SURVEYS = {"configure": "configure.yml", "migrate": "migrate.yml", "evacuate": "evacuate.yml",
           "return": "return_evacuated.yml"}
# The question types AWX accepts and the Python type of their answers and defaults.
QUESTION_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                  "integer": int, "float": (float, int)}
# Which question types fit an argument spec type.
FITTING_TYPES = {"str": {"text", "textarea", "password", "multiplechoice"}, "int": {"integer"},
                 "bool": {"multiplechoice"}, "list": {"multiselect"}, "float": {"float"}}


def survey(name):
    return json.loads((AWX / "surveys" / (name + ".json")).read_text())


def choices(question):
    value = question["choices"]
    return [c for c in value.splitlines() if c.strip()] if isinstance(value, str) else value


def job_templates():
    play = yaml.safe_load((AWX / "job_templates.yml").read_text())[0]
    return play["vars"]["netfailover_awx_job_templates"]


def test_the_playbook_parses():
    completed = run(["ansible-playbook", "--syntax-check", AWX / "job_templates.yml"])
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_job_templates_use_the_awx_collection_with_surveys():
    play = yaml.safe_load((AWX / "job_templates.yml").read_text())[0]
    task = [t for t in play["tasks"] if "awx.awx.job_template" in t][0]
    arguments = task["awx.awx.job_template"]
    assert arguments["survey_enabled"] is True and "survey_spec" in arguments
    assert arguments["ask_variables_on_launch"] is True  # role options pass through at launch
    assert sorted(t["survey"] for t in job_templates()) == sorted(SURVEYS)
    for template in job_templates():
        assert (REPO / template["playbook"]).is_file(), template["playbook"]
        assert template["playbook"] == "playbooks/" + SURVEYS[template["survey"]]


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_the_survey_is_valid_for_awx(name):
    spec = survey(name)
    assert isinstance(spec.get("name"), str) and isinstance(spec.get("description"), str)
    assert isinstance(spec.get("spec"), list) and spec["spec"], "a survey needs questions"
    variables = [q.get("variable") for q in spec["spec"]]
    assert len(variables) == len(set(variables)), "a variable is asked twice"
    for question in spec["spec"]:
        label = question.get("variable")
        for field, kind in (("type", str), ("question_name", str), ("variable", str), ("required", bool)):
            assert isinstance(question.get(field), kind), "{0}: {1} must be a {2}".format(label, field, kind.__name__)
        assert question["type"] in QUESTION_TYPES, "{0}: AWX has no question type {1}".format(label, question["type"])
        if question.get("default", "") != "":
            assert isinstance(question["default"], QUESTION_TYPES[question["type"]]), label
            assert not isinstance(question["default"], bool), label
        for limit in ("min", "max"):
            assert question.get(limit) is None or (isinstance(question[limit], int) and not isinstance(question[limit], bool)), label
        if question["type"] in ("text", "textarea", "password", "integer", "float") and question.get("default", "") != "":
            value = question["default"] if question["type"] in ("integer", "float") else len(question["default"])
            assert question.get("min") is None or value >= question["min"], label
            assert question.get("max") is None or value <= question["max"], label
        if question["type"] in ("multiplechoice", "multiselect"):
            assert "choices" in question and choices(question), "{0}: choices are needed".format(label)
            defaults = question.get("default", "")
            defaults = defaults.splitlines() if isinstance(defaults, str) else defaults
            assert all(d in choices(question) for d in defaults), "{0}: the default is not a choice".format(label)
            if question["type"] == "multiplechoice":
                assert len(defaults) <= 1, label


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_the_survey_asks_what_the_playbook_reads(name):
    playbook = SURVEYS[name]
    role = PLAYBOOK_ROLES[playbook]
    options = argument_spec(role)
    header = playbook_header(playbook)
    read = playbook_variables(playbook)
    questions = {q["variable"]: q for q in survey(name)["spec"]}
    for variable, question in questions.items():
        if variable in read:
            option = options.get(header[variable]["target"])
        else:
            # other role options pass through as extra variables of their own name
            assert variable in options, "{0} asks {1}, which {2} neither reads nor passes to the role".format(name, variable, playbook)
            assert header[variable]["target"] is None if variable in header else True
            option = options[variable]
        if option is None:
            continue
        assert question["type"] in FITTING_TYPES[option["type"]], "{0}: a {1} question for a {2} option".format(
            variable, question["type"], option["type"])
        if question["type"] == "multiplechoice":
            allowed = option.get("choices") or (["true", "false"] if option["type"] == "bool" else None)
            if allowed is not None:
                assert set(choices(question)) <= {str(c).lower() if option["type"] == "bool" else c for c in allowed}, variable
        if question["type"] == "integer" and "default" in option and "default" in question:
            assert isinstance(option["default"], int)
    required = {name for name, line in header.items() if line["required"]}
    assert required <= {v for v, q in questions.items() if q["required"]}, "the playbook's required variables are required questions"


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_an_empty_answer_means_the_default(name):
    """AWX sends an optional question left blank as an empty string: that must mean what leaving it out means."""
    playbook = SURVEYS[name]
    options = argument_spec(PLAYBOOK_ROLES[playbook])
    header = playbook_header(playbook)
    for question in survey(name)["spec"]:
        if question["required"] or question.get("default", "") != "":
            continue
        variable = question["variable"]
        line = header.get(variable, {"target": variable, "text": ""})
        option = options.get(line["target"]) if line["target"] else None
        assert (option is not None and option.get("default") == "") or "empty means not given" in line["text"], (
            "{0}: a blank answer would set {1} to an empty string".format(name, variable))


# --- the rolling maintenance workflow (issue 17) -------------------------------------------------------------------

WORKFLOW = AWX / "workflow_rolling_maintenance.yml"
# The artifact the evacuate job hands over (set_stats) and the return job reads as an extra variable.
ARTIFACT = "netfailover_evacuation"


def workflow_plan(extravars):
    """The workflow playbook run with --tags plan (no AWX contacted): its return code, output and the nodes it built."""
    completed = run(["ansible-playbook", WORKFLOW, "--tags", "plan", "-v", "-e", json.dumps(extravars)],
                    env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_NOCOLOR": "1"})
    nodes = None
    marker = "TASK [Show the nodes as they are defined]"
    if marker in completed.stdout:
        shown = completed.stdout.split(marker, 1)[1]
        shown = shown[shown.index("=> ") + 3:]
        nodes = json.JSONDecoder().raw_decode(shown)[0]["__nodes"]
    return completed, nodes


def chain(nodes):
    """The identifiers from the root (the node no edge points to) along the success edges; every node has at most one."""
    by_id = {node["identifier"]: node for node in nodes}
    targets = {edge["identifier"] for node in nodes for edge in node["related"]["success_nodes"]}
    roots = [node for node in nodes if node["identifier"] not in targets]
    assert len(roots) == 1, roots
    order, node = [], roots[0]
    while node:
        order.append(node["identifier"])
        following = node["related"]["success_nodes"]
        assert len(following) <= 1, node
        node = by_id[following[0]["identifier"]] if following else None
    return order


def template_of(playbook):
    return [t["name"] for t in job_templates() if t["playbook"] == "playbooks/" + playbook][0]


def test_the_workflow_playbook_parses():
    completed = run(["ansible-playbook", "--syntax-check", WORKFLOW])
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_workflow_takes_the_hypervisors_one_at_a_time():
    options = {"parallel": 2, "migrate_pf": "pf0"}
    completed, nodes = workflow_plan({"netfailover_awx_rolling_hypervisors": ["hv3", "hv1", "hv2"],
                                      "netfailover_awx_maintenance_job_template": "Patch a hypervisor",
                                      "netfailover_awx_rolling_extra_vars": options})
    assert completed.returncode == 0 and nodes, completed.stdout + completed.stderr
    assert chain(nodes) == ["{0} {1}".format(step, hv) for hv in ("hv3", "hv1", "hv2")
                            for step in ("evacuate", "maintenance", "return")]
    assert len(nodes) == 9  # no other node: nothing runs beside the chain
    evacuate, back = template_of("evacuate.yml"), template_of("return_evacuated.yml")
    for node in nodes:
        step, hv = node["identifier"].split(" ")
        template = node["unified_job_template"]
        assert template["type"] == "job_template" and template["organization"] == {"name": "Default"}
        # success edges only: a failed job ends the workflow there, the hypervisors after it untouched
        assert set(node["related"]) == {"success_nodes"}
        if step == "maintenance":
            assert template["name"] == "Patch a hypervisor" and node["limit"] == hv and "extra_data" not in node
        else:
            assert template["name"] == (evacuate if step == "evacuate" else back)
            assert node["extra_data"] == dict(options, source=hv) and "limit" not in node


@pytest.mark.parametrize("extravars, message", [
    ({"netfailover_awx_maintenance_job_template": "Patch"}, "a list of distinct hypervisor names"),
    ({"netfailover_awx_rolling_hypervisors": ["hv1", "hv1"], "netfailover_awx_maintenance_job_template": "Patch"},
     "a list of distinct hypervisor names"),
    ({"netfailover_awx_rolling_hypervisors": ["hv1"]}, "the maintenance job template's name"),
    ({"netfailover_awx_rolling_hypervisors": ["hv1"], "netfailover_awx_maintenance_job_template": "Patch",
      "netfailover_awx_rolling_extra_vars": {"source": "hv9"}}, "extra variables without source"),
])
def test_the_workflow_refuses_a_bad_request(extravars, message):
    completed, nodes = workflow_plan(extravars)
    assert completed.returncode != 0 and nodes is None
    assert message in " ".join(completed.stdout.split()) and "Nothing was defined in AWX." in completed.stdout


def documented(value, option, where):
    """``value`` fits the documented option: its type, and for a dict or a list of dicts every key a documented
    suboption (recursively) and every required suboption given."""
    kinds = {"str": str, "int": int, "bool": bool, "dict": dict, "list": list}
    assert isinstance(value, kinds[option.get("type", "str")]), (where, value)
    suboptions = option.get("suboptions")
    if not suboptions:
        return
    for item in (value if option.get("type") == "list" else [value]):
        assert isinstance(item, dict), (where, item)
        assert set(item) <= set(suboptions), "{0}: {1} are not options of the awx.awx module".format(
            where, sorted(set(item) - set(suboptions)))
        missing = [name for name, sub in suboptions.items() if sub.get("required") and name not in item]
        assert not missing, "{0}: {1} required".format(where, missing)
        for name, sub_value in item.items():
            if "choices" in suboptions[name]:
                assert sub_value in suboptions[name]["choices"], (where, name, sub_value)
            documented(sub_value, suboptions[name], "{0}.{1}".format(where, name))


def test_the_nodes_fit_the_awx_modules_options(tmp_path):
    """The workflow's arguments fit awx.awx.workflow_job_template: the module checks its top-level options before it
    contacts the controller (here a closed port on loopback: the error must be the connection), but not the nodes'
    suboptions, which are held to the module's documentation here."""
    _completed, nodes = workflow_plan({"netfailover_awx_rolling_hypervisors": ["hv1", "hv2"],
                                       "netfailover_awx_maintenance_job_template": "Patch",
                                       "netfailover_awx_rolling_extra_vars": {"parallel": 2}})
    shown = run(["ansible-doc", "-t", "module", "--json", "awx.awx.workflow_job_template"])
    assert shown.returncode == 0, shown.stderr
    options = json.loads(shown.stdout)["awx.awx.workflow_job_template"]["doc"]["options"]
    documented(nodes, options["workflow_nodes"], "workflow_nodes")

    play = yaml.safe_load(WORKFLOW.read_text())[0]
    task = [t for t in play["tasks"] if "awx.awx.workflow_job_template" in t][0]
    arguments = dict(task["awx.awx.workflow_job_template"], workflow_nodes=nodes, name="rolling", description="rolling")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    probe = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
              "tasks": [{"awx.awx.workflow_job_template": dict(arguments, controller_host="http://127.0.0.1:{0}".format(port),
                                                               controller_oauthtoken="none", request_timeout=5)}]}]
    (tmp_path / "probe.yml").write_text(json.dumps(probe))
    completed = run(["ansible-playbook", tmp_path / "probe.yml", "-e", json.dumps({"netfailover_awx_organization": "Default"})],
                    env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    assert completed.returncode != 0
    assert "Connection refused" in completed.stdout and "Unsupported parameters" not in completed.stdout, completed.stdout


def test_the_evacuation_artifact_links_evacuate_and_return():
    """The artifact the evacuate job hands the next nodes is the one the return job reads, and return hands on its own."""
    def set_stats_keys(playbook):
        plays = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
        return {key for play in plays for task in play.get("tasks", []) if "ansible.builtin.set_stats" in task
                for key in task["ansible.builtin.set_stats"]["data"]}
    assert set_stats_keys("evacuate.yml") == {ARTIFACT}
    assert set_stats_keys("return_evacuated.yml") == {"netfailover_return"}
    assert ARTIFACT in playbook_variables("return_evacuated.yml")
    assert ARTIFACT in {q["variable"] for q in survey("return")["spec"]}
    play = yaml.safe_load(WORKFLOW.read_text())[0]
    assert play["vars"]["netfailover_awx_evacuation_artifact"] == ARTIFACT
    # the workflow's nodes run the job templates of job_templates.yml
    assert play["vars"]["netfailover_awx_evacuate_job_template"] == template_of("evacuate.yml")
    assert play["vars"]["netfailover_awx_return_job_template"] == template_of("return_evacuated.yml")
    # no variable at launch: a workflow's extra variables would override each node's source
    task = [t for t in play["tasks"] if "awx.awx.workflow_job_template" in t][0]["awx.awx.workflow_job_template"]
    assert task["ask_variables_on_launch"] is False and task["survey_enabled"] is False
