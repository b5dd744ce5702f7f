# Copyright (c) 2026 netfailover.standby contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench` (tools/bench.sh runs `python -m lab.bench.run` from the repository root, as root).

Per rep (BENCH_REPS, default 3), one live migration of vm1 each, with a UDP probe at BENCH_RATE (default 200) probes/s
on the lab's L2 segment for the whole migration:
  baseline  the seed's bash procedure (lab/bench/seed_migrate.sh) over SSH, then the same final guest check as ours
            (guest_failover_info expect=steady, through ansible-playbook);            lab BENCH_PREFIX (nflabb)
  manual    playbooks/migrate.yml, the role's manual dance;                            same lab
  teaming   playbooks/migrate.yml -e variant=teaming (QEMU unplugs the VF);            lab BENCH_TEAMING_PREFIX (nflabbt)
Each run migrates vm1 from where it runs to the other hypervisor, so directions alternate; the order of the variants
alternates between reps (drift).

Fleet (BENCH_FLEET_SIZES, default 8; empty skips it): lab BENCH_FLEET_PREFIX (nflabf) with three hypervisors and as
many guests as the largest size, of BENCH_FLEET_MEMORY MiB (96). For N VMs, the first N run on hv1 and the others are
parked on hv2 and hv3 (every guest always runs: the same load for every N); evacuate.yml --check gives the plan (which
VM goes to hv2, which to hv3). The seed first: its script in a loop over the N VMs, each to its planned destination,
then the same final check as ours. Then the N VMs go back to hv1 (untimed) and ours: playbooks/evacuate.yml -e source=hv1
(plan, waves of BENCH_FLEET_PARALLEL at once, 2). A probe per VM (BENCH_FLEET_RATE probes/s, 100) runs through each
run: each VM's longest outage. The table gives total time, time per VM, and the median and worst of those outages.

