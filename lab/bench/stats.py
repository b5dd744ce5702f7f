# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing and statistics for `make bench`: pure functions, no lab access (tests/unit/lab/test_bench.py).

Inputs: the probe's JSON (lab/probe.py), the baseline script's markers (STEP/DONE lines of seed_migrate.sh),
`virsh domjobinfo --completed`, the bench_steps callback's JSON lines and the migrate role's per-VM report.
Every comparison is a ratio against the baseline measured in the same run: absolute times drift on a shared machine.
"""

import json
import re
import statistics

import yaml

# --- the probe -----------------------------------------------------------------------------------------

PROBE_KEYS = ("sent", "received", "lost", "interval_ms", "longest_gap_ms")


def parse_probe(text):
    """The probe's summary: the last line of its output that is a JSON object with the probe's keys."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        missing = [key for key in PROBE_KEYS if key not in document]
        if missing:
            raise ValueError("probe output lacks {0}: {1}".format(", ".join(missing), line[:200]))
        document.setdefault("timeline", [])
        return document
    raise ValueError("no probe JSON in the output: {0!r}".format(text[-300:]))


def reply_gaps(timeline, interval_ms, sent=None, min_lost=1):
    """Stretches without replies: [{start, end, ms, lost}], times in seconds after the probe's first send.

    ``timeline`` is the probe's [[send time, sequence], ...] of answered probes. A gap runs from the last answered probe
    before it to the first answered probe after it (the probe's own definition of longest_gap_ms), so its length is
    accurate to one probe interval. With ``sent``, unanswered probes at the end make a last gap that never closed
    (``end`` is the last send).
    """
    interval = interval_ms / 1000.0
    answered = sorted(timeline, key=lambda entry: entry[1])
    gaps = []
    for (time_before, seq_before), (time_after, seq_after) in zip(answered, answered[1:]):
        if seq_after - seq_before - 1 >= min_lost:
            gaps.append({"start": time_before, "end": time_after, "ms": round((time_after - time_before) * 1000, 1),
                         "lost": seq_after - seq_before - 1, "closed": True})
    if sent is not None and answered and sent - 1 - answered[-1][1] >= min_lost:
        time_last, seq_last = answered[-1]
        end = time_last + (sent - 1 - seq_last) * interval
        gaps.append({"start": time_last, "end": end, "ms": round((end - time_last) * 1000, 1),
                     "lost": sent - 1 - seq_last, "closed": False})
    return gaps


def longest_gap(gaps):
    return max(gaps, key=lambda gap: gap["ms"]) if gaps else None


# --- the baseline script ---------------------------------------------------------------------------------

MARKER = re.compile(r"^(STEP|DONE) (\S+) (\d+(?:\.\d+)?)(?: (-?\d+))?\s*$")


def parse_seed_markers(text):
    """The steps of seed_migrate.sh in order: [{step, start, end, rc}] (end and rc are None for a step that never ended)."""
    steps = []
    open_steps = {}
    for line in text.splitlines():
        match = MARKER.match(line.strip())
        if not match:
            continue
        kind, name, stamp, rc = match.groups()
        if kind == "STEP":
            open_steps[name] = {"step": name, "start": float(stamp), "end": None, "rc": None}
            steps.append(open_steps[name])
        elif name in open_steps:
            open_steps.pop(name).update(end=float(stamp), rc=int(rc) if rc is not None else None)
    return steps


def failed_seed_steps(steps):
    """Names of the steps that failed or never ended."""
    return [step["step"] for step in steps if step["rc"] != 0]


# --- virsh domjobinfo --completed ------------------------------------------------------------------------

def parse_domjobinfo(text):
    """`virsh domjobinfo --completed`: every "Key: value" line (keys in snake_case), plus downtime_ms and
    time_elapsed_ms as numbers when present."""
    fields = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        key = re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")
        if key:
            fields[key] = value.strip()
    for key, target in (("total_downtime", "downtime_ms"), ("time_elapsed", "time_elapsed_ms")):
        match = re.match(r"^(\d+(?:\.\d+)?)\s*ms$", fields.get(key, ""))
        if match:
            fields[target] = int(float(match.group(1)))
    return fields


