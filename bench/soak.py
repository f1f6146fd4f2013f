#!/usr/bin/env python3
"""bench/soak: thousands of crash cycles of every fault family, and not one FAIL or harness failure.

The soak is the checker's own acceptance run: on a correct store (RocksDB 7.8.3 under its
documented contracts) every cycle must PASS and the harness must never fail itself. It runs
these segments, each one `powercut run --keep-going` in a fresh directory (a FAIL starts a
fresh chain, so one failure does not hide the next):

  mix               --fault power-cut,kill,stall                             20,000 cycles
  cut-drop|torn|reorder  --fault power-cut --cut MODE --option sync=true        5,000 each
  crash-at-KIND     --fault power-cut --crash-at KIND (every kind)           2,000 each
  avoid-flush       --fault power-cut,kill,stall
                    --option avoid_flush_during_recovery=true               2,000 cycles
  profile-P         --profile P (backup, cf, txn) --fault power-cut,kill,clean
                    --option sync=true                                      2,000 each

The mix segments leave out the default mix's I/O errors: RocksDB 7.8.3 aborts under some
of them (README, "Known findings"), and the soak asks whether the checker itself holds.

and prints, per segment and in total, cycles, PASS, FAIL (by class), harness failures and wall
time, then a JSON object (also to --json PATH). A FAIL's evidence and reproduce line stay in
the segment's report folder under --work-dir. `--scale 0.05` runs 5 % of every count, for a
quick look. `--jobs 3` runs three segments side by side: a cycle waits on fsyncs and process
starts more than on the CPU, so on 2 cores three runs at once finish about twice as fast as
one after another (measured: 5.8 + 11 + 12 cycles/s side by side against 9 cycles/s alone).
Exit 0 when every segment ran complete with 0 FAIL and 0 harness failures, 1
otherwise, 2 on bad flags or a missing binary.

  python3 bench/soak.py --powercut build/harness/powercut --work-dir /tmp/soak --json soak.json
"""

import argparse
import collections
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time

SCHEMA = 1
CRASH_KINDS = ["wal-append", "wal-sync", "sst-create", "manifest-write", "current-rename",
               "dir-fsync"]


def segments():
    out = [("mix", ["--fault", "power-cut,kill,stall"], 20000)]
    for mode in ["drop", "torn", "reorder"]:
        out.append(("cut-" + mode, ["--fault", "power-cut", "--cut", mode, "--option", "sync=true"],
                    5000))
    for kind in CRASH_KINDS:
        out.append(("crash-at-" + kind, ["--fault", "power-cut", "--crash-at", kind], 2000))
    out.append(("avoid-flush", ["--fault", "power-cut,kill,stall", "--option", "avoid_flush_during_recovery=true"],
                2000))
    # The workloads of issue 15, every write synced (README: the txn profile finds a RocksDB
    # recovery abort there).
    for profile in ["backup", "cf", "txn", "threads"]:
        out.append(("profile-" + profile, ["--profile", profile, "--fault", "power-cut,kill,clean",
                                           "--option", "sync=true"], 2000))
    return out