Writes bench-results/<timestamp>/results.json, timeline-<variant>-<rep>.svg per run, timeline-rep<rep>.svg (all
variants of a rep side by side), and the logs; prints the table. Labs the bench brought up are taken down at the end
(BENCH_KEEP_LABS=1 keeps them); a lab that was up before is reused and left up.
"""

import contextlib
import datetime
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import stats, timeline_svg

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
VM = "vm1"
FLEET_SOURCE = "hv1"  # the fleet run empties it onto the lab's other hypervisors


def log(message):
    print("bench: " + message, flush=True)


def env_list(name, default):
    value = os.environ.get(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def other(hv):
    return "hv2" if hv == "hv1" else "hv1"


class Config:
    def __init__(self):
        self.reps = int(os.environ.get("BENCH_REPS", "3"))
        self.rate = float(os.environ.get("BENCH_RATE", "200"))
        self.variants = env_list("BENCH_VARIANTS", "baseline,manual,teaming")
        self.fleet_sizes = [int(n) for n in env_list("BENCH_FLEET_SIZES", "8")]
        self.fleet_parallel = int(os.environ.get("BENCH_FLEET_PARALLEL", "2"))
        self.fleet_memory = int(os.environ.get("BENCH_FLEET_MEMORY", "96"))
        # a probe per VM at once: lower than BENCH_RATE, so that N probes and N TCG guests answering them stay light
        self.fleet_rate = float(os.environ.get("BENCH_FLEET_RATE", "100"))
        self.prefix = os.environ.get("BENCH_PREFIX", "nflabb")
        self.teaming_prefix = os.environ.get("BENCH_TEAMING_PREFIX", "nflabbt")
        self.fleet_prefix = os.environ.get("BENCH_FLEET_PREFIX", "nflabf")
        # wait: the one wait the lab forces between the seed's detach and its migration; none: the seed's order unmodified
        self.seed_wait = os.environ.get("BENCH_SEED_WAIT", "wait")
        self.keep_labs = os.environ.get("BENCH_KEEP_LABS", "") == "1"
        # off, the lab's own setting: the emulated embedded switch esw0 does not learn MACs on its uplink pf0-esw, as a
        # real NIC steers a VF's MAC to the VF whatever the PF sees. on: an experiment (a plain learning switch there).
        self.esw_uplink_learning = os.environ.get("BENCH_ESW_UPLINK_LEARNING", "off")
        self.settle = float(os.environ.get("BENCH_SETTLE", "2"))
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = Path(os.environ.get("BENCH_OUT") or REPO / "bench-results" / stamp)
        # The collection the playbooks run: by default a snapshot of this checkout taken when the bench starts (the
        # shared collections tree changes whenever anyone runs tools/sync-collection.sh); BENCH_COLLECTIONS_PATH
        # measures another collections tree instead (for example a patched copy).
        self.collections_path = os.environ.get("BENCH_COLLECTIONS_PATH") or str(self.out / "collection")
        # linear: ansible-core's own strategy. mitogen: Mitogen's mitogen_linear (one Python interpreter kept per
        # hypervisor instead of SSH and a fresh interpreter per task), for ours only; the baseline's final check always
        # runs with ansible-core's own strategy, so the baseline does not move with this setting.
        self.strategy = os.environ.get("BENCH_STRATEGY", "linear")
        self.mitogen_path = mitogen_strategy_path() if self.strategy == "mitogen" else None

    def as_dict(self):
        return {key: str(value) if isinstance(value, Path) else value for key, value in vars(self).items()}


def mitogen_strategy_path():
    """The folder of Mitogen's strategy plugins: BENCH_MITOGEN_PATH (a folder holding the package ansible_mitogen, for
    example an unpacked wheel of mitogen >= 0.3.25, the first for ansible-core 2.19) or where this Python finds it."""
    base = os.environ.get("BENCH_MITOGEN_PATH")
    if base:
        path = Path(base) / "ansible_mitogen" / "plugins" / "strategy"
    else:
        spec = importlib.util.find_spec("ansible_mitogen")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("bench: BENCH_STRATEGY=mitogen: install mitogen into {0} or set BENCH_MITOGEN_PATH to a folder "
                             "holding ansible_mitogen (an unpacked mitogen wheel)".format(VENV_BIN.parent))
        path = Path(list(spec.submodule_search_locations)[0]) / "plugins" / "strategy"
    if not (path / "mitogen_linear.py").is_file():
        raise SystemExit("bench: no mitogen_linear.py in {0}".format(path))
    return str(path)


def run(argv, env=None, stdin=None, timeout=900, check=False):
    """Run a command (argv list, no shell); returns the CompletedProcess with text output."""
    completed = subprocess.run([str(a) for a in argv], env=env, input=stdin, text=True, capture_output=True, timeout=timeout,
                               check=False)
    if check and completed.returncode != 0:
        raise RuntimeError("{0} failed ({1}): {2}{3}".format(" ".join(map(str, argv)), completed.returncode,
                                                             completed.stdout[-2000:], completed.stderr[-2000:]))
    return completed


# --- a lab --------------------------------------------------------------------------------------------------


class Lab:
    """One lab (tools/lab.sh with its own NFLAB_PREFIX), reached like the playbooks reach it: over its SSH config."""

    def __init__(self, prefix, variant="manual", guests=1, esw_uplink_learning="off", settings=None):
        self.prefix = prefix
        self.variant = variant
        self.guests = guests
        self.esw_uplink_learning = esw_uplink_learning
        # more NFLAB_* settings of this lab (the fleet's: NFLAB_HYPERVISORS, NFLAB_GUEST_MEMORY, NFLAB_VFS)
        self.settings = dict(settings or {})
        self.state = Path("/var/lib") / prefix
        self.brought_up = False

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("NFS_LAB_STATE", "NFLAB_VARIANT", "NFLAB_GUESTS") and k not in self.settings}
        env.update(NFLAB_PREFIX=self.prefix, NFLAB_VARIANT=self.variant, NFLAB_GUESTS=str(self.guests), **self.settings)
        return env

    def matches(self, current):
        """Whether the running lab (its status) has this lab's hypervisors and guest memory, where they are set."""
        hypervisors = self.settings.get("NFLAB_HYPERVISORS")
        memory = self.settings.get("NFLAB_GUEST_MEMORY")
        return (hypervisors is None or len(current.get("hypervisors") or []) == int(hypervisors)) and \
            (memory is None or current.get("guest_memory_mib") == int(memory))

    def status(self):
        completed = run([REPO / "tools" / "lab.sh", "status"], env=self.env(), timeout=300)
        try:
            return json.loads(completed.stdout[completed.stdout.index("{"):])
        except ValueError:
            return {"healthy": False, "guests": {}}

    def up(self):
        """Reuses a running lab of the right variant and size whose guests are steady (on either hypervisor: a bench
        leaves them where the last migration put them); otherwise tools/lab.sh up (re)builds it."""
        current = self.status()
        running = all(current.get("namespaces", {}).values()) and all(current.get("processes", {}).values()) and \
            bool(current.get("processes"))
        guests = current.get("guests", {})
        usable = running and current.get("variant") == self.variant and len(guests) == self.guests and \
            self.matches(current) and all(g.get("state") == "steady" for g in guests.values())
        log("lab {0}: {1}".format(self.prefix, "already up, reused" if usable else "bringing it up"))
        if not usable:
            run([REPO / "tools" / "lab.sh", "up"], env=self.env(), timeout=1800, check=True)
            self.brought_up = not running  # a lab that ran before stays up afterwards
        facts = json.loads((self.state / "lab.json").read_text())
        self.net_namespace = facts["net_namespace"]  # pylint: disable=attribute-defined-outside-init
        self.hypervisors = facts["hypervisors"]  # pylint: disable=attribute-defined-outside-init
        self.inventory_data = json.loads((self.state / "inventory.json").read_text())  # pylint: disable=attribute-defined-outside-init
        self.set_esw_learning()

    def set_esw_learning(self):
        for hv in self.hypervisors:
            self.ssh(hv, "bridge", "link", "set", "dev", "pf0-esw", "learning", self.esw_uplink_learning, timeout=60)

    def down(self):
        log("lab {0}: taking it down".format(self.prefix))
        run([REPO / "tools" / "lab.sh", "down"], env=self.env(), timeout=600)

    def rebuild(self):
        """Down and up again (a lab the bench rebuilt is its own: it is taken down at the end)."""
        self.down()
        run([REPO / "tools" / "lab.sh", "up"], env=self.env(), timeout=1800, check=True)
        self.brought_up = True
        self.inventory_data = json.loads((self.state / "inventory.json").read_text())  # pylint: disable=attribute-defined-outside-init
        self.hypervisors = json.loads((self.state / "lab.json").read_text())["hypervisors"]  # pylint: disable=attribute-defined-outside-init
        self.set_esw_learning()

    @property
    def inventory(self):
        return self.state / "inventory.json"

    def hostvars(self, group, host):
        return self.inventory_data["all"]["children"][group]["hosts"][host]

    def ssh(self, hv, *argv, stdin=None, timeout=600):
        return run(["ssh", "-F", self.state / "ssh" / "config", hv] + list(argv), stdin=stdin, timeout=timeout)

    def running_on(self):
        """{vm: hypervisor} of the running guests."""
        where = {}
        for hv in self.hypervisors:
            for name in self.ssh(hv, "virsh", "list", "--name", "--state-running", timeout=120).stdout.split():
                where[name] = hv
        return where

    def wait_steady(self, placement, timeout=180):
        """Waits until every guest of ``placement`` ({vm: hv}) runs there in its steady state."""
        deadline = time.monotonic() + timeout
        seen = {}
        while time.monotonic() < deadline:
            seen = self.status().get("guests", {})
            if all(seen.get(vm) == {"hypervisor": hv, "state": "steady"} for vm, hv in placement.items()):
                return True
            time.sleep(2)
        log("lab {0}: not steady after {1} s: {2}".format(self.prefix, timeout, seen))
        return False


