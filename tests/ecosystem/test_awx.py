# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job templates kept as code (awx/job_templates.yml, awx/surveys/*.json), checked without an AWX server.

The surveys are held to the rules AWX's API applies when a survey spec is saved (awx/api/views JobTemplateSurveySpec)
and to the playbooks they feed: every question sets a variable the playbook reads or a role option that passes
through, with a type that fits the role option.
"""

import json

import pytest
import yaml

from conftest import PLAYBOOK_ROLES, REPO, argument_spec, playbook_header, playbook_variables, run

AWX = REPO / "awx"
SURVEYS = {"configure": "configure.yml", "migrate": "migrate.yml", "evacuate": "evacuate.yml"}
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
