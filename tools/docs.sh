#!/usr/bin/env bash
# `make docs`: the collection's HTML documentation (every module, filter and role, and docs/docsite) with antsibull-docs
# and Sphinx, offline, into docs/build/html (entry point docs/build/html/index.html; git-ignored).
# The Sphinx project is generated each time by `antsibull-docs sphinx-init` into docs/build/sphinx, so it follows the
# pinned antsibull-docs; its intersphinx links to docs.ansible.com and docs.python.org are dropped (no network here,
# and fetching them only times out), which --lenient allows: such references render as plain text.
set -euo pipefail
# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
# shellcheck source=/dev/null
. "$venv/bin/activate"
"$repo/tools/sync-collection.sh"
build="$repo/docs/build"
sphinx="$build/sphinx"
rm -rf "$sphinx" "$build/html"
mkdir -p "$sphinx"
chmod go-w "$sphinx" # sphinx-init wants an existing folder only its owner can write to
antsibull-docs sphinx-init --use-current --lenient --fail-on-error --dest-dir "$sphinx" netfailover.standby >/dev/null
printf '\n# Offline build (tools/docs.sh): no intersphinx inventories.\nintersphinx_mapping = {}\n' >>"$sphinx/conf.py"
mkdir -p "$sphinx/rst"
chmod go-w "$sphinx/rst" # so does antsibull-docs for its output folder
antsibull-docs --config-file "$sphinx/antsibull-docs.cfg" collection --cleanup everything --fail-on-error --use-current \
  --dest-dir "$sphinx/rst" netfailover.standby
sphinx-build -q -b html -c "$sphinx" "$sphinx/rst" "$build/html"
echo "docs: $build/html/index.html"
