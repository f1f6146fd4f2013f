#!/usr/bin/env python3
"""bench/threads: concurrent writers (--threads) against db_bench --threads, in one run.

For each thread count T (default 1, 2, 8):
  - powercut: `powercut run --profile puts --threads T --option sync=false --fault kill
    --cycles C --chains 1 --keys K --explore 0` with a fault window of W ms and an op limit the
    writer cannot reach, so each cycle writes for its whole window: ops/s is the cycles'
    ops_acked over their write_ms (the controller's metric, verdict line to fault).
  - db_bench: `db_bench --benchmarks=fillrandom --threads=T --num=N` on the same options
    (WAL on, no sync, snappy, the puts profile's mean value size), its own ops/sec line.
Ratios are taken inside the run, never against stored numbers. The verifier's cost for 1M ops
over 8 threads is bench_verify's (build/bench/bench_verify --threads 8); its command is printed.

Prints one line per figure and a final JSON object (also to --json PATH). Nothing here is a
test: exit 0 on a completed measurement, 1 if a powercut run did not pass, 2 on bad flags or
missing binaries.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PUTS_MEAN_VALUE = 144  # the puts profile draws values uniformly from 32..256 bytes
KEY_SIZE = 10          # "k" + 9 digits


def fail(code, msg):
    print(f"bench_threads: {msg}", file=sys.stderr)
    sys.exit(code)


def powercut_ops_per_second(args, work, threads):
    data = os.path.join(work, f"data-{threads}")
    report = os.path.join(work, f"report-{threads}")
    cmd = [args.powercut, "run", "--seed", str(args.seed), "--profile", "puts", "--threads",
           str(threads), "--option", "sync=false", "--fault", "kill", "--cycles", str(args.cycles),
           "--chains", "1", "--keys", str(args.keys), "--explore", "0", "--max-ops-per-cycle",
           "10000000", "--fault-after-min-ms", str(args.window_ms), "--fault-after-max-ms",
           str(args.window_ms), "--data-dir", data, "--report-dir", report]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        print(p.stdout[-2000:], file=sys.stderr)
        fail(1, f"powercut run --threads {threads} exited {p.returncode}")
    with open(os.path.join(report, "report.json")) as f:
        rep = json.load(f)
    ops = sum(float(c["metrics"]["ops_acked"]) for c in rep["cycles"])
    ms = sum(float(c["metrics"].get("write_ms", args.window_ms)) for c in rep["cycles"])
    shutil.rmtree(data, ignore_errors=True)
    return {"ops": ops, "write_ms": ms, "ops_per_second": ops * 1000.0 / ms,
            "command": " ".join(cmd)}


def db_bench_ops_per_second(args, work, threads):
    db = os.path.join(work, f"db_bench-{threads}")
    cmd = [args.db_bench, "--benchmarks=fillrandom", f"--num={args.db_bench_ops // threads}",
           f"--threads={threads}", f"--value_size={PUTS_MEAN_VALUE}", f"--key_size={KEY_SIZE}",
           "--sync=0", "--disable_wal=0", "--compression_type=snappy", f"--db={db}", "--seed=1"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"^fillrandom\s*:\s*([\d.]+) micros/op (\d+) ops/sec", p.stdout, re.M)
    shutil.rmtree(db, ignore_errors=True)
    if p.returncode != 0 or not m:
        fail(2, f"db_bench failed ({p.returncode}): {p.stdout[-500:]}")
    return {"ops_per_second": float(m.group(2)), "command": " ".join(cmd)}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "build")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--powercut", default=os.path.join(build, "harness", "powercut"))
    ap.add_argument("--db-bench", default="db_bench")
    ap.add_argument("--threads", default="1,2,8", help="thread counts, comma separated")
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--window-ms", type=int, default=2000)
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--db-bench-ops", type=int, default=400000, help="total over the threads")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="also write the JSON result here")
    args = ap.parse_args()
    try:
        counts = [int(t) for t in args.threads.split(",")]
    except ValueError:
        fail(2, f"--threads '{args.threads}': give thread counts like 1,2,8")
    if not os.access(args.powercut, os.X_OK):
        fail(2, f"{args.powercut} not found: build first (bash ci/test.sh)")
    db_bench = shutil.which(args.db_bench)
    if db_bench is None:
        fail(2, f"{args.db_bench} not found: install rocksdb-tools (bash ci/install-deps.sh)")
    args.db_bench = db_bench
    work = tempfile.mkdtemp(prefix="powercut-bench-threads-")
    rows = []
    try:
        for t in counts:
            pc = powercut_ops_per_second(args, work, t)
            db = db_bench_ops_per_second(args, work, t)
            row = {"threads": t, "powercut": pc, "db_bench": db,
                   "powercut_over_db_bench": pc["ops_per_second"] / db["ops_per_second"]}
            rows.append(row)
            print(f"threads {t}: powercut writer {pc['ops_per_second']:.0f} ops/s, db_bench "
                  f"{db['ops_per_second']:.0f} ops/s, ratio {row['powercut_over_db_bench']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0]["powercut"]["ops_per_second"]
    for r in rows:
        r["powercut_speedup_over_first"] = r["powercut"]["ops_per_second"] / base
    verify = os.path.join(build, "bench", "bench_verify") + " --threads 8 --spans 1000000"
    result = {"schema": 1, "bench": "threads", "rows": rows, "verifier_command": verify}
    print(f"verifier cost for 1M ops over 8 threads: {verify}")
    print(json.dumps(result))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
