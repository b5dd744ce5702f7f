# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/execution-environment.yml turns into a build context (`ansible-builder create`; building the image needs podman
or docker, which this machine lacks), and Ansible Builder's introspection finds the same requirements when another
execution environment installs this collection.

The image's ansible-core (the pin of meta/execution-environment.yml) is checked here with that very version, from the venv
tools/setup.sh builds for its minor version: the release tarball installs with it, ansible-doc documents every module,
filter and role, and every playbook passes --syntax-check.
"""

import json
import os
import re

import pytest
import yaml

from conftest import COLLECTION_DIR, COLLECTIONS_ROOT, REPO, run

DEFINITION = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
EE_CORE = re.fullmatch(r"ansible-core==(\d+\.\d+)\.(\d+)", DEFINITION["dependencies"]["ansible_core"]["package_pip"])
EE_CORE_VERSION = "{0}.{1}".format(EE_CORE.group(1), EE_CORE.group(2)) if EE_CORE else None
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())

# Packages the image needs per package family: (build stage only, final image).
PACKAGES = {
    "rpm": ({"gcc", "pkgconf-pkg-config", "python3-devel", "libvirt-devel"}, {"libvirt-libs", "iproute", "openssh-clients"}),
    "dpkg": ({"gcc", "pkg-config", "python3-dev", "libvirt-dev"}, {"libvirt0", "iproute2", "openssh-client"}),
}


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ee") / "context"
    completed = run(["ansible-builder", "create", "-f", REPO / "meta" / "execution-environment.yml", "--context", directory,
                     "--output-filename", "Containerfile"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return directory


def bindep_selection(text, platform, profile=None):
    """The packages bindep picks from a bindep.txt for a platform family and profile (a small subset of bindep's rules)."""
    picked = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._+-]+)(?: \[([^\]]*)\])?", line)
        assert match, "bindep cannot read: " + line
        selectors = (match.group(2) or "").split()
        platforms = [s[len("platform:"):] for s in selectors if s.startswith("platform:")]
        profiles = [s for s in selectors if not s.startswith("platform:")]
        if platforms and platform not in platforms:
            continue
        if profiles and profile not in profiles:
            continue
        picked.add(match.group(1))
    return picked


def core_venv_bin(minor):
    """The bin folder of the venv tools/setup.sh builds for an ansible-core minor version (tools/env.sh: core_venv)."""
    main = REPO / ".cache" / "venv"
    versions = [line.split("==", 1)[1] for line in (REPO / "test-requirements.txt").read_text().splitlines()
                if line.startswith("ansible-core==")]
    if versions and versions[0].rsplit(".", 1)[0] == minor:
        return main / "bin"
    return REPO / ".cache" / "venv-core-{0}".format(minor) / "bin"


def test_the_containerfile_builds_every_stage(context):
    containerfile = (context / "Containerfile").read_text()
    assert DEFINITION["version"] == 3
    assert 'ARG EE_BASE_IMAGE="{0}"'.format(DEFINITION["images"]["base_image"]["name"]) in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core=={0} ansible-runner==2.4.3"'.format(EE_CORE_VERSION) in containerfile
    for stage in ("FROM $EE_BASE_IMAGE AS base", "FROM base AS galaxy", "FROM base AS builder", "FROM base AS final"):
        assert stage in containerfile
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml", containerfile, re.MULTILINE)
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "RUN /output/scripts/assemble" in containerfile and "RUN /output/scripts/install-from-bindep" in containerfile


