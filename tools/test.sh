#!/usr/bin/env bash
# Run the checks of `make test`. Usage: tools/test.sh all|lint|sanity|units|target-python|ecosystem|lab|molecule
# Every step runs even when an earlier one failed; the exit status is non-zero if any failed.
set -uo pipefail
# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
# shellcheck source=/dev/null
. "$venv/bin/activate"
export ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1

failed=()

step() {
  local name=$1
  shift
  printf '\n=== %s ===\n' "$name"
  local started=$SECONDS
  if "$@"; then
    printf '=== %s: passed (%ss) ===\n' "$name" $((SECONDS - started))
  else
    printf '=== %s: FAILED (%ss) ===\n' "$name" $((SECONDS - started))
    failed+=("$name")
  fi
}

in_collection() { (cd "$collection_dir" && "$@"); }
# A command with the venv of ansible-core $1 (tools/env.sh: core_versions) first on PATH.
with_core() {
  local core_bin
  core_bin="$(core_venv "$1")/bin"
  shift
  env PATH="$core_bin:$PATH" VIRTUAL_ENV="${core_bin%/bin}" "$@"
}

lint() { in_collection ansible-lint; }
sanity() { in_collection with_core "$1" ansible-test sanity --python 3.11 --venv --requirements; }
units() { in_collection with_core "$1" ansible-test units --python 3.11 --local; }
# The minimum Python of the code that runs on hypervisors (modules, module_utils: README "Requirements") and of the
# controller-side plugins (ansible-core 2.16's controller minimum), checked statically: only Python 3.11 is here.
target_python_min=3.7
controller_python_min=3.10
target_python() {
  (cd "$repo" && vermin --no-tips --violations --eval-annotations -t="$target_python_min-" plugins/modules plugins/module_utils &&
    vermin --no-tips --violations --eval-annotations -t="$controller_python_min-" plugins/action plugins/filter)
}
lab() { "$repo/tools/lab.sh" test; }
# Molecule runs from the collection copy; its scenarios call the lab tools of this checkout (NFS_REPO).
# NFLAB_PREFIX_BASE: the scenarios' labs are <base>m and <base>t (nflabm, nflabt), so that a run with NFLAB_PREFIX=nflabc
# beside this one uses labs of its own throughout; ANSIBLE_HOME: Molecule keeps each scenario's instance config and
# inventory there (by default in ~/.ansible, under a name that is the same for every checkout).
molecule_env=(NFS_REPO="$repo" NFLAB_PREFIX_BASE="${NFLAB_PREFIX:-nflab}" MOLECULE_GLOB='molecule/*/molecule.yml'
  ANSIBLE_HOME="$cache/ansible-home")
molecule_scenarios() { in_collection env "${molecule_env[@]}" molecule test --all; }
# The default scenario again with the oldest ansible-core (its venv has its own Molecule).
molecule_default_on() {
  in_collection with_core "$1" env "${molecule_env[@]}" molecule test -s default
}

# The Ansible ecosystem (issue 8), offline: one tests/ecosystem file per step (they read this checkout and the
# collections tree), the antsibull linters, the documentation site.
ecosystem_tests() { (cd "$repo" && PYTHONDONTWRITEBYTECODE=1 python -m pytest -p no:cacheprovider -q "tests/ecosystem/$1"); }
# ansible-builder create -f meta/execution-environment.yml into a temporary context, and its introspection
execution_environment() { ecosystem_tests test_execution_environment.py; }
# ansible-doc -t role shows the argument specs; the playbooks' variable tables match the specs
role_interfaces() { ecosystem_tests test_role_interfaces.py; }
# ansible-playbook --syntax-check awx/job_templates.yml, and the surveys against AWX's rules and the playbooks
awx_job_templates() { ecosystem_tests test_awx.py; }
docs_lint() { in_collection antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .; }
# make docs: the HTML site in docs/build/html, with a page for every module, filter and role, and the guide
docs_site() {
  "$repo/tools/docs.sh" || return 1
  local html="$repo/docs/build/html/collections/netfailover/standby" path missing=()
  for path in "$repo"/plugins/modules/*.py; do [ -s "$html/$(basename "$path" .py)_module.html" ] || missing+=("$path"); done
  for path in "$repo"/plugins/filter/*.yml; do [ -s "$html/$(basename "$path" .yml)_filter.html" ] || missing+=("$path"); done
  for path in "$repo"/roles/*/; do [ -s "$html/$(basename "$path")_role.html" ] || missing+=("$path"); done
  [ -s "$html/docsite/guide_migration.html" ] || missing+=(docs/docsite/rst/guide_migration.rst)
  grep -q '(docs/build/html/index.html)' "$repo/README.md" || missing+=("README.md's link to docs/build/html/index.html")
  if [ "${#missing[@]}" -gt 0 ]; then
    printf 'missing from the documentation site: %s\n' "${missing[@]}"
    return 1
  fi
}
changelog_lint() { in_collection antsibull-changelog lint; }
# ansible-galaxy collection build into a temporary folder, then an offline install of the tarball into a clean path
release_tarball() { ecosystem_tests test_release.py; }

