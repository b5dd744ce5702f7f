#!/usr/bin/env bash
# The lab: tools/lab.sh up|down|status|test. `test` runs the lab tests (tests/lab) with pytest;
# they bring the lab up themselves and take it down at the end.
set -euo pipefail
# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
export NFS_COLLECTIONS_ROOT="$collections_root" NFS_LAB_STATE="$lab_state"
"$repo/tools/sync-collection.sh"
case ${1:-} in
  test)
    shift
    cd "$repo"
    # the lab tests run in a three-hypervisor lab (the fleet's evacuations need two destinations)
    export NFLAB_HYPERVISORS=${NFLAB_HYPERVISORS:-3}
    # tools/lab.sh test [pytest options] [test files]: every lab test unless files are named
    paths=tests/lab
    for argument in "$@"; do
      case $argument in -*) ;; *) paths= ;; esac
    done
    # shellcheck disable=SC2086  # paths is empty or one word
    # the slowest tests, timed, at the end of the run (where the suite spends its time)
    exec "$venv/bin/python" -m pytest -p no:cacheprovider --durations=15 $paths "$@"
    ;;
  *) exec "$venv/bin/python" "$repo/lab/nflab.py" "$@" ;;
esac