# --- the bench_steps callback ----------------------------------------------------------------------------

def parse_events(text):
    """The callback's JSON lines (blank lines are skipped)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def playbook_span(events):
    """(start, end) epoch seconds of the playbook run, None where the event is missing."""
    starts = [e["time"] for e in events if e["event"] == "playbook_start"]
    ends = [e["time"] for e in events if e["event"] == "playbook_end"]
    return (min(starts) if starts else None, max(ends) if ends else None)


def task_spans(events):
    """One span per task result: [{name, register, host, status, start, end}].

    A task's start is its latest task_start before the result (with serial batches a task starts once per batch).
    """
    started = {}
    spans = []
    for event in sorted(events, key=lambda e: e["time"]):
        if event["event"] == "task_start":
            started[event["uuid"]] = event["time"]
        elif event["event"] == "result":
            start = started.get(event["uuid"], event["time"])
            spans.append({"name": event["name"], "register": event.get("register"), "host": event.get("host"),
                          "status": event.get("status"), "start": start, "end": event["time"],
                          "seconds": round(event["time"] - start, 3)})
    return spans


def load_step_vars(path):
    """The role's [[step name, registered variable], ...] (roles/migrate/vars/main.yml) as {variable: step}."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {variable: step for step, variable in data["__migrate_step_vars"]}


def step_spans(spans, step_vars, host=None):
    """The role's steps on the wall clock: [{step, host, start, end, seconds}] of the tasks that registered a step's
    result (skipped ones left out), in time order."""
    steps = []
    for span in spans:
        if span["register"] in step_vars and span["status"] != "skipped" and (host is None or span["host"] == host):
            steps.append({"step": step_vars[span["register"]], "host": span["host"], "start": span["start"],
                          "end": span["end"], "seconds": span["seconds"]})
    return sorted(steps, key=lambda s: s["start"])


def task_profile(spans, top=None):
    """Wall seconds per task name over all results, slowest first: [{name, count, total_s, mean_s}]."""
    totals = {}
    for span in spans:
        if span["status"] == "skipped":
            continue
        entry = totals.setdefault(span["name"], {"name": span["name"], "count": 0, "total_s": 0.0})
        entry["count"] += 1
        entry["total_s"] += span["seconds"]
    profile = sorted(totals.values(), key=lambda e: -e["total_s"])
    for entry in profile:
        entry["total_s"] = round(entry["total_s"], 3)
        entry["mean_s"] = round(entry["total_s"] / entry["count"], 3)
    return profile[:top] if top else profile


def overlapping(items, start, end):
    """The items (dicts with start and end; end may be None) whose span meets [start, end]."""
    return [item for item in items
            if item["start"] <= end and (item["end"] if item.get("end") is not None else item["start"]) >= start]


HOST_NAMES = re.compile(r"\bhv\d+\b")
ADDRESSES = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def normalize_task_name(name):
    """A task name with the hypervisors and addresses it was templated with replaced (HV, ADDR), so that the same
    task in both directions of a migration counts as one."""
    return ADDRESSES.sub("ADDR", HOST_NAMES.sub("HV", name))


def task_profile_runs(runs, top=None):
    """Per task name, the median over runs of the seconds it took in each run (its results summed), slowest first.

    ``runs`` carry "tasks": [{name, seconds, status}] (the bench's run records)."""
    per_task = {}
    for run in runs:
        totals = {}
        for task in run.get("tasks") or []:
            if task.get("status") != "skipped":
                name = normalize_task_name(task["name"])
                totals[name] = totals.get(name, 0.0) + task["seconds"]
        for name, seconds in totals.items():
            per_task.setdefault(name, []).append(seconds)
    profile = [{"name": name, "runs": len(values), "median_s": describe(values)["median"]} for name, values in per_task.items()]
    profile.sort(key=lambda entry: -entry["median_s"])
    return profile[:top] if top else profile


