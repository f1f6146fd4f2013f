#!/usr/bin/env python3
"""bench/cycles: how fast powercut cycles, and how fast its writer writes against db_bench.

Drives the real binaries (powercut, powercut-writer, db_bench) in fresh temp directories and
prints one line per figure, a compact table, and a final JSON object (also to --json PATH).

1. Cycles per second: `powercut run --fault kill|power-cut --chains 1|2 --keys 10000` on the
   default profile; from report.json, where a cycle's time goes (fault window, open, the rest),
   split further with probes run right after each run on its chain: writer start
   (powercut-writer --help), a verify-only writer (start + load, open, verify), SIGKILL of a
   writing writer to reaped, and the controller's fdatasync/fsync'd writes.
2. Writer throughput against db_bench fillrandom on the same options, in the same run:
   - harness window: `powercut run --profile puts --option sync=false --fault kill|power-cut
     --cycles 1 --fault-after-min-ms W --fault-after-max-ms W` with a max-ops limit the writer
     cannot reach, so it writes for exactly W ms before the fault: ops/s = ops_acked / W.
   - direct writer: powercut-writer started by this script on a fresh puts chain, timed from
     its `verdict` line to its `done` line over exactly --ops ops (with and without --ledger).
   The ledger's overhead is the power-cut figure over the kill figure.

Nothing here is a test: no figure is compared against a limit except the printed goal line.
Exit 0 on a completed measurement, 1 if a powercut run did not pass (figures of a failing run
mean nothing), 2 on bad flags or missing binaries.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SCHEMA = 1
GOAL_KILL_CPS = 20.0
PUTS_MEAN_VALUE = 144  # the puts profile draws values uniformly from 32..256 bytes
KEY_SIZE = 10          # "k" + 9 digits
# Per-cycle metrics the breakdown would use if the controller reported them (ms).
WANTED_METRICS = {
    "start_ms": "spawn of powercut-writer to its main() (fork+exec+dynamic linking of librocksdb)",
    "verify_ms": "writer's `ready` to its `verdict` line (scan + Verify + checkpoint checks + store metrics)",
    "write_ms": "writer's `verdict` line to the fault firing (the time actually spent writing)",
    "drain_ms": "fault fired to the writer's pipe at EOF and the child reaped",
    "cut_ms": "power cut applied from the ledger (power-cut cycles)",
    "bookkeeping_ms": "after the verdict: oracle AdvanceTo + Save (fsync) + manifest appends",
}


def fail(code, msg):
    print(f"bench_cycles: {msg}", file=sys.stderr)
    sys.exit(code)


def now():
    return time.monotonic()


def summary(values):
    v = [float(x) for x in values]
    if not v:
        return {"count": 0}
    s = sorted(v)
    return {
        "count": len(v),
        "mean": statistics.fmean(v),
        "median": statistics.median(v),
        "p95": s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))],
        "min": s[0],
        "max": s[-1],
    }


def find_binaries(args):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    dirs = [args.build_dir] if args.build_dir else [os.path.join(repo, "build")]
    powercut = args.powercut or os.path.join(dirs[0], "harness", "powercut")
    writer = args.writer or os.path.join(os.path.dirname(powercut), "powercut-writer")
    for p in (powercut, writer):
        if not (os.path.isfile(p) and os.access(p, os.X_OK)):
            fail(2, f"{p} is not an executable: build first (cmake --build BUILD) and pass "
                    "--build-dir BUILD, or --powercut PATH")
    db_bench = shutil.which(args.db_bench) if args.db_bench else None
    if args.db_bench and db_bench is None and not args.skip_throughput:
        fail(2, f"{args.db_bench} not found: install rocksdb-tools (apt-get install "
                "rocksdb-tools), pass --db-bench PATH, or --skip-throughput")
    return powercut, writer, db_bench


class Bench:
    def __init__(self, args, powercut, writer, db_bench, work):
        self.args = args
        self.powercut = powercut
        self.writer = writer
        self.db_bench = db_bench
        self.work = work
        self.n = 0
        self.failed = []
        self.notes = []
        self.lost_sigterms = 0

    def fresh(self, name):
        self.n += 1
        return os.path.join(self.work, f"{self.n:02d}-{name}")

    # ---- powercut run ------------------------------------------------------------------------

    def powercut_run(self, name, flags):
        base = self.fresh(name)
        data, report = base + "-data", base + "-report"
        cmd = [self.powercut, "run", "--seed", str(self.args.seed), "--data-dir", data,
               "--report-dir", report] + flags
        t0 = now()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = now() - t0
        path = os.path.join(report, "report.json")
        if p.returncode != 0 or not os.path.exists(path):
            self.failed.append({"command": " ".join(cmd), "exit": p.returncode,
                                "stderr": p.stderr.strip()[-500:]})
            print(f"  !! {' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[-300:]}")
            rep = None
            if os.path.exists(path):
                with open(path) as f:
                    rep = json.load(f)
            return rep, data, wall, cmd
        with open(path) as f:
            return json.load(f), data, wall, cmd

    # ---- 1. cycles per second ----------------------------------------------------------------

    def cycle_runs(self):
        out = []
        for fault in ("kill", "power-cut"):
            for chains in self.args.chain_counts:
                flags = ["--fault", fault, "--cycles", str(self.args.cycles), "--chains",
                         str(chains), "--keys", str(self.args.keys)] + self.args.extra
                rep, data, wall, cmd = self.powercut_run(f"{fault}-c{chains}", flags)
                if rep is None:
                    continue
                r = self.analyse_cycles(rep, fault, chains, wall)
                r["command"] = "powercut run " + " ".join(flags)
                self.print_cycle_run(r)
                # Probed right after the run, on its own chain, so that they see the same load.
                r["probes"] = self.probes(os.path.join(data, "chain-0"))
                r["rest_split_mean_ms"] = split_rest(r, r["probes"])
                shutil.rmtree(data, ignore_errors=True)
                out.append(r)
        return out

    def probes(self, chain):
        p = {"process_start_ms": self.probe_start(), "verify_only": self.probe_verify(chain),
             "kill_to_reaped_ms": self.probe_kill(chain), "fsync": self.probe_fsync(chain)}
        v, k, f = p["verify_only"], p["kill_to_reaped_ms"], p["fsync"]
        if "error" in v or "error" in k:
            print(f"      probe failed: {v.get('error') or k.get('error')}")
            return p
        print(f"      probes, median ms: writer start {p['process_start_ms']['median']:.1f}; "
              f"verify-only writer on chain-0: start + manifest/oracle load "
              f"{v['start_and_load_ms']['median']:.1f}, open {v['open_ms']['median']:.1f}, "
              f"ready to verdict {v['verify_ms']['median']:.1f}, close "
              f"{v['close_and_exit_ms']['median']:.1f}; SIGKILL to reaped {k['median']:.1f}; "
              f"manifest line + fdatasync {f['manifest_append_ms']['median']:.1f}, "
              f"oracle.bin replace {f['oracle_replace_ms']['median']:.1f}")
        return p

    def analyse_cycles(self, rep, fault, chains, wall):
        cycles = rep.get("cycles", [])
        summ = rep.get("summary", {})
        duration_ms = float(rep.get("duration_s", wall)) * 1000.0
        per = {"cycle_ms": [], "recovery_ms": [], "fault_window_ms": [], "rest_ms": []}
        metrics = {}
        for c in cycles:
            m = c.get("metrics", {})
            for k, v in m.items():
                if isinstance(v, (int, float)):
                    metrics.setdefault(k, []).append(v)
            cyc = float(c.get("cycle_ms", 0.0))
            rec = float(m.get("recovery_ms", c.get("recovery_ms", 0.0)))
            mt = re.search(r"after (\d+) ms", c.get("detail", ""))
            win = float(mt.group(1)) if mt else float("nan")
            per["cycle_ms"].append(cyc)
            per["recovery_ms"].append(rec)
            if mt:
                per["fault_window_ms"].append(win)
                per["rest_ms"].append(cyc - win - rec)
        n = max(1, len(cycles))
        sum_cycle = sum(per["cycle_ms"])
        # Each chain runs its cycles one after another, so a chain's cycles take
        # duration / (cycles / chains) each; what cycle_ms does not cover is the controller's
        # work between a verdict and the next fault (oracle advance + save, manifest appends),
        # plus each chain's setup, first open and final verify-only writer, spread over cycles.
        wall_per_cycle = duration_ms * chains / n
        gap = (duration_ms * chains - sum_cycle) / n
        mean = lambda k: statistics.fmean(per[k]) if per[k] else float("nan")
        extra_ms = {k: statistics.fmean(v) for k, v in metrics.items()
                    if k.endswith("_ms") and k not in ("recovery_ms",)}
        breakdown = {
            "chain_wall_per_cycle_ms": wall_per_cycle,
            "fault_window_ms": mean("fault_window_ms"),
            "open_ms": mean("recovery_ms"),
            "rest_in_cycle_ms": mean("rest_ms"),
            "outside_cycle_ms": gap,
        }
        return {
            "fault": fault,
            "chains": chains,
            "cycles": len(cycles),
            "failed": summ.get("failed"),
            "cycles_per_second": summ.get("cycles_per_second"),
            "duration_s": rep.get("duration_s"),
            "breakdown_mean_ms": breakdown,
            "per_cycle": {k: summary(v) for k, v in per.items()},
            "metrics": {k: summary(v) for k, v in sorted(metrics.items())},
            "reported_time_metrics_mean_ms": extra_ms,
        }

    def print_cycle_run(self, r):
        b = r["breakdown_mean_ms"]
        print(f"  {r['fault']:9s} chains={r['chains']}: {r['cycles_per_second']:.1f} cycles/s "
              f"({r['cycles']} cycles in {r['duration_s']:.1f} s); per cycle, mean ms: "
              f"chain wall {b['chain_wall_per_cycle_ms']:.1f} = fault window "
              f"{b['fault_window_ms']:.1f} + open {b['open_ms']:.1f} + rest "
              f"{b['rest_in_cycle_ms']:.1f} + outside cycle_ms {b['outside_cycle_ms']:.1f}")
        if r["reported_time_metrics_mean_ms"]:
            print("      reported *_ms metrics: " + ", ".join(
                f"{k} {v:.1f}" for k, v in r["reported_time_metrics_mean_ms"].items()))

    # ---- probes: process start, verify-only writer --------------------------------------------

    def probe_start(self):
        times = []
        for _ in range(self.args.probes):
            t0 = now()
            subprocess.run([self.writer, "--help"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times.append((now() - t0) * 1000.0)
        return summary(times)

    def probe_kill(self, chain_dir):
        """SIGKILL to reaped: a writer on a copy of the chain writes for 20 ms, is killed, and
        the time until its pipe is at EOF and it is reaped is what the controller waits."""
        r = self.closed_point(chain_dir)
        times = []
        for _ in range(self.args.probes):
            copy = self.fresh("kill-probe")
            shutil.copytree(chain_dir, copy)
            p = subprocess.Popen([self.writer, "--chain", copy, "--lo", str(r), "--hi", str(r)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            seen, _, _ = self.read_lines(p, stop=lambda l: l.startswith("verdict ") or
                                         l.startswith("error"))
            if not seen or not seen[-1][1].startswith("verdict "):
                p.kill()
                p.wait()
                return {"error": f"writer said {[l[:120] for _, l in seen]}"}
            end = now() + 0.020
            fd = p.stdout.fileno()
            while now() < end:
                os.read(fd, 1 << 20)
            t0 = now()
            p.send_signal(signal.SIGKILL)
            while os.read(fd, 1 << 20):
                pass
            p.wait()
            times.append((now() - t0) * 1000.0)
            p.stdout.close()
            shutil.rmtree(copy, ignore_errors=True)
        return summary(times)

    def probe_fsync(self, chain_dir):
        """What the controller's own durable writes cost here: a manifest line appended with
        fdatasync, and oracle.bin replaced atomically (write, fsync, rename, dir fsync)."""
        size = os.path.getsize(os.path.join(chain_dir, "oracle.bin"))
        d = self.fresh("fsync")
        os.makedirs(d)
        line = b"x" * 300 + b"\n"
        blob = os.urandom(size)
        append_ms, replace_ms = [], []
        fd = os.open(os.path.join(d, "manifest.jsonl"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        for _ in range(self.args.probes):
            t0 = now()
            os.write(fd, line)
            os.fdatasync(fd)
            append_ms.append((now() - t0) * 1000.0)
            t0 = now()
            tmp = os.path.join(d, "oracle.bin.tmp")
            f = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.write(f, blob)
            os.fsync(f)
            os.close(f)
            os.rename(tmp, os.path.join(d, "oracle.bin"))
            dfd = os.open(d, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
            replace_ms.append((now() - t0) * 1000.0)
        os.close(fd)
        shutil.rmtree(d, ignore_errors=True)
        return {"oracle_bytes": size, "manifest_append_ms": summary(append_ms),
                "oracle_replace_ms": summary(replace_ms)}

    def read_lines(self, p, stop=None, light=False):
        """Reads the writer's stdout; returns [(time, line)] for every line but issued/acked,
        and the last acked index. stop(line) ends the read early."""
        fd = p.stdout.fileno()
        buf = b""
        seen = []
        last_acked = None
        first_issued = None
        while True:
            chunk = os.read(fd, 1 << 20)
            t = now()
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            done = False
            for raw in lines:
                line = raw.decode(errors="replace")
                if line.startswith("acked "):
                    last_acked = int(line[6:])
                    continue
                if line.startswith("issued "):
                    if first_issued is None:
                        first_issued = int(line[7:])
                    continue
                seen.append((t, line))
                if stop and stop(line):
                    done = True
            if done:
                break
            if light and len(chunk) < 32768:
                time.sleep(0.0005)  # let the pipe fill: a cheap reader, not a busy one
        return seen, first_issued, last_acked

    def closed_point(self, chain_dir):
        recovered = None
        with open(os.path.join(chain_dir, "manifest.jsonl")) as f:
            for line in f:
                e = json.loads(line)
                if e.get("type") == "closed":
                    recovered = e.get("recovered")
        return recovered

    def probe_verify(self, chain_dir):
        r = self.closed_point(chain_dir)
        if r is None:
            return {"error": f"{chain_dir}: no closed entry in the manifest"}
        spawn_to_ready, open_ms, verify_ms, close_ms = [], [], [], []
        for _ in range(self.args.probes):
            t0 = now()
            p = subprocess.Popen([self.writer, "--chain", chain_dir, "--lo", str(r), "--hi", str(r),
                                  "--verify-only"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            seen, _, _ = self.read_lines(p)
            t_end = now()
            p.wait()
            ready = next(((t, l) for t, l in seen if l.startswith("ready ")), None)
            verdict = next(((t, l) for t, l in seen if l.startswith("verdict ")), None)
            if ready is None or verdict is None or '"pass":true' not in verdict[1].replace(" ", ""):
                return {"error": f"verify-only writer said {[l[:120] for _, l in seen]}"}
            spawn_to_ready.append((ready[0] - t0) * 1000.0)
            open_ms.append(float(ready[1].split()[1]) / 1000.0)
            verify_ms.append((verdict[0] - ready[0]) * 1000.0)
            close_ms.append((t_end - verdict[0]) * 1000.0)
        start = [a - b for a, b in zip(spawn_to_ready, open_ms)]
        return {
            "chain": chain_dir, "point": r, "keys": self.args.keys,
            "spawn_to_ready_ms": summary(spawn_to_ready),
            "open_ms": summary(open_ms),
            "start_and_load_ms": summary(start),
            "verify_ms": summary(verify_ms),
            "close_and_exit_ms": summary(close_ms),
        }

    # ---- 2. throughput ------------------------------------------------------------------------

    def run_db_bench(self):
        db = self.fresh("db_bench")
        cmd = [self.db_bench, "--benchmarks=fillrandom", f"--num={self.args.ops}",
               f"--value_size={PUTS_MEAN_VALUE}", f"--key_size={KEY_SIZE}", "--sync=0",
               "--disable_wal=0", "--threads=1", "--compression_type=snappy",
               "--statistics=1", f"--db={db}", "--seed=1"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        m = re.search(r"^fillrandom\s*:\s*([\d.]+) micros/op (\d+) ops/sec", p.stdout, re.M)
        shutil.rmtree(db, ignore_errors=True)
        if p.returncode != 0 or not m:
            self.failed.append({"command": " ".join(cmd), "exit": p.returncode,
                                "stderr": p.stdout.strip()[-500:]})
            return None, cmd
        if "Assertions are enabled" in p.stdout and not any("assertions" in n.lower() for n in self.notes):
            self.notes.append("Debian's db_bench says 'WARNING: Assertions are enabled' (it is "
                              "built like librocksdb, which the writer links too)")
        return float(m.group(2)), cmd

    def harness_window(self, fault):
        w = self.args.window_ms
        flags = ["--fault", fault, "--profile", "puts", "--option", "sync=false", "--chains", "1",
                 "--cycles", "1", "--max-ops-per-cycle", "10000000", "--fault-after-min-ms",
                 str(w), "--fault-after-max-ms", str(w)]
        rep, data, _, _ = self.powercut_run(f"window-{fault}", flags)
        shutil.rmtree(data, ignore_errors=True)
        if rep is None or not rep.get("cycles"):
            return None, flags
        c = rep["cycles"][0]
        ops = float(c["metrics"]["ops_acked"])
        extra = {k: v for k, v in c["metrics"].items() if k.endswith("_ms") and k != "recovery_ms"}
        if "write_ms" in extra and extra["write_ms"] > 0:
            return {"ops": ops, "ms": extra["write_ms"], "ops_per_second": ops * 1000.0 /
                    extra["write_ms"], "timing": "write_ms metric"}, flags
        return {"ops": ops, "ms": float(w), "ops_per_second": ops * 1000.0 / w,
                "timing": "fault window (seeded fault time)"}, flags

    def make_puts_chain(self):
        base = self.fresh("puts-chain")
        flags = ["--fault", "clean", "--profile", "puts", "--option", "sync=false", "--chains",
                 "1", "--cycles", "1", "--max-ops-per-cycle", str(self.args.ops),
                 "--fault-after-min-ms", "1", "--fault-after-max-ms", "1"]
        rep, data, _, _ = self.powercut_run("puts-chain", flags)
        if rep is None:
            return None
        return os.path.join(data, "chain-0")

    def direct_writer(self, pristine, ledger):
        chain = self.fresh("direct" + ("-ledger" if ledger else ""))
        shutil.copytree(pristine, chain)
        r = self.closed_point(chain)
        cmd = [self.writer, "--chain", chain, "--lo", str(r), "--hi", str(r)]
        if ledger:
            cmd += ["--ledger", chain + "-ledger"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        seen, first, last = self.read_lines(p, stop=lambda l: l == "done" or
                                            l.startswith("error"), light=True)
        verdict = next((t for t, l in seen if l.startswith("verdict ")), None)
        done = next((t for t, l in seen if l == "done"), None)
        self.stop_writer(p)
        shutil.rmtree(chain, ignore_errors=True)
        shutil.rmtree(chain + "-ledger", ignore_errors=True)
        if verdict is None or done is None or first is None or last is None:
            self.failed.append({"command": " ".join(cmd), "said": [l[:200] for _, l in seen]})
            return None
        ops = last - first + 1
        ms = (done - verdict) * 1000.0
        return {"ops": ops, "ms": ms, "ops_per_second": ops * 1000.0 / ms}

    def stop_writer(self, p):
        """SIGTERM, as the clean fault does. powercut-writer waits for it with
        `while (!g_stop) pause();`, so a SIGTERM landing between the test and pause() is lost
        and the writer sleeps on: the signal is sent again every second (and counted)."""
        time.sleep(0.02)
        for _ in range(30):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                self.lost_sigterms += 1
        else:
            p.kill()
            p.wait()
        p.stdout.read()
        p.stdout.close()

    def throughput(self):
        reps = self.args.reps
        res = {"db_bench": [], "window_kill": [], "window_power_cut": [], "direct": [],
               "direct_ledger": []}
        cmds = {}
        pristine = self.make_puts_chain()
        if pristine is None:
            self.notes.append("could not make the puts chain for the direct writer")
        for i in range(reps):
            # Interleaved, so that load from other processes falls on every figure alike.
            v, cmds["db_bench"] = self.run_db_bench()
            if v is not None:
                res["db_bench"].append({"ops": self.args.ops, "ops_per_second": v})
            for fault, key in (("kill", "window_kill"), ("power-cut", "window_power_cut")):
                w, cmds[key] = self.harness_window(fault)
                if w is not None:
                    res[key].append(w)
            if pristine is not None:
                for ledger, key in ((False, "direct"), (True, "direct_ledger")):
                    d = self.direct_writer(pristine, ledger)
                    if d is not None:
                        res[key].append(d)
            line = f"  rep {i + 1}/{reps}:"
            for k, v in res.items():
                if len(v) == i + 1:
                    line += f" {k} {v[-1]['ops_per_second'] / 1000:.1f}k"
            print(line + " ops/s")
        med = {k: (statistics.median(x["ops_per_second"] for x in v) if v else None)
               for k, v in res.items()}

        def ratio(a, b):
            return med[a] / med[b] if med[a] and med[b] else None

        ratios = {
            "harness_kill_over_db_bench": ratio("window_kill", "db_bench"),
            "harness_power_cut_over_db_bench": ratio("window_power_cut", "db_bench"),
            "harness_ledger_power_cut_over_kill": ratio("window_power_cut", "window_kill"),
            "direct_over_db_bench": ratio("direct", "db_bench"),
            "direct_ledger_over_db_bench": ratio("direct_ledger", "db_bench"),
            "direct_ledger_over_no_ledger": ratio("direct_ledger", "direct"),
        }
        return {"reps": res, "median_ops_per_second": med, "ratios": ratios,
                "commands": {k: " ".join(v) if isinstance(v, list) else v
                             for k, v in cmds.items()},
                "window_ms": self.args.window_ms, "ops": self.args.ops}


def split_rest(run, probes):
    """Splits the rest of a cycle (cycle_ms - fault window - open) into its parts: from the
    cycle's own *_ms metrics where report.json has them, else from the probes."""
    b = run["breakdown_mean_ms"]
    reported = run["reported_time_metrics_mean_ms"]
    v = probes.get("verify_only", {})
    start = probes.get("process_start_ms", {}).get("median")
    load = v.get("start_and_load_ms", {}).get("median")
    verify = v.get("verify_ms", {}).get("median")
    kill = probes.get("kill_to_reaped_ms", {}).get("median")
    source = {}
    if "start_ms" in reported:
        load, start, source["start"] = reported["start_ms"], None, "report"
    if "verify_ms" in reported:
        verify, source["verify"] = reported["verify_ms"], "report"
    if "drain_ms" in reported:
        kill, source["kill"] = reported["drain_ms"], "report"
    if load is None or verify is None:
        return None
    kill = kill or 0.0
    cut = reported.get("cut_ms", 0.0)
    out = {
        "start_and_load_ms": load,
        "process_start_ms": start,
        "verify_ms": verify,
        "kill_to_reaped_ms": kill,
        "cut_ms": cut if "cut_ms" in reported else None,
        "controller_other_ms": b["rest_in_cycle_ms"] - load - verify - kill - cut,
        "source": {k: source.get(k, "probe") for k in ("start", "verify", "kill")},
    }
    f = probes.get("fsync")
    if f:
        # In cycle_ms: one manifest line (the cycle). Outside it: the verdict line and oracle.bin.
        out["manifest_fsync_in_cycle_ms"] = f["manifest_append_ms"]["median"]
        out["fsyncs_outside_cycle_ms"] = (f["manifest_append_ms"]["median"] +
                                          f["oracle_replace_ms"]["median"])
    return out