def test_the_context_holds_the_requirements(context):
    build = context / "_build"
    assert (build / "requirements.txt").read_text() == (REPO / "requirements.txt").read_text()
    assert {re.split(r"[<>=~! ]", line)[0] for line in (build / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")} == {"libvirt-python", "lxml"}
    assert (build / "bindep.txt").read_text() == (REPO / "bindep.txt").read_text()
    collections = [c["name"] for c in yaml.safe_load((build / "requirements.yml").read_text())["collections"]]
    assert "community.libvirt" in collections and "netfailover.standby" in collections
    assert sorted(p.name for p in (build / "scripts").iterdir()) == sorted(
        ["assemble", "check_ansible", "check_galaxy", "entrypoint", "install-from-bindep", "introspect.py", "pip_install"])


@pytest.mark.parametrize("platform", sorted(PACKAGES))
def test_bindep_gives_build_and_runtime_packages(platform):
    text = (REPO / "bindep.txt").read_text()
    build, runtime = PACKAGES[platform]
    assert build <= bindep_selection(text, platform, "compile") - bindep_selection(text, platform)
    assert runtime <= bindep_selection(text, platform)


def test_root_and_meta_name_the_same_files():
    """create resolves meta/execution-environment.yml's paths from meta/, introspection from the collection root."""
    for name in ("requirements.txt", "bindep.txt"):
        assert (REPO / name).resolve() == (REPO / "meta" / name).resolve()
        assert not (REPO / "meta" / name).is_symlink(), "the build context would get a dangling symlink"


def test_introspection_finds_the_collections_requirements():
    completed = run(["ansible-builder", "introspect", "--sanitize", COLLECTIONS_ROOT])
    assert completed.returncode == 0, completed.stderr
    found = yaml.safe_load(completed.stdout.split("\n", 1)[1])
    ours = [line.split("  #")[0] for line in found["python"] + found["system"] if line.endswith("from collection netfailover.standby")]
    assert "libvirt-python>=6.1.0" in ours and "lxml>=4.9" in ours
    assert "libvirt-devel [compile platform:rpm]" in ours and "iproute [platform:rpm]" in ours


# The image's ansible-core, checked with exactly that version.

def test_the_image_pins_an_ansible_core_the_collection_supports():
    assert EE_CORE, "meta/execution-environment.yml must pin ansible-core==X.Y.Z"
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    minimum = re.fullmatch(r">=(\d+)\.(\d+)\.\d+", runtime["requires_ansible"])
    assert minimum and tuple(int(p) for p in EE_CORE.group(1).split(".")) >= (int(minimum.group(1)), int(minimum.group(2)))
    pinned = (REPO / "tests" / "requirements" / "core-{0}.txt".format(EE_CORE.group(1))).read_text()
    assert "ansible-core=={0}\n".format(EE_CORE_VERSION) in pinned, "the {0} venv must pin the image's version".format(EE_CORE.group(1))


@pytest.fixture(scope="module")
def ee_core(tmp_path_factory):
    """Run a command with the image's ansible-core: (run, the clean collections path holding the release tarball)."""
    bin_dir = core_venv_bin(EE_CORE.group(1))
    version = run([bin_dir / "python", "-c", "import ansible.release; print(ansible.release.__version__)"])
    assert version.stdout.strip() == EE_CORE_VERSION, "tools/setup.sh builds the venv {0}: {1}".format(bin_dir, version.stderr)

    def with_core(argv, env=None, **kwargs):
        environment = {"PATH": "{0}:{1}".format(bin_dir, os.environ["PATH"]), "ANSIBLE_NOCOLOR": "1"}
        environment.update(env or {})
        return run([bin_dir / argv[0]] + list(argv[1:]), env=environment, **kwargs)

    output = tmp_path_factory.mktemp("ee-release")
    built = with_core(["ansible-galaxy", "collection", "build", "--output-path", output], cwd=COLLECTION_DIR)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = output / "{0}-{1}-{2}.tar.gz".format(GALAXY["namespace"], GALAXY["name"], GALAXY["version"])
    clean = tmp_path_factory.mktemp("ee-clean")
    installed = with_core(["ansible-galaxy", "collection", "install", tarball, "-p", clean, "--offline", "--no-deps"],
                          env={"ANSIBLE_COLLECTIONS_PATH": str(clean)})
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "does not support Ansible version" not in installed.stdout + installed.stderr
    return with_core, clean


def with_clean_path(clean):
    return {"ANSIBLE_COLLECTIONS_PATH": "{0}:{1}".format(clean, COLLECTIONS_ROOT)}


@pytest.mark.parametrize("plugin_type", ["module", "filter", "role"])
def test_the_images_core_documents_every_plugin(ee_core, plugin_type):
    with_core, clean = ee_core
    listed = with_core(["ansible-doc", "-t", plugin_type, "-l", "--json", "netfailover.standby"], env=with_clean_path(clean))
    assert listed.returncode == 0 and not listed.stderr.strip(), listed.stderr
    names = sorted(json.loads(listed.stdout))
    source = {"module": sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py")),
              "filter": sorted(p.stem for p in (REPO / "plugins" / "filter").glob("*.yml")),
              "role": sorted(p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file())}[plugin_type]
    assert names == ["netfailover.standby." + name for name in source]
    shown = with_core(["ansible-doc", "-t", plugin_type, "--json"] + names, env=with_clean_path(clean))
    assert shown.returncode == 0 and not shown.stderr.strip(), shown.stderr
    docs = json.loads(shown.stdout)
    assert sorted(docs) == names
    for name in names:
        where = docs[name]["doc"]["filename"] if plugin_type != "role" else docs[name]["path"]
        assert where.startswith(str(clean) + os.sep), "{0} came from {1}, not the tarball".format(name, where)


@pytest.mark.parametrize("playbook", sorted(p.stem for p in (REPO / "playbooks").glob("*.yml")))
def test_the_images_core_parses_the_playbooks(ee_core, playbook):
    """The playbooks by their collection name, as an AWX job template or `ansible-playbook netfailover.standby.X` runs them."""
    with_core, clean = ee_core
    completed = with_core(["ansible-playbook", "--syntax-check", "netfailover.standby." + playbook,
                           "-e", json.dumps({"vm": "vm1", "source": "hv1", "destination": "hv2"})], env=with_clean_path(clean))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # Only the warnings of a run without an inventory (no hosts, and the group migrate.yml adds at run time).
    expected = ("No inventory was parsed", "provided hosts list is empty", "Could not match supplied host pattern")
    warnings = re.findall(r"^\[(?:WARNING|DEPRECATION WARNING)\]: (.*)", completed.stderr, re.MULTILINE)
    assert [w for w in warnings if not w.startswith(expected)] == [], completed.stderr