def step_overheads(steps, report_steps):
    """Per step of the role: the task's wall seconds (callback) against the seconds its module reported (report).

    overhead_s = wall_s - module_s: Ansible's own time for that step (SSH, module transfer, Python start, libvirt
    connection, result handling). A step whose module reports no seconds counts whole as overhead."""
    walls = {}
    for step in steps:
        walls.setdefault(step["step"], []).append(step["seconds"])
    rows = []
    for entry in report_steps:
        if not walls.get(entry["step"]):
            continue
        wall = walls[entry["step"]].pop(0)
        module = entry.get("seconds")
        module = float(module) if module not in (None, "") else None
        rows.append({"step": entry["step"], "wall_s": wall, "module_s": module,
                     "overhead_s": round(wall - (module or 0.0), 3)})
    return rows


def merge_step_overheads(runs):
    """Medians over runs of each step's wall, module and overhead seconds, in the order the steps ran."""
    order = []
    values = {}
    for run in runs:
        for row in run.get("step_overheads") or []:
            if row["step"] not in values:
                order.append(row["step"])
                values[row["step"]] = {"wall_s": [], "module_s": [], "overhead_s": []}
            for key in ("wall_s", "module_s", "overhead_s"):
                values[row["step"]][key].append(row[key])
    return [dict({key: describe(values[step][key])["median"] for key in ("wall_s", "module_s", "overhead_s")}, step=step)
            for step in order]


# --- the migrate role's report ----------------------------------------------------------------------------

def report_summary(report):
    """What the bench takes from a per-VM report: outcome, libvirt downtime, wall seconds, and the seconds the
    modules reported (waiting on libvirt and the guest) summed over the steps."""
    steps = report.get("steps") or []
    waiting = sum(float(s["seconds"]) for s in steps if s.get("seconds") not in (None, ""))
    downtime = report.get("libvirt_downtime_ms")
    return {"outcome": report.get("outcome"), "variant": report.get("variant"), "final_state": report.get("final_state"),
            "downtime_ms": int(downtime) if downtime not in (None, "") else None,
            "role_wall_s": float(report["wall_seconds"]) if report.get("wall_seconds") not in (None, "") else None,
            "waiting_s": round(waiting, 3),
            "steps": [{"step": s["step"], "seconds": s.get("seconds")} for s in steps]}


def time_split(wall_s, waiting_s):
    """Ansible's own share of a wall time: everything that is not a module waiting on libvirt or the guest."""
    if wall_s is None or waiting_s is None or wall_s <= 0:
        return {"waiting_s": waiting_s, "ansible_s": None, "ansible_share": None}
    ansible_s = max(0.0, wall_s - waiting_s)
    return {"waiting_s": round(waiting_s, 3), "ansible_s": round(ansible_s, 3), "ansible_share": round(ansible_s / wall_s, 3)}


# --- statistics and ratios ------------------------------------------------------------------------------

def describe(values):
    """{n, median, min, max} of the values that are not None (all None when there are none)."""
    present = [v for v in values if v is not None]
    if not present:
        return {"n": 0, "median": None, "min": None, "max": None}
    return {"n": len(present), "median": round(statistics.median(present), 3), "min": round(min(present), 3),
            "max": round(max(present), 3)}


def ratio(numerator, denominator, digits=3):
    if numerator is None or denominator in (None, 0):
        return None
    return round(float(numerator) / float(denominator), digits)


METRICS = ("outage_ms", "lost", "interval_ms", "downtime_ms", "wall_s", "waiting_s", "ansible_s", "ansible_share")


def summarise_runs(runs, metrics=METRICS):
    """{variant: {metric: describe(...), "runs": n, "failed": n}} over the runs of each variant (failed runs count
    only in "failed")."""
    summary = {}
    for run in runs:
        entry = summary.setdefault(run["variant"], {"runs": 0, "failed": 0, "_ok": []})
        entry["runs"] += 1
        if run.get("ok"):
            entry["_ok"].append(run)
        else:
            entry["failed"] += 1
    for entry in summary.values():
        ok = entry.pop("_ok")
        for metric in metrics:
            entry[metric] = describe([run.get(metric) for run in ok])
    return summary