def fmt(v, spec=".1f"):
    return "n/a" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(
        description="bench/cycles: kill and power-cut cycles per second on a 10,000-key chain, "
                    "where a cycle's time goes, and the writer's ops/s against db_bench "
                    "(with and without the ledger). Prints figures and a JSON object.")
    ap.add_argument("--build-dir", help="build tree holding harness/powercut (default: REPO/build)")
    ap.add_argument("--powercut", help="path of the powercut binary (overrides --build-dir)")
    ap.add_argument("--writer", help="path of powercut-writer (default: next to powercut)")
    ap.add_argument("--db-bench", default="db_bench", help="db_bench to compare with (rocksdb-tools)")
    ap.add_argument("--cycles", type=int, default=200, help="cycles per cycle-rate run (default 200)")
    ap.add_argument("--chains", default="1,2", help="chain counts for the cycle-rate runs (default 1,2)")
    ap.add_argument("--keys", type=int, default=10000, help="keys per chain (default 10000)")
    ap.add_argument("--seed", type=int, default=1, help="run seed (default 1)")
    ap.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                    help="extra --option for the cycle-rate runs (repeatable)")
    ap.add_argument("--ops", type=int, default=200000,
                    help="ops of db_bench fillrandom and of the direct writer (default 200000)")
    ap.add_argument("--window-ms", type=int, default=2000,
                    help="how long the harness writer writes before its fault (default 2000)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each throughput figure; "
                    "the median is reported (default 5)")
    ap.add_argument("--probes", type=int, default=15,
                    help="repetitions of the process-start and verify-only probes (default 15)")
    ap.add_argument("--skip-throughput", action="store_true", help="cycle rates only")
    ap.add_argument("--skip-cycles", action="store_true", help="throughput only")
    ap.add_argument("--dir", help="parent of the temp dir (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--json", metavar="PATH", help="also write the JSON object to PATH")
    args = ap.parse_args()
    try:
        args.chain_counts = [int(x) for x in args.chains.split(",") if x]
    except ValueError:
        fail(2, f"--chains {args.chains}: give chain counts like 1,2")
    if (not args.chain_counts or min(args.chain_counts) < 1 or args.cycles < 1 or args.keys < 1
            or args.ops < 1 or args.window_ms < 1 or args.reps < 1 or args.probes < 1):
        fail(2, "--cycles, --chains, --keys, --ops, --window-ms, --reps, --probes must be >= 1")
    args.extra = [x for o in args.option for x in ("--option", o)]
    powercut, writer, db_bench = find_binaries(args)
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-cycles-", dir=args.dir)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load0 = os.getloadavg()
    print(f"bench/cycles: {cpus} cpus, load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} "
          f"at start (other processes share the machine when it is above 0); work dir {work}")
    b = Bench(args, powercut, writer, db_bench, work)
    result = {"bench": "cycles", "schema": SCHEMA, "machine": {"cpus": cpus,
              "loadavg_start": load0}, "binaries": {"powercut": powercut, "writer": writer,
              "db_bench": db_bench}}
    t_start = now()
    runs, tp = [], None
    try:
        if not args.skip_cycles:
            print(f"cycle rate: {args.cycles} cycles each, default profile, {args.keys} keys, "
                  f"seed {args.seed}, fault window 1-40 ms (the powercut default)")
            runs = b.cycle_runs()
        if not args.skip_throughput:
            print(f"writer throughput: puts profile with --option sync=false (removes its 1-in-1000 "
                  f"sync writes, so db_bench --sync=0 matches), {args.reps} reps, medians")
            tp = b.throughput()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    load1 = os.getloadavg()
    result["machine"]["loadavg_end"] = load1
    result["elapsed_s"] = now() - t_start
    result["cycle_runs"] = runs
    result["throughput"] = tp

    kills = [r for r in runs if r["fault"] == "kill" and r["cycles_per_second"] is not None]
    best = max(kills, key=lambda r: r["cycles_per_second"]) if kills else None
    goal = {"goal": f"at least {GOAL_KILL_CPS:g} kill cycles per second on 2 cores",
            "cpus": cpus,
            "best_kill_cycles_per_second": best["cycles_per_second"] if best else None,
            "at_chains": best["chains"] if best else None,
            "met": (best["cycles_per_second"] >= GOAL_KILL_CPS) if best else None}
    result["goal"] = goal
    result["missing_metrics"] = {
        k: v for k, v in WANTED_METRICS.items()
        if not any(k in r["reported_time_metrics_mean_ms"] for r in runs)}
    result["failed_commands"] = b.failed
    result["writer_lost_sigterms"] = b.lost_sigterms
    if b.lost_sigterms:
        b.notes.append(f"powercut-writer lost {b.lost_sigterms} SIGTERM(s) sent right after its "
                       "`done` (harness/writer.cc: `while (!g_stop) pause();` races with the "
                       "signal); the bench sent it again")
    result["notes"] = b.notes + [
        f"figures taken with load average {load0[0]:.1f} -> {load1[0]:.1f} on {cpus} cpus: "
        "other processes were running" if load0[0] > 0.5 else "machine idle at start"]

    # ---- table ----
    print()
    if runs:
        print("mean ms per cycle; wall = window + open + rest + outside; rest split by the probes")
        print(f"{'run':20s} {'cyc/s':>6s} {'wall':>6s} {'window':>6s} {'open':>6s} {'rest':>6s} "
              f"{'outside':>7s} | {'start':>6s} {'verify':>6s} {'kill':>6s} {'other':>6s} "
              f"{'fsyncs':>6s}")
    for r in runs:
        bd = r["breakdown_mean_ms"]
        s = r.get("rest_split_mean_ms") or {}
        load = s.get("start_and_load_ms")
        print(f"{r['fault'] + ' chains=' + str(r['chains']):20s} {r['cycles_per_second']:6.1f} "
              f"{bd['chain_wall_per_cycle_ms']:6.1f} {bd['fault_window_ms']:6.1f} "
              f"{bd['open_ms']:6.1f} {bd['rest_in_cycle_ms']:6.1f} {bd['outside_cycle_ms']:7.1f} | "
              f"{fmt(load):>6s} {fmt(s.get('verify_ms')):>6s} {fmt(s.get('kill_to_reaped_ms')):>6s} "
              f"{fmt(s.get('controller_other_ms')):>6s} "
              f"{fmt(s.get('fsyncs_outside_cycle_ms')):>6s}")
    if runs:
        print("  start = writer start + manifest/oracle load; kill = SIGKILL to reaped; other = "
              "rest - start - verify - kill (spawn, cycle line + fdatasync, ledger, power cut);")
        print("  fsyncs = probed cost of the verdict line + oracle.bin replace, part of outside")
    if tp:
        m, q = tp["median_ops_per_second"], tp["ratios"]
        print(f"{'writer ops/s (median)':22s} db_bench {fmt(m['db_bench'], '.0f')} | harness kill "
              f"{fmt(m['window_kill'], '.0f')}, power-cut {fmt(m['window_power_cut'], '.0f')} | "
              f"direct {fmt(m['direct'], '.0f')}, direct+ledger {fmt(m['direct_ledger'], '.0f')}")
        print(f"{'ratios':22s} harness/db_bench: kill {fmt(q['harness_kill_over_db_bench'], '.2f')}"
              f", power-cut {fmt(q['harness_power_cut_over_db_bench'], '.2f')}; ledger (power-cut/"
              f"kill) {fmt(q['harness_ledger_power_cut_over_kill'], '.2f')} | direct/db_bench "
              f"{fmt(q['direct_over_db_bench'], '.2f')}, +ledger "
              f"{fmt(q['direct_ledger_over_db_bench'], '.2f')}; ledger "
              f"{fmt(q['direct_ledger_over_no_ledger'], '.2f')}")
    if runs and result["missing_metrics"]:
        print("not in report.json, would split a cycle further: " +
              ", ".join(result["missing_metrics"]))
    if goal["met"] is None:
        print(f"goal: {goal['goal']}: NOT MEASURED")
    else:
        print(f"goal: {goal['goal']}: {'MET' if goal['met'] else 'NOT MET'} "
              f"({goal['best_kill_cycles_per_second']:.1f} with --chains {goal['at_chains']}, "
              f"{cpus} cpus, load average {load0[0]:.1f})")
    text = json.dumps(result, indent=1, sort_keys=True)
    print(text)
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            f.write(text + "\n")
        os.replace(args.json + ".tmp", args.json)
    sys.exit(1 if b.failed else 0)


if __name__ == "__main__":
    main()