def run_segment(powercut, work_dir, name, args, cycles, seed, chains):
    root = os.path.join(work_dir, name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    cmd = [powercut, "run", "--seed", str(seed), "--cycles", str(cycles), "--chains", str(chains),
           "--keep-going", "--max-failures", "20", "--data-dir", os.path.join(root, "data"),
           "--report-dir", os.path.join(root, "report")] + args
    t0 = time.monotonic()
    with open(os.path.join(root, "run.out"), "w") as out, \
            open(os.path.join(root, "run.err"), "w") as err:
        rc = subprocess.call(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    wall_s = time.monotonic() - t0
    result = {"segment": name, "command": " ".join(cmd), "exit": rc, "wall_s": round(wall_s, 1),
              "cycles": 0, "passed": 0, "failed": 0, "classes": {}, "harness_failures": 0,
              "harness_failure": "", "complete": False, "reproduce": []}
    report_path = os.path.join(root, "report", "report.json")
    if not os.path.exists(report_path):
        result["harness_failures"] = 1
        with open(os.path.join(root, "run.err")) as f:
            result["harness_failure"] = f.read().strip()[-500:] or "no report written"
        return result
    with open(report_path) as f:
        report = json.load(f)
    classes = collections.Counter()
    for c in report["cycles"]:
        result["cycles"] += 1
        if c["verdict"] == "PASS":
            result["passed"] += 1
        else:
            result["failed"] += 1
            classes.update(c.get("classes", []))
            if len(result["reproduce"]) < 5:
                result["reproduce"].append(c.get("reproduce", ""))
    result["classes"] = dict(classes)
    result["complete"] = bool(report.get("complete"))
    reason = report.get("incomplete_reason", "")
    if rc == 2 or reason.startswith("harness failure"):
        result["harness_failures"] = 1
        result["harness_failure"] = reason
    return result


def print_segment(r):
    classes = ",".join(f"{k}={v}" for k, v in sorted(r["classes"].items()))
    print(f"{r['segment']:<26} {r['cycles']:>7} {r['passed']:>7} {r['failed']:>5} "
          f"{r['harness_failures']:>7} {r['wall_s']:>8.1f}  {classes}", flush=True)
    if r["harness_failure"]:
        print(f"  harness failure: {r['harness_failure']}", flush=True)
    for line in r["reproduce"]:
        print(f"  reproduce: {line}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--powercut", default="build/harness/powercut", help="the powercut binary")
    ap.add_argument("--work-dir", default="powercut-soak", help="one folder per segment")
    ap.add_argument("--seed", type=int, default=1, help="run seed of every segment")
    ap.add_argument("--chains", type=int, default=2, help="chains per segment (2 cores: 2)")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of every cycle count")
    ap.add_argument("--only", default="", help="comma-separated segment names to run")
    ap.add_argument("--jobs", type=int, default=1, help="segments run side by side (1 to 8)")
    ap.add_argument("--json", default="", help="also write the JSON summary here")
    a = ap.parse_args()
    if not (os.path.isfile(a.powercut) and os.access(a.powercut, os.X_OK)):
        print(f"soak: {a.powercut} is not an executable powercut: build it or pass --powercut",
              file=sys.stderr)
        return 2
    if not 1 <= a.jobs <= 8:
        print("soak: --jobs must be 1 to 8", file=sys.stderr)
        return 2
    if not 0 < a.scale <= 1:
        print("soak: --scale must be in (0, 1]", file=sys.stderr)
        return 2
    wanted = set(filter(None, a.only.split(",")))
    plan = [s for s in segments() if not wanted or s[0] in wanted]
    if wanted and len(plan) != len(wanted):
        names = ", ".join(s[0] for s in segments())
        print(f"soak: --only names an unknown segment: use {names}", file=sys.stderr)
        return 2
    os.makedirs(a.work_dir, exist_ok=True)
    results = []
    t0 = time.monotonic()
    print(f"{'segment':<26} {'cycles':>7} {'pass':>7} {'FAIL':>5} {'harness':>7} {'wall s':>8}"
          "  classes")
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        futures = [pool.submit(run_segment, a.powercut, a.work_dir, name, args,
                               max(1, int(cycles * a.scale)), a.seed, a.chains)
                   for name, args, cycles in plan]
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            print_segment(r)
    results.sort(key=lambda r: [s[0] for s in plan].index(r["segment"]))
    total = {k: sum(r[k] for r in results)
             for k in ["cycles", "passed", "failed", "harness_failures"]}
    total["wall_s"] = round(time.monotonic() - t0, 1)
    print(f"{'total':<26} {total['cycles']:>7} {total['passed']:>7} {total['failed']:>5} "
          f"{total['harness_failures']:>7} {total['wall_s']:>8.1f}")
    ok = total["failed"] == 0 and total["harness_failures"] == 0 and all(
        r["complete"] for r in results)
    doc = {"schema": SCHEMA, "seed": a.seed, "scale": a.scale, "chains": a.chains, "jobs": a.jobs,
           "segments": results, "total": total, "ok": ok}
    print(json.dumps(doc))
    if a.json:
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, a.json)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
