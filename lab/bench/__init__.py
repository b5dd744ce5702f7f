# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: guest network outage and wall time of a migration, the seed's script against the collection.

stats (parsing and statistics, pure functions), timeline_svg (the timeline picture), run (the orchestration in the
lab), seed_migrate.sh (the baseline), callbacks/bench_steps.py (wall-clock task times from ansible-playbook).
"""