# Two steps at a time (the machine has 2 cores and each step is one busy process): each step's output is kept in a
# file and printed whole when the pair is done, in order; the accounting is step()'s.
paired() {
  local dir index=0 first
  dir=$(mktemp -d)
  while [ "$#" -gt 0 ]; do
    first=$index
    for _ in 1 2; do
      [ "$#" -gt 0 ] || break
      # "name command argument" split on purpose; the subshell counts its own step, the parent adds it below
      # shellcheck disable=SC2086,SC2030
      (failed=(); step $1 > "$dir/$index.out" 2>&1; echo "${#failed[@]}" > "$dir/$index.failed"; echo "${1%% *}" > "$dir/$index.name") &
      shift
      index=$((index + 1))
    done
    wait
    for ((i = first; i < index; i++)); do
      cat "$dir/$i.out"
      # shellcheck disable=SC2031
      [ "$(cat "$dir/$i.failed")" = 0 ] || failed+=("$(cat "$dir/$i.name")")
    done
  done
  rm -rf "$dir"
}
# Never two sanity steps at once: ansible-test --venv builds its delegation venv in the collection's tests/output, the
# same folder for every version, and two versions building it together broke each other's pip (seen in a fresh clone).
sanity_steps() {
  step "sanity-$core_oldest" sanity "$core_oldest"
  step "sanity-$core_newest" sanity "$core_newest"
}
units_steps() {
  local version steps=()
  for version in "${core_versions[@]}"; do steps+=("units-$version units $version"); done
  paired "${steps[@]}"
}
# make test's sanity and units, two at a time: each sanity step beside a units step (units run --local, no venv of
# ansible-test's), then the remaining units in pairs.
checks_steps() {
  local version steps=("sanity-$core_oldest sanity $core_oldest") units=()
  for version in "${core_versions[@]}"; do units+=("units-$version units $version"); done
  steps+=("${units[0]}" "sanity-$core_newest sanity $core_newest" "${units[@]:1}")
  paired "${steps[@]}"
}
molecule_steps() {
  step "molecule-$core_newest" molecule_scenarios
  step "molecule-default-$core_oldest" molecule_default_on "$core_oldest"
}

ecosystem_steps() {
  step execution-environment execution_environment
  step role-interfaces role_interfaces
  step awx-job-templates awx_job_templates
  step docs-lint docs_lint
  step docs docs_site
  step changelog-lint changelog_lint
  step release-tarball release_tarball
}

"$repo/tools/sync-collection.sh"
case ${1:-all} in
  all)
    step ansible-lint lint
    checks_steps
    step target-python target_python
    ecosystem_steps
    step lab lab
    molecule_steps
    ;;
  lint) step ansible-lint lint ;;
  sanity) sanity_steps ;;
  units) units_steps ;;
  target-python) step target-python target_python ;;
  lab) step lab lab ;;
  molecule) molecule_steps ;;
  ecosystem) ecosystem_steps ;;
  *) echo "usage: $0 all|lint|sanity|units|target-python|ecosystem|lab|molecule" >&2; exit 2 ;;
esac

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall checks passed\n'