def paired_ratios(runs, baseline="baseline", metrics=("outage_ms", "wall_s")):
    """Per variant: the median over reps of (variant's value / the baseline's value in the same rep), per metric.

    Pairing by rep keeps each ratio within one moment of the run (the machine's load drifts)."""
    by_rep = {}
    for run in runs:
        if run.get("ok"):
            by_rep.setdefault(run["rep"], {})[run["variant"]] = run
    ratios = {}
    for rep_runs in by_rep.values():
        base = rep_runs.get(baseline)
        if base is None:
            continue
        for variant, run in rep_runs.items():
            if variant == baseline:
                continue
            for metric in metrics:
                value = ratio(run.get(metric), base.get(metric))
                if value is not None:
                    ratios.setdefault(variant, {}).setdefault(metric, []).append(value)
    return {variant: {metric: describe(values) for metric, values in per_metric.items()} for variant, per_metric in ratios.items()}


def outage_excess(runs, variant):
    """Per run of ``variant``: its outage minus (its own libvirt downtime + 2 probe intervals), in ms. Each migration
    pauses the guest for its own downtime; comparing one run's outage with another run's downtime mixes two moments."""
    excess = [run["outage_ms"] - run["downtime_ms"] - 2 * run["interval_ms"] for run in runs
              if run.get("variant") == variant and run.get("ok")
              and None not in (run.get("outage_ms"), run.get("downtime_ms"), run.get("interval_ms"))]
    return {"excess_ms": describe(excess), "runs_met": sum(1 for value in excess if value <= 0), "runs": len(excess),
            "met": None if not excess else statistics.median(excess) <= 0}


def targets(summary, ratios, baseline="baseline", runs=()):
    """The issue's targets (reported, not asserted), judged on medians, per variant of ours.

    outage <= libvirt downtime + 2 probe intervals (on the medians, and run by run: ``per_run``); outage <= half the
    baseline's; wall time <= the baseline's."""
    base = summary.get(baseline, {})
    judged = {}
    for variant, entry in summary.items():
        if variant == baseline:
            continue
        outage = entry["outage_ms"]["median"]
        downtime = entry["downtime_ms"]["median"]
        interval = entry.get("interval_ms", {}).get("median")
        bound = downtime + 2 * interval if downtime is not None and interval is not None else None
        base_outage = base.get("outage_ms", {}).get("median")
        base_wall = base.get("wall_s", {}).get("median")
        paired = ratios.get(variant, {})
        judged[variant] = {
            "outage_le_downtime_plus_2_intervals": {"value_ms": outage, "bound_ms": bound,
                                                    "met": None if outage is None or bound is None else outage <= bound,
                                                    "per_run": outage_excess(runs, variant)},
            "outage_le_half_baseline": {"value_ms": outage, "bound_ms": None if base_outage is None else base_outage / 2.0,
                                        "paired_ratio_median": paired.get("outage_ms", {}).get("median"),
                                        "met": None if outage is None or base_outage is None else outage <= base_outage / 2.0},
            "wall_le_baseline": {"value_s": entry["wall_s"]["median"], "bound_s": base_wall,
                                 "paired_ratio_median": paired.get("wall_s", {}).get("median"),
                                 "met": None if entry["wall_s"]["median"] is None or base_wall is None
                                 else entry["wall_s"]["median"] <= base_wall},
        }
    return judged


def fleet_run(run, count):
    """One fleet run (the seed's loop or ours) of ``count`` VMs: ok, total and per-VM seconds, each VM's longest outage
    (the probe's longest gap, ms) as median and worst."""
    if not run:
        return None
    outages = list((run.get("outage_ms") or {}).values())
    described = describe(outages)
    return {"ok": bool(run.get("ok")), "total_s": run.get("total_s"),
            "per_vm_s": round(run["total_s"] / count, 3) if run.get("total_s") is not None and count else None,
            "outage_median_ms": described["median"], "outage_worst_ms": described["max"], "probed": described["n"]}


