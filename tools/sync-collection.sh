#!/usr/bin/env bash
# Mirror the working tree into the collections tree (tools/env.sh says where).
# ansible-test only runs inside an ansible_collections/<namespace>/<name> folder and resolves
# symlinks, so the collection tree holds a copy; rsync makes that cheap after the first time.
set -euo pipefail
# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
target="$collection_dir"
mkdir -p "$target"
rsync -a --delete \
  --exclude=/.cache/ --exclude=/.git/ --exclude=/tests/output/ --exclude=/.ansible/ \
  --exclude=__pycache__/ --exclude='*.pyc' --exclude=/docs/build/ --exclude=/lab/state/ --exclude=/bench-results/ \
  "$repo/" "$target/"
