#!/usr/bin/env python3
"""bench/hunt: the coverage-guided hunt against the unguided one, same seed, same budget, one
after the other in the same run.

Runs the real binary in fresh temp directories:
  1. `powercut check --duration B --seed S --search guided`
  2. `powercut check --duration B --seed S --search uniform`
With --plant KIND@N (and --force NAME=VALUE, --tests M) both hunts search for a loss planted in
the writer while N WAL files are live, and the figure that matters is the case each first finds
it at (the writer reports each planted loss, so RocksDB's own findings are not counted as it):
whether the feedback makes a rare state come sooner.
Figures for each: cases run, distinct feature combinations of crash states reached (the
coverage), distinct findings (one per signature), failing cases in all, cases mutated from the
corpus, and the coverage after each quarter of the budget. Prints one line per figure, the
findings of each hunt (classes, features, replay line), and a final JSON object (also to
--json PATH). The ratios guided / uniform are printed as measured; nothing is asserted.
Exit 0 on a completed measurement, 2 on bad flags, a missing binary, or a hunt that did not
complete (a harness error or an interrupt).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SCHEMA = 1


def fail(code, msg):
    print(f"bench_hunt: {msg}", file=sys.stderr)
    sys.exit(code)


def search_runs(report):
    return [run for run in report["runs"] if run["phase"] == "search"]


def first_planted(report, failed):
    """The 1-based search case whose run first reached the planted state (and, with failed,
    failed: the loss was found), or 0 for never."""
    for k, run in enumerate(search_runs(report), start=1):
        if run.get("test_planted_losses", 0) > 0 and (not failed or run["outcome"] == "fail"):
            return k
    return 0


def hunt(powercut, search, args, work):
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.run([powercut, "check", "--search", search, *args,
                        "--work-dir", os.path.join(work, "w"),
                        "--report-dir", os.path.join(work, "r")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    path = os.path.join(work, "r", "check-report.json")
    if p.returncode not in (0, 1) or not os.path.exists(path):
        fail(2, f"the {search} hunt did not complete (exit {p.returncode}): {p.stderr[-2000:]}")
    with open(path) as f:
        report = json.load(f)
    s = report["summary"]
    timeline = report["timeline"]  # [seconds, cases, combinations, findings] after each case
    budget_s = report["duration_ms"] / 1000.0
    quarters = []
    for q in (0.25, 0.5, 0.75, 1.0):
        reached = [row[2] for row in timeline if row[0] <= q * budget_s]
        quarters.append(reached[-1] if reached else 0)
    return {
        "search": search,
        "wall_s": round(wall, 1),
        "cases": s["cases"],
        "coverage": s["coverage"],
        "findings": s["findings"],
        "failing_cases": s["cases_failed"],
        "mutated": s["cases_mutated"],
        "coverage_by_quarter": quarters,
        # The writer says when the planted rare state was reached (report.json's cycle metric
        # test_planted_losses, in check-report.json's runs): the planted loss is told apart
        # from RocksDB's own findings, which a lost-ack class alone would not.
        "first_case_planted_found": first_planted(report, failed=True),
        "first_case_planted_reached": first_planted(report, failed=False),
        "cases_reaching_plant": sum(1 for run in search_runs(report)
                                    if run.get("test_planted_losses", 0) > 0),
        "finding_list": [{"classes": f["signature"]["classes"],
                          "features": f["signature"]["features"],
                          "error": f["signature"]["error"],
                          "count": f["count"],
                          "first_seen_case": f["first_seen_case"],
                          "replay": f["replay"]} for f in report["findings"]],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--powercut", default="build/harness/powercut")
    ap.add_argument("--duration", default="5m", help="budget of each hunt (default 5m)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cycles-per-case", type=int, default=0, help="0: the hunt's default")
    ap.add_argument("--plant", help="KIND@N: a loss planted in the writer while N WALs are "
                    "live (--test-lose-when-wals); the figure is the case that first finds it")
    ap.add_argument("--force", action="append", default=[],
                    help="NAME=VALUE option every case carries (--test-option), repeatable")
    ap.add_argument("--tests", type=int, default=0, help="cap the cases of each hunt (0: none)")
    ap.add_argument("--profile", help="check --profile: the profiles drawn (default all)")
    ap.add_argument("--fault", help="check --fault: the faults drawn (default all)")
    ap.add_argument("--keep", action="store_true", help="keep the hunts' folders")
    ap.add_argument("--json", help="also write the JSON here")
    a = ap.parse_args()
    if not os.access(a.powercut, os.X_OK):
        fail(2, f"{a.powercut} is not an executable powercut (build it first)")
    args = ["--duration", a.duration, "--seed", str(a.seed)]
    if a.cycles_per_case > 0:
        args += ["--cycles-per-case", str(a.cycles_per_case)]
    if a.tests > 0:
        args += ["--tests", str(a.tests)]
    if a.plant:
        args += ["--test-lose-when-wals", a.plant, "--test-max-shrink-runs", "1"]
    for f in a.force:
        args += ["--test-option", f]
    for flag, value in (("--profile", a.profile), ("--fault", a.fault)):
        if value:
            args += [flag, value]
    root = tempfile.mkdtemp(prefix="powercut-bench-hunt-")
    try:
        results = [hunt(a.powercut, s, args, os.path.join(root, s)) for s in ("guided", "uniform")]
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)
    g, u = results
    for r in results:
        print(f"{r['search']:8} cases {r['cases']:4}  coverage {r['coverage']:5}  "
              f"by quarter {r['coverage_by_quarter']}  distinct findings {r['findings']:3}  "
              f"failing cases {r['failing_cases']:3}  mutated {r['mutated']}"
              + (f"  planted loss first found at case {r['first_case_planted_found'] or 'never'}"
                 f" (its state reached in {r['cases_reaching_plant']} cases)"
                 if a.plant else ""))
        for f in r["finding_list"]:
            print(f"  {f['classes']} x{f['count']} (case {f['first_seen_case']}): "
                  f"{f['features']} {f['error']}\n    {f['replay']}")
    ratio = lambda x, y: round(x / y, 2) if y else None
    summary = {"schema": SCHEMA, "bench": "hunt", "seed": a.seed, "duration": a.duration,
               "plant": a.plant or "", "force": a.force, "tests": a.tests,
               "guided": g, "uniform": u,
               "coverage_ratio": ratio(g["coverage"], u["coverage"]),
               "findings_ratio": ratio(g["findings"], u["findings"])}
    print(f"guided / uniform: coverage {summary['coverage_ratio']}, "
          f"distinct findings {summary['findings_ratio']}")
    text = json.dumps(summary, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
