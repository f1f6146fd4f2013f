#!/usr/bin/env python3
"""bench/explore: crash states judged per second with exploration, beside cycles per second
without it, on the same plan, in the same run.

Runs the real binaries in fresh temp directories:
  1. `powercut run --seed S --cycles C --fault F --explore 0`: one state (the cycle's own) per
     writer run; figure: cycles/s.
  2. `powercut run --seed S --cycles C --fault F --explore N`: the same plan with N crash states
     judged per writer run; figures: distinct crash states judged per second (images a judge
     opened, over the run's wall time), crash states settled per second (duplicates of an
     image judged by its verdict), and where a state's time goes: image build, RocksDB's open,
     the judge (process start to verdict), each per image.
Prints one line per figure and a final JSON object (also to --json PATH). Nothing here is a
test: the only comparison is the printed goal line. Exit 0 on a completed measurement, 1 if a
run did not pass (figures of a failing run mean nothing), 2 on bad flags or missing binaries.
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
GOAL_STATES_PER_S = 150.0


def fail(code, msg):
    print(f"bench_explore: {msg}", file=sys.stderr)
    sys.exit(code)


def run(powercut, args, work):
    os.makedirs(work, exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.run([powercut, "run", *args, "--data-dir", os.path.join(work, "data"),
                        "--report-dir", os.path.join(work, "report")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        fail(1, f"powercut run {' '.join(args)} exited {p.returncode}:\n{p.stdout[-2000:]}"
                f"{p.stderr[-2000:]}")
    with open(os.path.join(work, "report", "report.json")) as f:
        return json.load(f), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--powercut", default="build/harness/powercut")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cycles", type=int, default=60)
    ap.add_argument("--fault", default="mix")
    ap.add_argument("--explore", default="16")
    ap.add_argument("--json", help="also write the JSON object here")
    a = ap.parse_args()
    if not os.access(a.powercut, os.X_OK):
        fail(2, f"no powercut binary at {a.powercut}: build first (cmake --build build -j2)")
    tmp = tempfile.mkdtemp(prefix="powercut-bench-explore-")
    try:
        plan = ["--seed", str(a.seed), "--cycles", str(a.cycles), "--fault", a.fault]
        base, base_wall = run(a.powercut, plan + ["--explore", "0"], os.path.join(tmp, "off"))
        rep, wall = run(a.powercut, plan + ["--explore", a.explore], os.path.join(tmp, "on"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cs = rep["summary"]["crash_states"]
    build = opened = judge = 0.0
    for c in rep["cycles"]:
        e = c.get("exploration")
        if e:
            build += e["build_ms"]
            opened += e["open_ms"]
            judge += e["judge_ms"]
    images = max(cs["judged"], 1)
    out = {
        "schema": SCHEMA,
        "plan": plan,
        "explore": a.explore,
        "cores": os.cpu_count(),
        "explore_0": {"cycles": base["summary"]["cycles"], "wall_s": round(base_wall, 2),
                      "cycles_per_s": round(base["summary"]["cycles"] / base_wall, 2)},
        "explore_n": {"cycles": rep["summary"]["cycles"], "wall_s": round(wall, 2),
                      "images_judged": cs["judged"], "states_settled": cs["settled"],
                      "distinct_planned": cs["distinct"], "failed": cs["failed"],
                      "distinct_states_judged_per_s": round(cs["judged"] / wall, 1),
                      "states_per_s": round((cs["judged"] + cs["settled"]) / wall, 1),
                      "per_image_ms": {"build": round(build / images, 2),
                                       "open": round(opened / images, 2),
                                       "judge": round(judge / images, 2)}},
    }
    n = out["explore_n"]
    print(f"--explore 0:  {out['explore_0']['cycles_per_s']} cycles/s "
          f"({out['explore_0']['cycles']} cycles in {out['explore_0']['wall_s']} s), one state each")
    print(f"--explore {a.explore}: {n['distinct_states_judged_per_s']} distinct crash states "
          f"judged/s, {n['states_per_s']} states/s with settled duplicates "
          f"({n['images_judged']} images, {n['states_settled']} settled, {n['cycles']} cycles "
          f"in {n['wall_s']} s)")
    print(f"per image: build {n['per_image_ms']['build']} ms, RocksDB open "
          f"{n['per_image_ms']['open']} ms, judge (start to verdict) {n['per_image_ms']['judge']} ms")
    ratio = n["distinct_states_judged_per_s"] / max(out["explore_0"]["cycles_per_s"], 1e-9)
    print(f"ratio: {ratio:.1f} distinct states judged per second for each cycle per second "
          f"without exploration")
    met = n["distinct_states_judged_per_s"] >= GOAL_STATES_PER_S
    print(f"goal: {GOAL_STATES_PER_S:.0f} distinct crash states judged/s on "
          f"{os.cpu_count()} cores: {'MET' if met else 'NOT MET'}")
    text = json.dumps(out, indent=2)
    print(text)
    if a.json:
        tmpf = a.json + ".tmp"
        with open(tmpf, "w") as f:
            f.write(text + "\n")
        os.replace(tmpf, a.json)


if __name__ == "__main__":
    main()
