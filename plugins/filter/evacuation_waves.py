# -*- coding: utf-8 -*-
# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter evacuation_waves: the evacuation plan's placements in waves that respect both bounds of parallelism."""

from ansible.errors import AnsibleFilterError


def _bound(name, value):
    """A bound of at least 1; a string of digits (an extra variable given as -e parallel=2) counts as its number."""
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise AnsibleFilterError("evacuation_waves: {0} must be a whole number of at least 1, not {1!r}.".format(name, value))
    number = int(value)
    if number < 1:
        raise AnsibleFilterError("evacuation_waves: {0} must be at least 1, not {1}.".format(name, number))
    return number


def evacuation_waves(placements, parallel=1, parallel_per_destination=1):
    """The VM names of ``placements`` (each a mapping with ``vm`` and ``destination``) in waves: each wave holds at
    most ``parallel`` VMs and at most ``parallel_per_destination`` of them going to one destination. Greedy and in the
    plan's order: each wave takes, in order, every VM that still fits in it, so no VM waits for a later wave while an
    earlier one had room for it."""
    parallel = _bound("parallel", parallel)
    per_destination = _bound("parallel_per_destination", parallel_per_destination)
    waiting = []
    for placement in placements or []:
        if not isinstance(placement, dict) or "vm" not in placement or "destination" not in placement:
            raise AnsibleFilterError("evacuation_waves: each placement needs a vm and a destination, not {0!r}.".format(placement))
        waiting.append(placement)
    waves = []
    while waiting:
        wave, per_host, later = [], {}, []
        for placement in waiting:
            destination = placement["destination"]
            if len(wave) < parallel and per_host.get(destination, 0) < per_destination:
                wave.append(placement["vm"])
                per_host[destination] = per_host.get(destination, 0) + 1
            else:
                later.append(placement)
        waves.append(wave)
        waiting = later
    return waves


class FilterModule:  # pylint: disable=too-few-public-methods
    def filters(self):
        return {"evacuation_waves": evacuation_waves}
