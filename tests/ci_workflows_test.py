#!/usr/bin/env python3
"""ci/nightly.yml and ci/release-gate.yml parse as YAML and hold the jobs and steps the
nightly run and the release gate depend on. Run by ctest: ci_workflows_test.py CI_DIR."""
import sys

import yaml

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def load(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    check(isinstance(doc, dict), f"{path}: not a YAML mapping")
    # YAML 1.1 reads the bare key `on` as the boolean true.
    doc["on"] = doc.get("on", doc.get(True))
    return doc


def runs(job):
    return [s.get("run", "") for s in job.get("steps", [])]


def uses(job, action):
    return [s for s in job.get("steps", []) if s.get("uses", "").startswith(action + "@")]


def any_run(job, *needles):
    return any(all(n in r for n in needles) for r in runs(job))


ci = sys.argv[1]

nightly = load(f"{ci}/nightly.yml")
check("schedule" in nightly["on"] and nightly["on"]["schedule"][0].get("cron"),
      "nightly: no schedule with a cron")
check("workflow_dispatch" in nightly["on"], "nightly: no workflow_dispatch")
jobs = nightly.get("jobs", {})
check(set(jobs) == {"shard", "merge"}, f"nightly: jobs are {sorted(jobs)}, want shard, merge")
shard = jobs.get("shard", {})
check(shard.get("container") == "debian:12", "nightly shard: not in a debian:12 container")
matrix = shard.get("strategy", {}).get("matrix", {}).get("shard")
check(matrix == [1, 2, 3, 4], f"nightly shard: matrix is {matrix}, want [1, 2, 3, 4] (1-based)")
check(shard.get("strategy", {}).get("fail-fast") is False, "nightly shard: fail-fast not off")
check(uses(shard, "actions/checkout"), "nightly shard: no checkout")
check(any_run(shard, "bash ci/install-deps.sh"), "nightly shard: deps not installed")
check(any_run(shard, "cmake -S . -B build", "cmake --build build"), "nightly shard: no build")
check(any_run(shard, "build/harness/powercut run", "--seed ${{ github.run_number }}",
              "--duration 30m", "--shard ${{ matrix.shard }}/4",
              "--report-dir report-${{ matrix.shard }}"),
      "nightly shard: no sharded powercut run with a --duration")
up = [u for u in uses(shard, "actions/upload-artifact")
      if u["with"]["path"].rstrip("/") == "report-${{ matrix.shard }}"]
check(len(up) == 1 and up[0]["with"]["path"].rstrip("/") == "report-${{ matrix.shard }}"
      and up[0]["with"]["name"] == "report-${{ matrix.shard }}"
      and "cancelled" in up[0].get("if", ""),
      "nightly shard: the report folder is not uploaded whatever the run's verdict")

merge = jobs.get("merge", {})
check(merge.get("needs") == "shard", "nightly merge: does not need the shards")
check("cancelled" in merge.get("if", ""), "nightly merge: skipped when a shard fails")
check(merge.get("container") == "debian:12", "nightly merge: not in a debian:12 container")
down = uses(merge, "actions/download-artifact")
check(sorted(d["with"].get("pattern") for d in down) == ["hunt-*", "report-*"],
      "nightly merge: shard and hunt reports not both downloaded")
check(any_run(shard, "build/harness/powercut check --duration", "--report-dir hunt-${{ matrix.shard }}"),
      "nightly shard: no hunt")
hunt_up = [u for u in uses(shard, "actions/upload-artifact")
           if u["with"]["path"].rstrip("/") == "hunt-${{ matrix.shard }}"]
check(len(hunt_up) == 1 and "cancelled" in hunt_up[0].get("if", ""),
      "nightly shard: the hunt report is not uploaded whatever it found")
check(any_run(merge, "powercut merge report-*/report.json --out merged"), "nightly merge: no merge")
up = uses(merge, "actions/upload-artifact")
check(len(up) == 1 and up[0]["with"]["path"].rstrip("/") == "merged"
      and up[0]["with"]["name"] == "powercut-report-merged",
      "nightly merge: merged report not uploaded as powercut-report-merged")
junit = uses(merge, "mikepenz/action-junit-report")
check(len(junit) == 1 and junit[0]["with"]["report_paths"] == "merged/junit.xml",
      "nightly merge: JUnit not published")
check(any_run(merge, "powercut gate merged/report.json --min-cycles 1000",
              "--require-fault kill,power-cut", "--require-no-finding hunt-*/check-report.json"),
      "nightly merge: no gate, or one that ignores the hunts")
names = [s.get("name", "") for s in merge.get("steps", [])]
check(names and names[-1] == "Gate", "nightly merge: the gate is not the last step")

gate = load(f"{ci}/release-gate.yml")
check("workflow_call" in gate["on"] and "workflow_dispatch" in gate["on"],
      "release-gate: not callable and dispatchable")
for trigger in ("workflow_call", "workflow_dispatch"):
    check("run-id" in (gate["on"][trigger] or {}).get("inputs", {}),
          f"release-gate: {trigger} takes no run-id")
gjobs = gate.get("jobs", {})
check(list(gjobs) == ["gate"], f"release-gate: jobs are {list(gjobs)}, want gate")
gjob = gjobs.get("gate", {})
down = uses(gjob, "actions/download-artifact")
check(any(d["with"].get("name") == "powercut-report-merged" and "run-id" in d["with"] for d in down),
      "release-gate: merged report not downloaded")
check(any(d["with"].get("pattern") == "hunt-*" and "run-id" in d["with"] for d in down),
      "release-gate: hunt reports not downloaded")
check(any_run(gjob, "bash ci/install-deps.sh"), "release-gate: deps not installed")
check(any_run(gjob, "powercut gate merged/report.json", "--min-cycles", "--require-fault",
              "--require-no-finding hunt-*/check-report.json"),
      "release-gate: no gate, or one that does not require the hunts to find nothing")
check(gate.get("permissions", {}).get("actions") == "read",
      "release-gate: cannot read another run's artifacts")

# GitHub runs workflows only from .github/workflows/: the copies there must be ci/'s exactly,
# so what this test checks is what runs.
import os
github = os.path.join(os.path.dirname(os.path.abspath(ci)), ".github", "workflows")
for name in ("nightly.yml", "release-gate.yml"):
    mine, theirs = os.path.join(ci, name), os.path.join(github, name)
    if not os.path.exists(theirs):
        check(False, f"{theirs} missing: cp {mine} {theirs}")
        continue
    with open(mine, "rb") as a, open(theirs, "rb") as b:
        check(a.read() == b.read(), f"{theirs} differs from {mine}: cp {mine} {theirs}")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} problems" if failures else "ci workflows: ok")
sys.exit(1 if failures else 0)
