# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/migrate.yml through ansible-runner, the way AWX runs a job (issue 8).

AWX hands ansible-runner a private data directory: env/envvars, env/extravars (the survey's answers), inventory/ and
project/ (the project's checkout), then reads the job's status, its events and the set_stats artifacts back from
artifacts/<ident>/. This test builds such a directory for the lab, migrates vm1 hv1 -> hv2 with `ansible-runner run`,
judges the artifacts, the per-VM report and the guest, and then migrates vm1 back to hv1 the same way, so that the lab
is steady for the next test file (lab-up's health check would rebuild it otherwise).
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import INVENTORY, REPO, VENV_BIN, run

GUEST = "vm1"
COLLECTIONS_ROOT = os.environ.get("NFS_COLLECTIONS_ROOT", "/var/cache/netfailover.standby/collections")


def where(lab):
    return "hv1" if GUEST in lab.command("hv1", "virsh", "list", "--name")["stdout"].split() else "hv2"


def private_data_dir(base, extravars):
    """What AWX gives ansible-runner: the environment, the survey's answers, the inventory and the project."""
    (base / "env").mkdir(parents=True)
    (base / "inventory").mkdir()
    shutil.copytree(REPO / "playbooks", base / "project")
    shutil.copy(REPO / "ansible.cfg", base / "project" / "ansible.cfg")
    shutil.copy(INVENTORY, base / "inventory" / "inventory.json")
    envvars = {"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_ROOT, "ANSIBLE_CONFIG": str(base / "project" / "ansible.cfg"),
               "NETFAILOVER_REPORT_DIR": str(base / "reports")}
    (base / "env" / "envvars").write_text(json.dumps(envvars, indent=2))  # JSON is YAML
    (base / "env" / "extravars").write_text(json.dumps(extravars, indent=2))
    return base


def runner_job(base, ident):
    """`ansible-runner run DIR -p migrate.yml`; the job's artifacts: status, rc, events, stdout."""
    env = dict(os.environ, PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]))
    completed = run([VENV_BIN / "ansible-runner", "run", base, "-p", "migrate.yml", "--ident", ident], env=env)
    artifacts = base / "artifacts" / ident
    events = [json.loads(path.read_text()) for path in sorted((artifacts / "job_events").glob("*.json"),
                                                              key=lambda p: int(p.name.split("-", 1)[0]))]
    return {"completed": completed, "artifacts": artifacts, "events": events,
            "status": (artifacts / "status").read_text().strip(), "rc": (artifacts / "rc").read_text().strip(),
            "stdout": (artifacts / "stdout").read_text()}


def explain(job):
    return "ansible-runner: rc {0}, status {1}\n{2}".format(job["rc"], job["status"], job["stdout"][-6000:])


@pytest.fixture(scope="module")
def job(lab, tmp_path_factory):
    """vm1 steady on hv1, migrated to hv2 by ansible-runner; afterwards moved back to hv1, steady, the same way."""
    assert where(lab) == "hv1", "the lab promises vm1 on hv1"
    base = private_data_dir(tmp_path_factory.mktemp("runner") / "to-hv2",
                            {"vm": GUEST, "source": "hv1", "destination": "hv2", "migrate_pf": "pf0"})
    yield runner_job(base, "migrate-to-hv2")
    if where(lab) == "hv2":
        back = private_data_dir(tmp_path_factory.mktemp("runner") / "to-hv1",
                                {"vm": GUEST, "source": "hv2", "destination": "hv1", "migrate_pf": "pf0"})
        returned = runner_job(back, "migrate-to-hv1")
        assert returned["status"] == "successful", explain(returned)
    assert where(lab) == "hv1"
    assert lab.failover("hv1", GUEST, expect=["steady"], timeout=30).get("failed") is not True


def test_the_job_succeeded(job):
    assert job["status"] == "successful" and job["rc"] == "0", explain(job)
    assert job["completed"].returncode == 0, job["completed"].stderr
    command = json.loads((job["artifacts"] / "command").read_text())["command"]
    assert Path(command[0]).name == "ansible-playbook" and "migrate.yml" in command


def test_the_events_carry_the_roles_tasks(job):
    ok_tasks = [e["event_data"] for e in job["events"] if e["event"] == "runner_on_ok"]
    role_tasks = {d["task"] for d in ok_tasks if d.get("role") == "migrate"}
    for task in ("Detach each VF of {0} on hv1".format(GUEST), "Run the live migration of {0}".format(GUEST),
                 "Attach each VF to {0} on hv2".format(GUEST), "Save the report of {0} as JSON on the controller".format(GUEST),
                 "Hand the report to AWX as a job artifact"):
        assert any(t.startswith(task) for t in role_tasks), (task, sorted(role_tasks))
    assert not [e for e in job["events"] if e["event"] == "runner_on_failed" and not e["event_data"].get("ignore_errors")]
    assert [e["event"] for e in job["events"]][-1] == "playbook_on_stats"


def test_the_report_says_migrated(job, lab):
    report = json.loads((job["artifacts"].parents[1] / "reports" / "{0}.json".format(GUEST)).read_text())
    assert report["outcome"] == "migrated" and report["runs_on"] == "hv2", report
    assert report["source"] == "hv1" and report["destination"] == "hv2" and report["final_state"] == "steady"
    # migrate_pf of env/extravars reached the role: its steps moved the bridge FDB entry (they do not without a PF)
    assert [step for step in report["steps"] if (step["fdb"] or {}).get("port") == "pf0"], report["steps"]
    assert where(lab) == "hv2"
    assert lab.failover("hv2", GUEST, expect=["steady"], timeout=30).get("failed") is not True


def test_set_stats_reach_the_runner_artifacts(job):
    stats = [e for e in job["events"] if e["event"] == "playbook_on_stats"][0]["event_data"]
    migrations = stats["artifact_data"]["netfailover_migrations"]
    assert list(migrations) == [GUEST]
    assert migrations[GUEST]["outcome"] == "migrated" and migrations[GUEST]["runs_on"] == "hv2"
    assert stats["failures"] == {} and stats["dark"] == {}