def fleet_summary(fleet_runs):
    """Fleet rows [{vms, seed: {...}, ours: {...}}] -> per VM count, the seed's loop and ours (fleet_run) and ours / the
    seed's for the total time and the median outage."""
    rows = []
    for row in sorted(fleet_runs, key=lambda r: r["vms"]):
        seed, ours = fleet_run(row.get("seed"), row["vms"]), fleet_run(row.get("ours"), row["vms"])
        rows.append({"vms": row["vms"], "parallel": row.get("parallel"), "seed": seed, "ours": ours,
                     "error": row.get("error"), "same_destinations": row.get("same_destinations"),
                     "total_vs_seed": ratio((ours or {}).get("total_s"), (seed or {}).get("total_s")),
                     "outage_vs_seed": ratio((ours or {}).get("outage_median_ms"), (seed or {}).get("outage_median_ms"))})
    return {"rows": rows}


# --- printing --------------------------------------------------------------------------------------------

def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return "{0:.{1}f}".format(value, digits)
    return str(value)


def fmt_stat(stat, digits=1):
    """median [min-max] of a describe() result."""
    if not stat or stat.get("median") is None:
        return "-"
    if stat["n"] == 1:
        return fmt(float(stat["median"]), digits)
    return "{0} [{1}-{2}]".format(fmt(float(stat["median"]), digits), fmt(float(stat["min"]), digits), fmt(float(stat["max"]), digits))


def format_table(headers, rows):
    """A plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def results_table(summary, ratios, variants):
    """The main table: one row per variant, medians [min-max] over the reps."""
    headers = ["variant", "ok/runs", "outage ms", "x baseline", "lost", "libvirt downtime ms", "wall s", "x baseline",
               "waiting s", "ansible s", "ansible share"]
    rows = []
    for variant in variants:
        entry = summary.get(variant)
        if not entry:
            continue
        paired = ratios.get(variant, {})
        rows.append([variant, "{0}/{1}".format(entry["runs"] - entry["failed"], entry["runs"]),
                     fmt_stat(entry["outage_ms"]), fmt_stat(paired.get("outage_ms"), 2), fmt_stat(entry["lost"], 0),
                     fmt_stat(entry["downtime_ms"], 0), fmt_stat(entry["wall_s"]), fmt_stat(paired.get("wall_s"), 2),
                     fmt_stat(entry["waiting_s"]), fmt_stat(entry["ansible_s"]), fmt_stat(entry["ansible_share"], 2)])
    return format_table(headers, rows)


def fleet_table(fleet):
    """The fleet's rows as a markdown table (the README's and the closing note's form): per VM count, the seed's loop and
    ours, each VM's longest outage as median and worst."""
    lines = ["| Fleet run | VMs | OK | Total time | Per VM | x seed | Longest outage per VM, median | Worst | x seed |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in fleet["rows"]:
        for label, run, total_ratio, outage_ratio in (
                ("Seed script in a loop", row["seed"], None, None),
                ("`evacuate.yml` (plan, parallel {0})".format(row["parallel"]), row["ours"], row["total_vs_seed"],
                 row["outage_vs_seed"])):
            if run is None:
                lines.append("| {0} | {1} | not run{2} | | | | | | |".format(
                    label, row["vms"], ": " + row["error"] if row.get("error") else ""))
                continue
            lines.append("| {0} | {1} | {2} | {3} s | {4} s | {5} | {6} ms | {7} ms | {8} |".format(
                label, row["vms"], fmt(run["ok"]), fmt(run["total_s"]), fmt(run["per_vm_s"]), fmt(total_ratio, 2),
                fmt(run["outage_median_ms"], 0), fmt(run["outage_worst_ms"], 0), fmt(outage_ratio, 2)))
    return "\n".join(lines)
