#!/usr/bin/env bash
# `make bench`: guest network outage and wall time of a live migration, the seed's bash procedure against the
# collection's playbooks (manual and teaming), and a fleet evacuation (three hypervisors: N VMs from hv1 onto hv2 and
# hv3 with evacuate.yml's plan, against the seed's script in a loop); prints the tables and writes
# bench-results/<timestamp>/ (results.json, SVG timelines, logs). Not part of `make test`; it takes a while.
# Settings (environment): BENCH_REPS (3), BENCH_RATE (200 probes/s), BENCH_VARIANTS (baseline,manual,teaming),
# BENCH_FLEET_SIZES (8; a list of VM counts, empty skips the fleet), BENCH_FLEET_PARALLEL (2: evacuate.yml's parallel),
# BENCH_FLEET_MEMORY (96 MiB per guest), BENCH_FLEET_RATE (100 probes/s, a probe per VM), BENCH_PREFIX (nflabb),
# BENCH_TEAMING_PREFIX (nflabbt), BENCH_FLEET_PREFIX (nflabf), BENCH_SEED_WAIT (wait|none), BENCH_KEEP_LABS (1 keeps the
# labs up), BENCH_OUT,
# BENCH_STRATEGY (linear, ansible-core's own; mitogen: Mitogen's mitogen_linear for our playbooks, found in the venv or
# in BENCH_MITOGEN_PATH, a folder holding ansible_mitogen such as an unpacked mitogen wheel; README "Performance").
set -euo pipefail
# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
"$repo/tools/sync-collection.sh"
cd "$repo"
exec "$venv/bin/python" -m lab.bench.run "$@"
