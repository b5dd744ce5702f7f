# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/execution-environment.yml turns into a build context (`ansible-builder create`; building the image needs podman
or docker, which this machine lacks), and Ansible Builder's introspection finds the same requirements when another
execution environment installs this collection.
"""

import re

import pytest
import yaml

from conftest import COLLECTIONS_ROOT, REPO, run

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


def test_the_containerfile_builds_every_stage(context):
    containerfile = (context / "Containerfile").read_text()
    definition = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    assert 'ARG EE_BASE_IMAGE="{0}"'.format(definition["images"]["base_image"]["name"]) in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile
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