# --- the probe ---------------------------------------------------------------------------------------------


class Probe:
    """lab/probe.py in the lab's network namespace, started before a migration, stopped with SIGTERM after it."""

    def __init__(self, lab, address, rate):
        self.argv = ["ip", "netns", "exec", lab.net_namespace, "python3", REPO / "lab" / "probe.py", address,
                     "--rate", rate, "--timeline"]
        self.process = None

    def __enter__(self):
        # ip netns exec runs the probe in place, so this pid is the probe's own
        self.process = subprocess.Popen([str(a) for a in self.argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # replies flowing before the migration starts
        return self

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        out, err = self.process.communicate(timeout=60)
        try:
            return stats.parse_probe(out)
        except ValueError as error:
            raise RuntimeError("probe failed: {0} {1}".format(error, err[-500:])) from error

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.communicate(timeout=60)


# --- what is measured -------------------------------------------------------------------------------------


def snapshot_collection(root):
    """Copies this checkout into ROOT/ansible_collections/netfailover/standby (what tools/sync-collection.sh copies)
    and links the other collections of the shared tree (community.libvirt, ...) next to it."""
    target = Path(root) / "ansible_collections" / "netfailover" / "standby"
    target.mkdir(parents=True, exist_ok=True)
    run(["rsync", "-a", "--delete", "--exclude=/.cache/", "--exclude=/.git/", "--exclude=/tests/output/", "--exclude=/.ansible/",
         "--exclude=__pycache__/", "--exclude=*.pyc", "--exclude=/docs/build/", "--exclude=/lab/state/", "--exclude=/bench-results/",
         "{0}/".format(REPO), "{0}/".format(target)], check=True)
    shared = Path(os.environ.get("NFS_COLLECTIONS_ROOT", "/var/cache/netfailover.standby/collections")) / "ansible_collections"
    for namespace in shared.iterdir() if shared.is_dir() else []:
        link = Path(root) / "ansible_collections" / namespace.name
        if namespace.name != "netfailover" and not link.exists():
            link.symlink_to(namespace)
    return target


def checkout_state():
    """The commit and the uncommitted changes of the checkout the snapshot was taken from."""
    head = run(["git", "-C", REPO, "rev-parse", "HEAD"]).stdout.strip()
    changed = run(["git", "-C", REPO, "status", "--porcelain"]).stdout.splitlines()
    return {"git_head": head, "uncommitted": changed}


# --- the runs --------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, config):
        self.config = config
        self.out = config.out
        for sub in ("logs", "events", "reports", "probes"):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        self.runs = []
        self.fleet = []
        self.panels = {}
        self.rebuilt = []  # labs started afresh because a guest was not steady before a run
        self.checkout = checkout_state()
        if not os.environ.get("BENCH_COLLECTIONS_PATH"):
            snapshot_collection(config.collections_path)
        self.collection = Path(config.collections_path) / "ansible_collections" / "netfailover" / "standby"
        self.step_vars = stats.load_step_vars(self.collection / "roles" / "migrate" / "vars" / "main.yml")
        self.seed_script = self.collection / "lab" / "bench" / "seed_migrate.sh"

    def ansible_env(self, report_dir=None, events=None, strategy="linear"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("NFLAB_")}
        env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=self.config.collections_path,
                   PATH="{0}:{1}".format(VENV_BIN, os.environ["PATH"]),
                   ANSIBLE_CALLBACK_PLUGINS=str(REPO / "lab" / "bench" / "callbacks"), ANSIBLE_CALLBACKS_ENABLED="bench_steps")
        if strategy == "mitogen":
            # Mitogen applies ansible's host_key_checking itself (StrictHostKeyChecking=yes on its ssh command line,
            # over the lab's SSH config); the lab's hypervisors have throwaway keys its SSH config does not check.
            env.update(ANSIBLE_STRATEGY_PLUGINS=self.config.mitogen_path, ANSIBLE_STRATEGY="mitogen_linear",
                       ANSIBLE_HOST_KEY_CHECKING="False")
        if report_dir:
            env["NETFAILOVER_REPORT_DIR"] = str(report_dir)
        if events:
            env["NFLAB_BENCH_EVENTS"] = str(events)
        return env

    def write_log(self, name, *parts):
        (self.out / "logs" / (name + ".log")).write_text("\n".join(p or "" for p in parts))

    # the baseline ---------------------------------------------------------------------------------------

    def seed(self, lab, vm, source, destination, wait=None):
        """The seed's script for one VM: source part, then (if the migration worked) the destination part.
        Returns (ok, markers, text)."""
        script = self.seed_script.read_text()
        guest = lab.hostvars("guests", vm)
        address = lab.hostvars("hypervisors", destination)["nflab_mgmt_address"]
        src = lab.ssh(source, "bash", "-s", "--", "source", vm, address, guest["nflab_primary_xml"], "pf0",
                      wait or self.config.seed_wait, stdin=script)
        text = "# {0} (source part)\n{1}{2}".format(source, src.stdout, src.stderr)
        if src.returncode != 0:
            # Like the seed, the script does not clean up; put the VM back in its steady state where it still runs.
            back = lab.ssh(source, "bash", "-s", "--", "destination", vm, guest["nflab_primary_xml"], stdin=script)
            text += "# {0} (migration failed: VF back, standby down, as the seed's destination part does)\n{1}{2}".format(
                source, back.stdout, back.stderr)
            return False, stats.parse_seed_markers(src.stdout), text
        dst = lab.ssh(destination, "bash", "-s", "--", "destination", vm, guest["nflab_primary_xml"], stdin=script)
        text += "# {0} (destination part)\n{1}{2}".format(destination, dst.stdout, dst.stderr)
        return dst.returncode == 0, stats.parse_seed_markers(src.stdout + dst.stdout), text

    def verify(self, lab, vms, host, name):
        """The role's last check, run the way ours runs it: guest_failover_info expect=steady through ansible-playbook."""
        play = [{"name": "Verify the migrated guests", "hosts": host, "gather_facts": False, "tasks": [
            {"name": "Verify that the guest is in its steady state", "netfailover.standby.guest_failover_info":
             {"name": "{{ item }}", "expect": ["steady"], "timeout": 60}, "loop": list(vms)}]}]
        with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=self.out, delete=False) as handle:
            handle.write(json.dumps(play))  # JSON is YAML
        completed = run([VENV_BIN / "ansible-playbook", "-i", lab.inventory, handle.name], env=self.ansible_env(), timeout=600)
        os.unlink(handle.name)
        self.write_log(name + "-verify", completed.stdout, completed.stderr)
        return completed.returncode == 0

    def run_baseline(self, lab, rep, source, destination):
        name = "baseline-{0}".format(rep)
        address = lab.hostvars("guests", VM)["nflab_address"]
        with Probe(lab, address, self.config.rate) as probe:
            started = time.time()
            ok, markers, text = self.seed(lab, VM, source, destination)
            script_end = time.time()
            verified = self.verify(lab, [VM], destination, name) if ok else False
            finished = time.time()
            time.sleep(1.0)
            result = probe.stop()
        jobinfo = stats.parse_domjobinfo(lab.ssh(destination, "virsh", "domjobinfo", "--completed", VM).stdout) if ok else {}
        self.write_log(name, text, json.dumps(jobinfo, indent=2))
        failed = stats.failed_seed_steps(markers)
        run_record = self.record("baseline", rep, source, destination, result, ok and verified, started, finished,
                                 error=None if ok and verified else "failed steps: {0}; verified: {1}".format(failed, verified))
        run_record.update(downtime_ms=jobinfo.get("downtime_ms"), script_s=round(script_end - started, 3),
                          verify_s=round(finished - script_end, 3), seed_wait=self.config.seed_wait,
                          steps=[dict(s, seconds=None if s["end"] is None else round(s["end"] - s["start"], 3)) for s in markers])
        origin = result["started_epoch"]
        steps = [{"step": s["step"], "start": s["start"] - origin, "end": (s["end"] or s["start"]) - origin} for s in markers]
        markers_rel = [{"name": "script start", "time": started - origin}, {"name": "script end", "time": script_end - origin},
                       {"name": "verified", "time": finished - origin}]
        self.finish(run_record, result, steps, markers_rel, "baseline (seed script)")
        return run_record

    # ours ------------------------------------------------------------------------------------------------

    def playbook(self, lab, name, playbook, extra, options=()):
        report_dir = self.out / "reports" / name
        events = self.out / "events" / (name + ".jsonl")
        argv = [VENV_BIN / "ansible-playbook", "-i", lab.inventory, self.collection / "playbooks" / playbook, *options]
        for key, value in extra.items():
            argv += ["-e", "{0}={1}".format(key, value)]
        started = time.time()
        completed = run(argv, env=self.ansible_env(report_dir, events, strategy=self.config.strategy), timeout=1800)
        finished = time.time()
        self.write_log(name, completed.stdout, completed.stderr)
        event_list = stats.parse_events(events.read_text()) if events.exists() else []
        reports = {path.stem: json.loads(path.read_text()) for path in report_dir.glob("*.json")} if report_dir.exists() else {}
        return completed.returncode == 0, started, finished, event_list, reports

    def run_ours(self, lab, variant, rep, source, destination):
        name = "{0}-{1}".format(variant, rep)
        address = lab.hostvars("guests", VM)["nflab_address"]
        extra = {"vm": VM, "source": source, "destination": destination, "migrate_pf": "pf0"}
        if variant == "teaming":
            extra["variant"] = "teaming"
        with Probe(lab, address, self.config.rate) as probe:
            ok, started, finished, events, reports = self.playbook(lab, name, "migrate.yml", extra)
            time.sleep(1.0)
            result = probe.stop()
        report = reports.get(VM)
        summary = stats.report_summary(report) if report else {}
        ok = ok and summary.get("outcome") == "migrated"
        run_record = self.record(variant, rep, source, destination, result, ok, started, finished,
                                 error=None if ok else "playbook failed or outcome {0}".format(summary.get("outcome")))
        spans = stats.task_spans(events)
        # one VM per run: its tasks run on the playbook's in-memory host for it (netfailover_vm_0), not a host named vm1
        steps = stats.step_spans(spans, self.step_vars)
        run_record.update(downtime_ms=summary.get("downtime_ms"), role_wall_s=summary.get("role_wall_s"),
                          report_steps=summary.get("steps"),
                          step_walls=[{"step": s["step"], "wall_s": s["seconds"]} for s in steps],
                          step_overheads=stats.step_overheads(steps, summary.get("steps") or []),
                          tasks=[{"name": s["name"], "seconds": s["seconds"], "status": s["status"]} for s in spans])
        run_record.update(stats.time_split(run_record["wall_s"], summary.get("waiting_s")))
        origin = result["started_epoch"]
        book_start, _book_end = stats.playbook_span(events)
        markers = [{"name": "ansible-playbook start", "time": started - origin}]
        if book_start:
            markers.append({"name": "playbook start", "time": book_start - origin})
        markers.append({"name": "verified (exit)", "time": finished - origin})
        gap = run_record.get("longest_gap")
        if gap:
            where = stats.overlapping(spans, origin + gap["start"], origin + gap["end"])
            run_record["outage_during_tasks"] = [s["name"] for s in where]
        rel = [{"step": s["step"], "start": s["start"] - origin, "end": s["end"] - origin} for s in steps]
        self.finish(run_record, result, rel, markers, "ours: migrate.yml, {0}".format(variant))
        return run_record

    # shared ---------------------------------------------------------------------------------------------

    def record(self, variant, rep, source, destination, probe, ok, started, finished, error=None):
        gaps = stats.reply_gaps(probe["timeline"], probe["interval_ms"], sent=probe["sent"])
        longest = stats.longest_gap(gaps)
        return {"variant": variant, "rep": rep, "direction": "{0}->{1}".format(source, destination), "ok": bool(ok),
                "error": error, "outage_ms": probe["longest_gap_ms"], "lost": probe["lost"], "sent": probe["sent"],
                "interval_ms": probe["interval_ms"], "rtt_ms_max": probe.get("rtt_ms_max"),
                "wall_s": round(finished - started, 3), "started": started, "finished": finished,
                "longest_gap": longest, "gaps_over_50ms": [g for g in gaps if g["ms"] >= 50]}

    def finish(self, run_record, probe, steps, markers, label):
        gap = run_record.get("longest_gap")
        run_record["outage_during_steps"] = [s["step"] for s in stats.overlapping(steps, gap["start"], gap["end"])] if gap else []
        gaps = run_record["gaps_over_50ms"]
        duration = (probe["timeline"][-1][0] if probe["timeline"] else 0) + 0.5
        notes = ["{0} {1}".format(run_record["direction"], "ok" if run_record["ok"] else "FAILED: " + str(run_record["error"])),
                 "longest gap {0:g} ms".format(run_record["outage_ms"]), "lost {0}".format(run_record["lost"]),
                 "libvirt downtime {0} ms".format(run_record.get("downtime_ms")), "wall {0:.1f} s".format(run_record["wall_s"])]
        panel = {"label": "{0} (rep {1})".format(label, run_record["rep"]), "duration": max(duration, markers[-1]["time"] + 0.5),
                 "interval_ms": probe["interval_ms"], "replies": [t for t, _seq in probe["timeline"]],
                 "gaps": gaps, "steps": steps, "markers": markers, "notes": notes}
        (self.out / "probes" / "{0}-{1}.json".format(run_record["variant"], run_record["rep"])).write_text(json.dumps(probe))
        (self.out / "probes" / "panel-{0}-{1}.json".format(run_record["variant"], run_record["rep"])).write_text(json.dumps(panel))
        name = "timeline-{0}-{1}.svg".format(run_record["variant"], run_record["rep"])
        (self.out / name).write_text(timeline_svg.build([panel], "{0}, rep {1}".format(label, run_record["rep"])))
        self.panels.setdefault(run_record["rep"], []).append(panel)
        self.runs.append(run_record)
        log("{0} rep {1} {2}: {3}, outage {4:g} ms, lost {5}, downtime {6} ms, wall {7:.1f} s{8}".format(
            run_record["variant"], run_record["rep"], run_record["direction"], "ok" if run_record["ok"] else "FAILED",
            run_record["outage_ms"], run_record["lost"], run_record.get("downtime_ms"), run_record["wall_s"],
            "" if run_record["ok"] else " ({0})".format(run_record["error"])))

    # the phases -----------------------------------------------------------------------------------------

    def migrations(self, labs):
        variants = [v for v in ("baseline", "manual", "teaming") if v in self.config.variants]
        for rep in range(1, self.config.reps + 1):
            order = variants if rep % 2 else list(reversed(variants))
            for variant in order:
                lab = labs["teaming" if variant == "teaming" else "manual"]
                source = lab.running_on().get(VM)
                if source is None or not lab.wait_steady({VM: source}, timeout=60):
                    # e.g. a guest that crashed after an earlier migration (TCG): start the lab afresh, once
                    log("{0} rep {1}: {2} is not steady in lab {3}; rebuilding the lab".format(variant, rep, VM, lab.prefix))
                    self.rebuilt.append({"lab": lab.prefix, "before": "{0} rep {1}".format(variant, rep)})
                    lab.rebuild()
                    source = lab.running_on().get(VM)
                    if source is None or not lab.wait_steady({VM: source}):
                        self.runs.append({"variant": variant, "rep": rep, "ok": False, "error": "guest not steady before the run"})
                        continue
                time.sleep(self.config.settle)
                try:
                    if variant == "baseline":
                        self.run_baseline(lab, rep, source, other(source))
                    else:
                        self.run_ours(lab, variant, rep, source, other(source))
                except Exception as error:  # pylint: disable=broad-except
                    log("{0} rep {1}: {2}".format(variant, rep, error))
                    self.runs.append({"variant": variant, "rep": rep, "ok": False, "error": str(error),
                                      "traceback": traceback.format_exc()})
            panels = self.panels.get(rep, [])
            if panels:
                (self.out / "timeline-rep{0}.svg".format(rep)).write_text(
                    timeline_svg.build(panels, "Rep {0}: guest network during live migration (probe {1:g}/s)".format(rep, self.config.rate)))

    def place(self, lab, wanted):
        """Moves guests (untimed, with the seed's script) until each runs where ``wanted`` says; waits for steady."""
        current = lab.running_on()
        for vm, hv in sorted(wanted.items()):
            if current.get(vm) != hv:
                ok, _markers, text = self.seed(lab, vm, current[vm], hv, wait="wait")
                if not ok:
                    raise RuntimeError("could not place {0} on {1}: {2}".format(vm, hv, text[-1500:]))
        if not lab.wait_steady(wanted):
            raise RuntimeError("guests not steady after placing them: {0}".format(wanted))

    def fleet_phase(self, lab):
        vms = ["vm{0}".format(i) for i in range(1, lab.guests + 1)]
        others = [hv for hv in lab.hypervisors if hv != FLEET_SOURCE]
        for count in self.config.fleet_sizes:
            moving = vms[:count]
            # the other guests keep running, parked on the destinations in turn: the same load for every count
            home = dict({vm: FLEET_SOURCE for vm in moving}, **{vm: others[i % len(others)] for i, vm in enumerate(vms[count:])})
            row = {"vms": count, "source": FLEET_SOURCE, "parallel": self.config.fleet_parallel, "rate": self.config.fleet_rate}
            try:
                self.place(lab, home)
                time.sleep(self.config.settle)
                row["plan"] = self.fleet_plan(lab, count, moving)
                log("fleet {0}: plan {1}".format(count, row["plan"]))
                # the seed first, as in the reps' first order
                row["seed"] = self.fleet_seed(lab, count, moving, row["plan"])
                self.place(lab, home)
                time.sleep(self.config.settle)
                row["ours"] = self.fleet_ours(lab, count, moving)
                row["same_destinations"] = row["ours"]["destinations"] == row["plan"]
            except Exception as error:  # pylint: disable=broad-except
                log("fleet {0}: {1}".format(count, error))
                row["error"] = str(error)
                row["traceback"] = traceback.format_exc()
            self.fleet.append(row)

    def fleet_plan(self, lab, count, moving):
        """evacuate.yml --check: where the plan sends each VM ({vm: destination}); the seed's loop goes there too."""
        name = "fleet-{0}-plan".format(count)
        ok, _started, _finished, _events, reports = self.playbook(
            lab, name, "evacuate.yml", {"source": FLEET_SOURCE, "migrate_pf": "pf0"}, options=["--check"])
        plan = reports.get("evacuation-" + FLEET_SOURCE)
        if not ok or not plan or plan.get("unplaced") or sorted(plan["vms"]) != sorted(moving):
            raise RuntimeError("no plan that places {0}: see logs/{1}.log".format(", ".join(moving), name))
        return {vm: plan["vms"][vm]["destination"] for vm in moving}

    def fleet_probes(self, lab, vms):
        """A probe per VM, started before the run (untimed: each takes a second to see replies flowing)."""
        stack = contextlib.ExitStack()
        probes = {vm: stack.enter_context(Probe(lab, lab.hostvars("guests", vm)["nflab_address"], self.config.fleet_rate))
                  for vm in vms}
        return stack, probes

    def fleet_outages(self, name, probes):
        results = {vm: probe.stop() for vm, probe in probes.items()}
        (self.out / "probes" / (name + ".json")).write_text(json.dumps(results))
        return {vm: result["longest_gap_ms"] for vm, result in results.items()}

    def fleet_seed(self, lab, count, moving, plan):
        """The seed's script in a loop, each VM to its planned destination, then the same final check as ours."""
        name = "fleet-{0}-seed".format(count)
        stack, probes = self.fleet_probes(lab, moving)
        with stack:
            started = time.time()
            texts, failed = [], []
            for vm in moving:
                ok, _markers, text = self.seed(lab, vm, FLEET_SOURCE, plan[vm])
                texts.append(text)
                if not ok:
                    failed.append(vm)
            # every destination's check runs, also after one that failed
            verified = True
            for hv in sorted(set(plan.values())):
                verified = self.verify(lab, [vm for vm in moving if plan[vm] == hv], hv, "{0}-{1}".format(name, hv)) and verified
            finished = time.time()
            time.sleep(1.0)  # replies after the last VM's switch
            outages = self.fleet_outages(name, probes)
        self.write_log(name, *texts)
        result = {"ok": not failed and verified, "failed": failed, "verified": verified, "total_s": round(finished - started, 3),
                  "outage_ms": outages}
        log("fleet {0}: seed loop {1:.1f} s, {2}".format(count, result["total_s"], "ok" if result["ok"] else "FAILED"))
        return result

    def fleet_ours(self, lab, count, moving):
        """playbooks/evacuate.yml -e source=hv1: plan, then waves of BENCH_FLEET_PARALLEL."""
        name = "fleet-{0}-ours".format(count)
        stack, probes = self.fleet_probes(lab, moving)
        with stack:
            ok, started, finished, _events, reports = self.playbook(
                lab, name, "evacuate.yml", {"source": FLEET_SOURCE, "parallel": self.config.fleet_parallel, "migrate_pf": "pf0"})
            time.sleep(1.0)
            outages = self.fleet_outages(name, probes)
        evacuation = reports.get("evacuation-" + FLEET_SOURCE) or {"vms": {}}
        outcomes = {vm: evacuation["vms"].get(vm, {}).get("outcome") for vm in moving}
        result = {"ok": ok and all(o == "migrated" for o in outcomes.values()), "outcomes": outcomes,
                  "destinations": {vm: evacuation["vms"].get(vm, {}).get("destination") for vm in moving},
                  "waves": evacuation.get("waves"), "total_s": round(finished - started, 3), "outage_ms": outages,
                  "downtime_ms": {vm: reports.get(vm, {}).get("libvirt_downtime_ms") for vm in moving}}
        log("fleet {0}: ours {1:.1f} s, {2}".format(count, result["total_s"], outcomes))
        return result

    def results(self):
        ok_runs = [r for r in self.runs if "outage_ms" in r]
        summary = stats.summarise_runs(ok_runs)
        for run_record in self.runs:
            if "outage_ms" not in run_record:  # failed before anything was measured: a failed run all the same
                entry = summary.setdefault(run_record["variant"],
                                           dict({"runs": 0, "failed": 0}, **{m: stats.describe([]) for m in stats.METRICS}))
                entry["runs"] += 1
                entry["failed"] += 1
        ratios = stats.paired_ratios(ok_runs)
        ours = [r for r in ok_runs if r["variant"] != "baseline" and r.get("ok")]
        return {"meta": {"config": self.config.as_dict(), "load_average": os.getloadavg(), "checkout": self.checkout,
                         "collections_path": self.config.collections_path, "labs_rebuilt": self.rebuilt,
                         "finished": datetime.datetime.now().isoformat(timespec="seconds")},
                "summary": summary, "paired_ratios": ratios, "targets": stats.targets(summary, ratios, runs=ok_runs),
                "fleet": stats.fleet_summary(self.fleet) if self.fleet else None,
                "profile": {variant: {"tasks": stats.task_profile_runs([r for r in ours if r["variant"] == variant], top=15),
                                      "step_overheads": stats.merge_step_overheads([r for r in ours if r["variant"] == variant])}
                            for variant in ("manual", "teaming")},
                "runs": self.runs}

    def print_results(self, results):
        variants = [v for v in ("baseline", "manual", "teaming") if v in results["summary"]]
        if variants:
            print("\n" + stats.results_table(results["summary"], results["paired_ratios"], variants))
            print("(medians [min-max] over the reps; 'x baseline' = median of per-rep ratios to the baseline of the same rep; "
                  "strategy of ours: {0})".format(results["meta"]["config"]["strategy"]))
        for variant, judged in results["targets"].items():
            per_run = judged["outage_le_downtime_plus_2_intervals"].get("per_run") or {}
            print("targets {0}: outage <= libvirt downtime + 2 intervals: {1} ({2} <= {3}; run by run: {4}, {5} of {6} runs, "
                  "median excess {7} ms); outage <= half baseline: {8}; wall <= baseline: {9}".format(
                      variant, stats.fmt(judged["outage_le_downtime_plus_2_intervals"]["met"]),
                      stats.fmt(judged["outage_le_downtime_plus_2_intervals"]["value_ms"]),
                      stats.fmt(judged["outage_le_downtime_plus_2_intervals"]["bound_ms"]),
                      stats.fmt(per_run.get("met")), per_run.get("runs_met", 0), per_run.get("runs", 0),
                      stats.fmt((per_run.get("excess_ms") or {}).get("median")),
                      stats.fmt(judged["outage_le_half_baseline"]["met"]), stats.fmt(judged["wall_le_baseline"]["met"])))
        for run_record in self.runs:
            if "outage_ms" in run_record:
                print("outage {0} rep {1}: {2:g} ms during {3}".format(run_record["variant"], run_record["rep"], run_record["outage_ms"],
                                                                       ", ".join(run_record.get("outage_during_steps") or ["-"])))
        if results["fleet"]:
            print("\n" + stats.fleet_table(results["fleet"]))
            print("(each VM's longest outage: a probe per VM at {0:g}/s through the whole run; x seed: ours / the seed's loop "
                  "of the same size)".format(self.config.fleet_rate))
            for row in results["fleet"]["rows"]:
                if row.get("error"):
                    print("fleet {0}: {1}".format(row["vms"], row["error"]))
        for variant, profile in results["profile"].items():
            if profile["step_overheads"]:
                print("\n{0}: per step, median wall s (task) vs module-reported s".format(variant))
                print(stats.format_table(["step", "task wall s", "module s", "overhead s"],
                                         [[s["step"], stats.fmt(s["wall_s"], 2), stats.fmt(s["module_s"], 2), stats.fmt(s["overhead_s"], 2)]
                                          for s in profile["step_overheads"]]))
            if profile["tasks"]:
                print("\n{0}: slowest tasks (median s per run)".format(variant))
                print(stats.format_table(["task", "median s"], [[t["name"][:100], stats.fmt(t["median_s"], 2)] for t in profile["tasks"]]))
        print("\nresults: {0}".format(self.out / "results.json"))


