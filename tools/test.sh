#!/usr/bin/env bash
# Run the checks of `make test`. Usage: tools/test.sh all|lint|sanity|units|lab|molecule
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

lint() { in_collection ansible-lint; }
sanity() { in_collection ansible-test sanity --python 3.11 --venv --requirements; }
units() { in_collection ansible-test units --python 3.11 --local; }
lab() { "$repo/tools/lab.sh" test; }
# Molecule runs from the collection copy; its scenarios call the lab tools of this checkout (NFS_REPO).
molecule_scenarios() { in_collection env NFS_REPO="$repo" MOLECULE_GLOB='molecule/*/molecule.yml' molecule test --all; }

"$repo/tools/sync-collection.sh"
case ${1:-all} in
  all)
    step ansible-lint lint
    step sanity sanity
    step units units
    step lab lab
    step molecule molecule_scenarios
    ;;
  lint) step ansible-lint lint ;;
  sanity) step sanity sanity ;;
  units) step units units ;;
  lab) step lab lab ;;
  molecule) step molecule molecule_scenarios ;;
  *) echo "usage: $0 all|lint|sanity|units|lab|molecule" >&2; exit 2 ;;
esac

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall checks passed\n'
