# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release tarball: `ansible-galaxy collection build` makes it, and it installs offline into a clean path.

Galaxy is not reachable here, so the install uses --offline --no-deps; community.libvirt (the one dependency) comes
from the collections tree, which sits behind the clean path on ANSIBLE_COLLECTIONS_PATH.
"""

import json
import os
import tarfile

import pytest
import yaml

from conftest import COLLECTION_DIR, COLLECTIONS_ROOT, REPO, run

GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
TARBALL = "{0}-{1}-{2}.tar.gz".format(GALAXY["namespace"], GALAXY["name"], GALAXY["version"])


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The tarball built from the collection (its copy in the collections tree: the working tree minus caches)."""
    output = tmp_path_factory.mktemp("release")
    completed = run(["ansible-galaxy", "collection", "build", "--output-path", output], cwd=COLLECTION_DIR)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return output / TARBALL


@pytest.fixture(scope="module")
def installed(release, tmp_path_factory):
    """The tarball installed into an empty collections path, offline, without dependencies."""
    clean = tmp_path_factory.mktemp("clean")
    completed = run(["ansible-galaxy", "collection", "install", release, "-p", clean, "--offline", "--no-deps"],
                    env={"ANSIBLE_COLLECTIONS_PATH": str(clean)})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return clean


def with_clean_path(clean):
    return {"ANSIBLE_COLLECTIONS_PATH": "{0}:{1}".format(clean, COLLECTIONS_ROOT)}


def test_the_tarball_holds_the_collection_and_not_the_build_ignore(release):
    with tarfile.open(release) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["version"] == GALAXY["version"]
    assert manifest["collection_info"]["dependencies"] == {"community.libvirt": ">=2.0.0"}
    for needed in ("meta/runtime.yml", "meta/execution-environment.yml", "meta/ee-requirements.yml", "meta/requirements.txt",
                   "meta/bindep.txt", "requirements.txt", "bindep.txt", "roles/migrate/meta/argument_specs.yml",
                   "playbooks/migrate.yml", "plugins/modules/guest_failover_info.py", "changelogs/changelog.yaml",
                   "docs/docsite/links.yml", "awx/job_templates.yml"):
        assert needed in names, needed
    for ignored in GALAXY["build_ignore"]:
        top = ignored.rstrip("/")
        assert not [n for n in names if n == top or n.startswith(top + "/")] or "*" in top, ignored
    assert not [n for n in names if n.endswith(".tar.gz") or "/__pycache__/" in n or n.startswith("tests/output/")]


def test_it_installs_offline_into_a_clean_path(installed):
    root = installed / "ansible_collections" / "netfailover" / "standby"
    info = json.loads((root / "MANIFEST.json").read_text())["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])
    # Ansible Builder reads requirements.txt and bindep.txt at the root of an installed collection: the symlinks survive.
    assert (root / "requirements.txt").read_text() == (REPO / "meta" / "requirements.txt").read_text()
    assert (root / "bindep.txt").read_text() == (REPO / "meta" / "bindep.txt").read_text()
    assert not (root / "tools").exists() and not (root / ".cache").exists()


def test_ansible_doc_resolves_from_the_clean_path(installed):
    completed = run(["ansible-doc", "-t", "module", "--json", "netfailover.standby.guest_failover_info"], env=with_clean_path(installed))
    assert completed.returncode == 0, completed.stderr
    doc = json.loads(completed.stdout)["netfailover.standby.guest_failover_info"]["doc"]
    assert doc["filename"].startswith(str(installed) + os.sep), doc["filename"]
    role = run(["ansible-doc", "-t", "role", "--json", "netfailover.standby.migrate"], env=with_clean_path(installed))
    assert role.returncode == 0 and json.loads(role.stdout)["netfailover.standby.migrate"]["path"].startswith(str(installed))


def test_the_dependency_is_satisfied_beside_it(installed):
    completed = run(["ansible-galaxy", "collection", "list", "--format", "json"], env=with_clean_path(installed))
    assert completed.returncode == 0, completed.stderr
    found = {}
    for path, collections in json.loads(completed.stdout).items():  # in the order Ansible searches them
        for name, meta in collections.items():
            found.setdefault(name, (path, meta["version"]))
    assert found["netfailover.standby"][0].startswith(str(installed)), found
    assert tuple(int(p) for p in found["community.libvirt"][1].split(".")[:2]) >= (2, 0)
    virt = run(["ansible-doc", "-t", "module", "community.libvirt.virt"], env=with_clean_path(installed))
    assert virt.returncode == 0, virt.stderr
