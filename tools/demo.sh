#!/usr/bin/env bash
# `make demo`: bring the lab up and live-migrate its STANDBY guest hv1 -> hv2 with the collection's main
# playbook, then print the per-VM report. The lab stays up afterwards (make lab-down removes it).
set -euo pipefail
# shellcheck source=tools/env.sh
. "$(dirname "$0")/env.sh"
"$repo/tools/lab.sh" up
export NETFAILOVER_REPORT_DIR="$lab_state/reports" ANSIBLE_CONFIG="$repo/ansible.cfg"
rm -rf "$NETFAILOVER_REPORT_DIR"
"$venv/bin/ansible-playbook" -i "$lab_state/inventory.json" "$repo/playbooks/migrate.yml" \
  -e vm=vm1 -e source=hv1 -e destination=hv2 -e migrate_pf=pf0
echo "report: $NETFAILOVER_REPORT_DIR/vm1.json"
"$venv/bin/python" -m json.tool "$NETFAILOVER_REPORT_DIR/vm1.json"