def main():
    config = Config()
    config.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(config)
    log("results in {0}; reps {1}; variants {2}; fleet {3}; strategy {4}".format(config.out, config.reps, config.variants,
                                                                                 config.fleet_sizes, config.strategy))
    labs = {}
    started_labs = []
    try:
        if "baseline" in config.variants or "manual" in config.variants:
            labs["manual"] = Lab(config.prefix, "manual", esw_uplink_learning=config.esw_uplink_learning)
        if "teaming" in config.variants:
            labs["teaming"] = Lab(config.teaming_prefix, "teaming", esw_uplink_learning=config.esw_uplink_learning)
        for lab in labs.values():
            lab.up()
            started_labs.append(lab)
        bench.migrations(labs)
        for lab in labs.values():
            if lab.brought_up and not config.keep_labs:
                lab.down()
                started_labs.remove(lab)
        if config.fleet_sizes:
            guests = max(config.fleet_sizes)
            # hv1 starts every guest: a VF each (the lab's default is 8 per hypervisor)
            settings = {"NFLAB_HYPERVISORS": "3", "NFLAB_GUEST_MEMORY": str(config.fleet_memory), "NFLAB_VFS": str(max(guests, 8))}
            fleet_lab = Lab(config.fleet_prefix, "manual", guests=guests, esw_uplink_learning=config.esw_uplink_learning,
                            settings=settings)
            fleet_lab.up()
            started_labs.append(fleet_lab)
            bench.fleet_phase(fleet_lab)
    finally:
        results = bench.results()
        (config.out / "results.json").write_text(json.dumps(results, indent=2, default=str))
        for lab in started_labs:
            if lab.brought_up and not config.keep_labs:
                lab.down()
    bench.print_results(results)
    fleet_ok = all(not row.get("error") and row["seed"]["ok"] and row["ours"]["ok"] for row in bench.fleet)
    return 0 if all(r.get("ok") for r in bench.runs) and fleet_ok else 1


if __name__ == "__main__":
    sys.exit(main())
