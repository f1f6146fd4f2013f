// Tests of reports/: the three report formats, their atomic writing, merge and the gate.
// Formats are checked by independent parsers (python3's jsonschema and xml.etree), not by
// our own code reading back what it wrote.
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>
#include "tests/e2e_support.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reports/gate.h"
#include "reports/merge.h"
#include "reports/merge_evidence.h"
#include "reports/prometheus.h"
#include "reports/report_loader.h"
#include "reports/report_writer.h"
#include "reports/run_result.h"
#include "reports/step_summary.h"
#include "reports/summary.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace powercut::reports;
using powercut::Status;

namespace {

// A fresh directory, removed with everything in it when the test ends.
using e2e::TempDir;

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Proc {
  int exit_code = -1;
  std::string output;
};

// Runs a shell command, capturing stdout and stderr together.
Proc RunCommand(const std::string& cmd) {
  Proc p;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(f != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) p.output.append(buf, n);
  int status = pclose(f);
  p.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return p;
}

// Runs a python3 script (written to `dir`) with arguments.
Proc RunPython(const fs::path& dir, const std::string& script, const std::string& args) {
  const fs::path file = dir / "check.py";
  e2e::WriteFile(file, script);
  return RunCommand("python3 '" + file.string() + "' " + args);
}

fs::path SchemaPath() {
  const char* src = std::getenv("POWERCUT_SOURCE_DIR");
  REQUIRE(src != nullptr);  // ctest sets it to the repository root
  fs::path p = fs::path(src) / "reports" / "report.schema.json";
  REQUIRE(fs::exists(p));
  return p;
}

CycleResult PassCycle(uint64_t chain, uint64_t cycle, const std::string& fault, double rec_ms) {
  CycleResult c;
  c.chain = chain;
  c.cycle = cycle;
  c.fault = fault;
  c.verdict = "PASS";
  c.resume = cycle * 100;
  c.acked = cycle * 100 + 50;
  c.lo = c.acked;
  c.hi = c.acked + 1;
  c.recovered = c.acked;
  c.recovery_ms = rec_ms;
  c.cycle_ms = 100 + rec_ms;
  c.detail = "SIGKILL after 51 ops";
  return c;
}

// A failed cycle whose text holds every character XML and shells care about.
CycleResult FailCycle(uint64_t chain, uint64_t cycle, size_t findings) {
  CycleResult c = PassCycle(chain, cycle, "kill", 40);
  c.verdict = "FAIL";
  c.classes = {"lost-ack", "torn-batch"};
  c.lo = 812;
  c.hi = 830;
  c.acked = 829;
  c.recovered = 790;
  c.mismatches = findings;
  c.detail = "open said <Corruption & \"bad\" 'block'>";
  c.reproduce = "powercut replay report.json --cycle " + std::to_string(cycle);
  for (size_t i = 0; i < findings; ++i) {
    KeyFinding f;
    f.key = "k" + std::to_string(10001000 + i);
    f.klass = i % 2 ? "torn-batch" : "lost-ack";
    f.expected = "op " + std::to_string(800 + i) + " len 64";
    f.found = "absent";
    c.findings.push_back(f);
  }
  return c;
}

RunResult GoodRun() {
  RunResult run;
  run.tool_version = "0.1.0";
  run.seed = 42;
  run.plan = {{"profile", "default"}, {"fault", "mix"}, {"cycles", 4}, {"options", json::object()}};
  run.contract = "process-kill/wal: lo = last acked op";
  run.complete = true;
  run.started_at = "2024-05-01T02:00:00Z";
  run.duration_s = 2.0;
  run.cycles = {PassCycle(0, 1, "kill", 10), PassCycle(1, 2, "stall", 30),
                PassCycle(0, 3, "kill", 20), PassCycle(1, 4, "clean", 40)};
  return run;
}

RunResult FailedRun() {
  RunResult run = GoodRun();
  run.cycles[2] = FailCycle(0, 3, 12);
  return run;
}

RunResult Shard(uint64_t index, uint64_t count) {
  RunResult run = GoodRun();
  run.shard = std::to_string(index + 1) + "/" + std::to_string(count);  // shards count from 1
  run.duration_s = 2.0 + static_cast<double>(index);
  run.started_at = "2024-05-01T02:00:0" + std::to_string(5 - index) + "Z";
  if (index == 1) run.cycles.push_back(PassCycle(2, 5, "power-cut", 50));
  return run;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool OneLine(const Status& s) { return !s.ok() && !Contains(s.message(), "\n"); }

}  // namespace

TEST_CASE("summary derives counts, speed, recovery stats and status from the cycles") {
  const Summary s = Summarize(FailedRun());
  CHECK(s.cycles == 4);
  CHECK(s.passed == 3);
  CHECK(s.failed == 1);
  CHECK(s.verdicts_by_class == std::map<std::string, uint64_t>{{"lost-ack", 1}, {"torn-batch", 1}});
  CHECK(s.faults_seen == std::map<std::string, uint64_t>{{"clean", 1}, {"kill", 2}, {"stall", 1}});
  CHECK(s.cycles_per_second == Approx(2.0));
  // An I/O error cycle is seen as its ending and as io-error, for `gate --require-fault`.
  RunResult io = FailedRun();
  io.cycles[0].io_error = "wal-sync:2:fatal:once";
  const Summary si = Summarize(io);
  CHECK(si.faults_seen.at("io-error") == 1);
  CHECK(si.faults_seen.at(io.cycles[0].fault) == s.faults_seen.at(io.cycles[0].fault));
  CHECK(s.recovery_ms_min == 10);
  CHECK(s.recovery_ms_median == Approx(35));  // 10, 30, 40, 40: mean of the middle two
  CHECK(s.recovery_ms_max == 40);
  CHECK(s.status == "fail");
  CHECK(Summarize(GoodRun()).status == "pass");

  RunResult interrupted = FailedRun();
  interrupted.complete = false;
  CHECK(Summarize(interrupted).status == "incomplete");  // incomplete wins over fail

  RunResult empty;
  empty.complete = true;
  const Summary e = Summarize(empty);
  CHECK(e.cycles == 0);
  CHECK(e.cycles_per_second == 0);
  CHECK(e.recovery_ms_median == 0);
}

TEST_CASE("report.json round trips through ToJson and FromJson") {
  for (RunResult run : {GoodRun(), FailedRun(), Shard(1, 2)}) {
    run.cycles[0].shard = "1/3";  // the optional per-cycle field survives too
    const json doc = ToJson(run);
    CHECK(doc["schema_version"] == kReportSchemaVersion);
    CHECK(doc["summary"]["cycles"] == run.cycles.size());
    RunResult back;
    Status s = FromJson(doc, &back);
    REQUIRE(s.ok());
    CHECK(back == run);
    // And through text, as a file would carry it.
    RunResult from_text;
    REQUIRE(FromJson(json::parse(doc.dump(2)), &from_text).ok());
    CHECK(from_text == run);
  }
}

TEST_CASE("ToJson gives every FAIL cycle a reproduce command and caps findings") {
  RunResult run = FailedRun();
  run.cycles[2].reproduce.clear();
  run.cycles[2].findings = FailCycle(0, 3, 70).findings;
  const json doc = ToJson(run);
  CHECK(doc["cycles"][2]["reproduce"] == "powercut replay report.json --cycle 3");
  CHECK(doc["cycles"][2]["findings"].size() == kMaxFindingsPerCycle);
  CHECK(doc["cycles"][0]["reproduce"] == "");  // PASS cycles carry none
  CHECK(doc["summary"]["status"] == "fail");
  CHECK(doc["summary"]["failed"] == 1);
  CHECK(doc["summary"]["verdicts_by_class"]["lost-ack"] == 1);
  CHECK(doc["summary"]["faults_seen"]["kill"] == 2);
  CHECK(doc["summary"]["recovery_ms"]["median"] == Approx(35));
  RunResult back;
  REQUIRE(FromJson(doc, &back).ok());
}

TEST_CASE("FromJson rejects malformed reports naming the field") {
  const json good = ToJson(FailedRun());
  struct Case {
    const char* name;
    std::function<void(json&)> tamper;
    const char* field;  // must appear in the message
  };
  const std::vector<Case> cases = {
      {"seed of wrong type", [](json& d) { d["seed"] = "42"; }, "'seed'"},
      {"cycles deleted", [](json& d) { d.erase("cycles"); }, "'cycles' is missing"},
      {"summary deleted", [](json& d) { d.erase("summary"); }, "'summary' is missing"},
      {"unknown schema version", [](json& d) { d["schema_version"] = 2; },
       "unknown schema version"},
      {"schema version missing", [](json& d) { d.erase("schema_version"); }, "'schema_version'"},
      {"schema version a string", [](json& d) { d["schema_version"] = "1"; }, "'schema_version'"},
      {"unknown field", [](json& d) { d["extra"] = 1; }, "'extra'"},
      {"bad verdict", [](json& d) { d["cycles"][1]["verdict"] = "MAYBE"; }, "'cycles[1].verdict'"},
      {"negative lo", [](json& d) { d["cycles"][0]["lo"] = -1; }, "'cycles[0].lo'"},
      {"fractional hi", [](json& d) { d["cycles"][0]["hi"] = 1.5; }, "'cycles[0].hi'"},
      {"FAIL without reproduce", [](json& d) { d["cycles"][2]["reproduce"] = ""; },
       "'cycles[2].reproduce'"},
      {"FAIL without class", [](json& d) { d["cycles"][2]["classes"] = json::array(); },
       "'cycles[2].classes'"},
      {"finding of wrong type", [](json& d) { d["cycles"][2]["findings"][3]["key"] = 7; },
       "'cycles[2].findings[3].key'"},
      {"too many findings",
       [](json& d) {
         for (int i = 0; i < 60; ++i)
           d["cycles"][2]["findings"].push_back(d["cycles"][2]["findings"][0]);
       },
       "'cycles[2].findings'"},
      {"plan not an object", [](json& d) { d["plan"] = "default"; }, "'plan'"},
      {"complete not a bool", [](json& d) { d["complete"] = 1; }, "'complete'"},
      {"repeated cycle", [](json& d) { d["cycles"][1]["cycle"] = 1; }, "repeats cycle 1"},
      {"summary hides a failure",
       [](json& d) {
         d["summary"]["failed"] = 0;
         d["summary"]["passed"] = 4;
       },
       "'summary.passed'"},
      {"summary status forged", [](json& d) { d["summary"]["status"] = "pass"; },
       "'summary.status'"},
      {"summary field deleted", [](json& d) { d["summary"].erase("recovery_ms"); },
       "'summary.recovery_ms' is missing"},
      {"not an object",
       [](json& d) {
         d = json::array({1, 2});
       },
       "JSON object"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      json doc = good;
      c.tamper(doc);
      RunResult run;
      run.seed = 99;
      Status s = FromJson(doc, &run);
      REQUIRE_FALSE(s.ok());
      CHECK(s.code() == Status::Code::kBadInput);
      CHECK(OneLine(s));
      INFO(s.message());
      CHECK(Contains(s.message(), c.field));
      CHECK(run.seed == 99);  // left untouched
    }
  }
}

TEST_CASE("report.json validates against reports/report.schema.json (python3 jsonschema)") {
  TempDir tmp;
  const fs::path schema = SchemaPath();
  // The checked-in schema pins the version this code writes.
  const json schema_doc = json::parse(e2e::Slurp(schema));
  CHECK(schema_doc["properties"]["schema_version"]["const"] == kReportSchemaVersion);

  RunResult incomplete = FailedRun();
  incomplete.complete = false;
  incomplete.incomplete_reason = "SIGINT";
  RunResult merged;
  REQUIRE(MergeReports({Shard(0, 2), Shard(1, 2)}, &merged).ok());
  const std::vector<std::pair<std::string, RunResult>> runs = {
      {"good", GoodRun()}, {"failed", FailedRun()}, {"incomplete", incomplete}, {"merged", merged}};
  for (const auto& [name, run] : runs) {
    REQUIRE(WriteReports(run, (tmp.path / name).string()).ok());
  }
  // Tampered copies the schema must refuse, so that the schema is known not to be vacuous.
  json bad_seed = ToJson(GoodRun());
  bad_seed["seed"] = "42";
  e2e::WriteFile(tmp.path / "bad_seed.json", bad_seed.dump());
  json no_reproduce = ToJson(FailedRun());
  no_reproduce["cycles"][2]["reproduce"] = "";
  e2e::WriteFile(tmp.path / "no_reproduce.json", no_reproduce.dump());
  json extra = ToJson(GoodRun());
  extra["summary"]["extra"] = 1;
  e2e::WriteFile(tmp.path / "extra.json", extra.dump());

  const std::string script = R"(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    errors = list(v.iter_errors(json.load(open(path))))
    print(path, "valid" if not errors else "invalid: " + errors[0].message)
)";
  std::string args = "'" + schema.string() + "'";
  for (const auto& [name, run] : runs)
    args += " '" + (tmp.path / name / "report.json").string() + "'";
  for (const char* bad : {"bad_seed.json", "no_reproduce.json", "extra.json"}) {
    args += " '" + (tmp.path / bad).string() + "'";
  }
  const Proc p = RunPython(tmp.path, script, args);
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  for (const auto& [name, run] : runs) {
    CHECK(Contains(p.output, (tmp.path / name / "report.json").string() + " valid"));
  }
  for (const char* bad : {"bad_seed.json", "no_reproduce.json", "extra.json"}) {
    CHECK(Contains(p.output, (tmp.path / bad).string() + " invalid"));
  }
}

TEST_CASE("report.txt summarises the run and details each failure") {
  const RunResult run = FailedRun();
  const std::string text = ToText(run);
  INFO(text);
  const std::string first = text.substr(0, text.find('\n'));
  CHECK(Contains(first, "FAIL"));
  CHECK(Contains(first, "1 of 4 cycles failed"));
  CHECK(Contains(text, "seed:      42"));
  CHECK(Contains(text, run.contract));
  CHECK(Contains(text, "status:    fail"));
  CHECK(Contains(text, "PASS 3, lost-ack 1, torn-batch 1"));
  CHECK(Contains(text, "clean 1, kill 2, stall 1"));
  CHECK(Contains(text, "2.00 cycles/s"));
  CHECK(Contains(text, "min 10.0 ms, median 35.0 ms, max 40.0 ms"));
  CHECK(Contains(text, "chain-0 cycle 3 kill: lost-ack, torn-batch"));
  CHECK(Contains(text, "lo 812  hi 830  acked 829  recovered 790"));
  CHECK(Contains(text, "k10001000 lost-ack: expected op 800 len 64, found absent"));
  CHECK(Contains(text, "k10001009"));
  CHECK_FALSE(Contains(text, "k10001010"));  // at most 10 findings per failure
  CHECK(Contains(text, "... 2 more mismatching keys"));
  CHECK(Contains(text, "reproduce: powercut replay report.json --cycle 3"));

  const std::string pass = ToText(GoodRun());
  CHECK(pass.rfind("powercut PASS: all 4 cycles passed, seed 42\n", 0) == 0);
  CHECK_FALSE(Contains(pass, "failures"));

  RunResult interrupted = FailedRun();
  interrupted.complete = false;
  interrupted.incomplete_reason = "interrupted by SIGTERM";
  const std::string inc = ToText(interrupted);
  CHECK(inc.rfind("powercut INCOMPLETE (interrupted by SIGTERM): the run stopped early; 4 cycles "
                  "ran, 1 failed\n",
                  0) == 0);
  CHECK(Contains(inc, "status:    incomplete"));
}

TEST_CASE("junit.xml parses, counts match, and failures carry classes, keys and reproduce") {
  TempDir tmp;
  RunResult run = FailedRun();
  // Bytes that are not XML characters must not make the file unparseable.
  run.cycles[2].findings[1].found = std::string("garbage \x01\xff\xfe bytes");
  RunResult interrupted = run;
  interrupted.complete = false;
  interrupted.incomplete_reason = "interrupted by SIGINT";
  e2e::WriteFile(tmp.path / "fail.xml", ToJunit(run));
  e2e::WriteFile(tmp.path / "incomplete.xml", ToJunit(interrupted));

  const std::string script = R"(
import json, sys, xml.etree.ElementTree as ET
out = {}
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
    s = suites[0]
    cases = s.findall("testcase")
    out[path] = {
        "suites": len(suites), "name": s.get("name"), "tests": int(s.get("tests")),
        "failures": int(s.get("failures")), "errors": int(s.get("errors")),
        "time": float(s.get("time")), "cases": [c.get("name") for c in cases],
        "failed": [{"name": c.get("name"), "type": f.get("type"), "message": f.get("message"),
                    "body": f.text} for c in cases for f in c.findall("failure")],
        "errored": [{"name": c.get("name"), "message": e.get("message")}
                    for c in cases for e in c.findall("error")],
    }
print(json.dumps(out))
)";
  const std::string fail_xml = (tmp.path / "fail.xml").string();
  const std::string inc_xml = (tmp.path / "incomplete.xml").string();
  const Proc p = RunPython(tmp.path, script, "'" + fail_xml + "' '" + inc_xml + "'");
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  const json parsed = json::parse(p.output);

  const json& f = parsed[fail_xml];
  CHECK(f["suites"] == 1);
  CHECK(f["name"] == "powercut");
  CHECK(f["tests"] == 4);
  CHECK(f["failures"] == 1);
  CHECK(f["errors"] == 0);
  CHECK(f["time"].get<double>() == Approx(2.0));
  CHECK(f["cases"] == json::array({"chain-0 cycle 1 kill", "chain-1 cycle 2 stall",
                                   "chain-0 cycle 3 kill", "chain-1 cycle 4 clean"}));
  REQUIRE(f["failed"].size() == 1);
  const json& failure = f["failed"][0];
  CHECK(failure["name"] == "chain-0 cycle 3 kill");
  CHECK(failure["type"] == "lost-ack,torn-batch");
  const std::string message = failure["message"];
  CHECK(Contains(message, "keys k10001000, k10001001"));
  CHECK(Contains(message, "and 2 more"));
  CHECK(Contains(message, "reproduce: powercut replay report.json --cycle 3"));
  const std::string body = failure["body"];
  CHECK(Contains(body, "k10001011 torn-batch"));  // the body lists every finding
  CHECK(Contains(body, "detail: open said <Corruption & \"bad\" 'block'>"));  // escaped, restored
  CHECK_FALSE(Contains(body, "garbage \x01"));  // (not the raw control byte)
  CHECK(Contains(body, "garbage \xEF\xBF\xBD"));

  const json& i = parsed[inc_xml];
  CHECK(i["tests"] == 5);
  CHECK(i["failures"] == 1);
  CHECK(i["errors"] == 1);
  REQUIRE(i["errored"].size() == 1);
  CHECK(i["errored"][0]["name"] == "run interrupted");
  CHECK(Contains(i["errored"][0]["message"], "the run did not complete (interrupted by SIGINT)"));
}

TEST_CASE("WriteReports writes the four files atomically, leaving no temp file") {
  TempDir tmp;
  const fs::path dir = tmp.path / "nested" / "report";
  const RunResult run = FailedRun();
  REQUIRE(WriteReports(run, dir.string()).ok());
  CHECK(Listing(dir) == std::vector<std::string>{"junit.xml", "metrics.prom", "report.html",
                                                 "report.json", "report.txt"});
  CHECK(json::parse(e2e::Slurp(dir / "report.json")) == ToJson(run));
  CHECK(e2e::Slurp(dir / "report.txt") == ToText(run));
  CHECK(e2e::Slurp(dir / "junit.xml") == ToJunit(run));

  // Rewriting replaces the files whole.
  REQUIRE(WriteReports(GoodRun(), dir.string()).ok());
  CHECK(Listing(dir) == std::vector<std::string>{"junit.xml", "metrics.prom", "report.html",
                                                 "report.json", "report.txt"});
  CHECK(json::parse(e2e::Slurp(dir / "report.json")) == ToJson(GoodRun()));

  RunResult loaded;
  REQUIRE(LoadReport((dir / "report.json").string(), &loaded).ok());
  CHECK(loaded == GoodRun());
}

TEST_CASE("WriteReports into an unwritable directory fails and leaves no partial file") {
  TempDir tmp;
  const fs::path dir = tmp.path / "locked";
  fs::create_directory(dir);
  REQUIRE(WriteReports(GoodRun(), dir.string()).ok());
  const std::string before = e2e::Slurp(dir / "report.json");
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                           fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(tmp.path, fs::perms::all);  // let an unprivileged child reach `dir`

  // Root ignores permissions, so the write is tried by a child that gave up root.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    const Status s = WriteReports(FailedRun(), dir.string());
    _exit(s.ok() ? 1 : (s.code() == Status::Code::kIoError && !s.message().empty() ? 0 : 2));
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 0: failed with an IoError, as it must
  CHECK(Listing(dir) == std::vector<std::string>{"junit.xml", "metrics.prom", "report.html",
                                                 "report.json", "report.txt"});
  CHECK(e2e::Slurp(dir / "report.json") == before);  // the old report is intact

  // The directory cannot be created: a file stands in the way.
  e2e::WriteFile(tmp.path / "file", "x");
  Status s = WriteReports(GoodRun(), (tmp.path / "file" / "report").string());
  CHECK_FALSE(s.ok());
  CHECK(Contains(s.message(), "file"));
}

TEST_CASE("a failed rename leaves no temp file and no half-written report.json") {
  TempDir tmp;
  const fs::path dir = tmp.path / "out";
  // A non-empty directory where report.json should go makes the final rename fail after the
  // temp file was fully written: exactly the moment a torn file could be left.
  fs::create_directories(dir / "report.json");
  e2e::WriteFile(dir / "report.json" / "keep", "x");
  Status s = WriteReports(GoodRun(), dir.string());
  REQUIRE_FALSE(s.ok());
  CHECK(Contains(s.message(), "report.json"));
  for (const std::string& name : Listing(dir)) CHECK_FALSE(Contains(name, ".tmp"));
  CHECK(fs::is_directory(dir / "report.json"));
  // The files written before it are whole.
  CHECK(e2e::Slurp(dir / "report.txt") == ToText(GoodRun()));
  CHECK(e2e::Slurp(dir / "junit.xml") == ToJunit(GoodRun()));
}

TEST_CASE("LoadReportJson and LoadReport refuse unreadable and malformed files") {
  TempDir tmp;
  json doc;
  Status s = LoadReportJson((tmp.path / "missing.json").string(), &doc);
  CHECK(s.code() == Status::Code::kBadInput);
  CHECK(Contains(s.message(), "missing.json"));
  CHECK(OneLine(s));

  s = LoadReportJson(tmp.path.string(), &doc);
  CHECK(s.code() == Status::Code::kBadInput);
  CHECK(Contains(s.message(), "not a regular file"));

  e2e::WriteFile(tmp.path / "torn.json", ToJson(GoodRun()).dump().substr(0, 100));
  s = LoadReportJson((tmp.path / "torn.json").string(), &doc);
  CHECK(s.code() == Status::Code::kBadInput);
  CHECK(Contains(s.message(), "torn.json is not valid JSON"));
  CHECK(OneLine(s));

  json wrong = ToJson(GoodRun());
  wrong["cycles"][0]["fault"] = 3;
  e2e::WriteFile(tmp.path / "wrong.json", wrong.dump());
  RunResult run;
  s = LoadReport((tmp.path / "wrong.json").string(), &run);
  CHECK(s.code() == Status::Code::kBadInput);
  CHECK(Contains(s.message(), "wrong.json: report field 'cycles[0].fault'"));
}

TEST_CASE("MergeReports sums shards into one report") {
  const RunResult a = Shard(0, 2);
  const RunResult b = Shard(1, 2);
  RunResult merged;
  // Given out of order: the merge orders cycles by shard.
  REQUIRE(MergeReports({b, a}, &merged).ok());
  CHECK(merged.shard == "merged 1/2,2/2");
  CHECK(merged.complete);
  CHECK(merged.incomplete_reason.empty());
  CHECK(merged.seed == 42);
  CHECK(merged.plan == a.plan);
  CHECK(merged.contract == a.contract);
  CHECK(merged.started_at == b.started_at);  // the earliest
  CHECK(merged.duration_s == 3.0);           // the longest shard
  REQUIRE(merged.cycles.size() == a.cycles.size() + b.cycles.size());
  CHECK(merged.cycles.front().shard == "1/2");
  CHECK(merged.cycles.back().shard == "2/2");
  CHECK(merged.cycles.back().fault == "power-cut");

  const Summary sa = Summarize(a), sb = Summarize(b), sm = Summarize(merged);
  CHECK(sm.cycles == sa.cycles + sb.cycles);
  CHECK(sm.passed == sa.passed + sb.passed);
  CHECK(sm.failed == 0);
  CHECK(sm.faults_seen.at("kill") == sa.faults_seen.at("kill") + sb.faults_seen.at("kill"));
  CHECK(sm.faults_seen.at("power-cut") == 1);
  CHECK(sm.status == "pass");

  // Cycle numbers repeat across shards; the merged report still reads back.
  RunResult back;
  REQUIRE(FromJson(ToJson(merged), &back).ok());
  CHECK(back == merged);

  // A failure in one shard fails the merge.
  RunResult failing = b;
  failing.cycles[1] = FailCycle(1, 2, 3);
  REQUIRE(MergeReports({a, failing}, &merged).ok());
  CHECK(Summarize(merged).failed == 1);
  CHECK(Summarize(merged).status == "fail");
}

TEST_CASE("MergeReports is complete only with every shard present and complete") {
  RunResult merged;
  RunResult interrupted = Shard(1, 3);
  interrupted.complete = false;
  interrupted.incomplete_reason = "interrupted by SIGTERM";
  REQUIRE(MergeReports({Shard(0, 3), interrupted}, &merged).ok());
  CHECK_FALSE(merged.complete);
  CHECK(Contains(merged.incomplete_reason, "shard 2/3 incomplete (interrupted by SIGTERM)"));
  CHECK(Contains(merged.incomplete_reason, "shards missing: 3/3"));
  CHECK(Summarize(merged).status == "incomplete");

  // Every shard complete, but one never reported: its chains were never tested.
  REQUIRE(MergeReports({Shard(0, 2)}, &merged).ok());
  CHECK_FALSE(merged.complete);
  CHECK(merged.incomplete_reason == "shards missing: 2/2");
  CHECK(merged.shard == "merged 1/2");
}

TEST_CASE("MergeReports refuses reports that are not shards of one run") {
  const RunResult a = Shard(0, 2);
  RunResult merged;
  merged.seed = 7;
  auto refuse = [&](std::vector<RunResult> shards, const std::string& why) {
    Status s = MergeReports(shards, &merged);
    INFO(s.message());
    CHECK(s.code() == Status::Code::kBadInput);
    CHECK(OneLine(s));
    CHECK(Contains(s.message(), why));
    CHECK(merged.seed == 7);  // untouched
  };
  RunResult other_plan = Shard(1, 2);
  other_plan.plan["profile"] = "big";
  refuse({a, other_plan}, "different plan");

  RunResult other_seed = Shard(1, 2);
  other_seed.seed = 43;
  refuse({a, other_seed}, "seed 43");

  RunResult other_version = Shard(1, 2);
  other_version.schema_version = kReportSchemaVersion + 1;
  refuse({a, other_version}, "schema version");

  refuse({a, Shard(0, 2)}, "shard 1/2 given twice");
  refuse({a, Shard(1, 3)}, "one of 3 shards");

  RunResult unsharded = GoodRun();
  refuse({a, unsharded}, "not a shard report");
  RunResult remerged;
  REQUIRE(MergeReports({a, Shard(1, 2)}, &remerged).ok());
  refuse({remerged}, "not a shard report");

  RunResult other_tool = Shard(1, 2);
  other_tool.tool_version = "0.2.0";
  refuse({a, other_tool}, "powercut '0.2.0'");

  refuse({}, "no shard reports");
}

TEST_CASE("the gate passes a good report and refuses each kind of bad one") {
  GateOptions opts;
  opts.min_cycles = 4;
  opts.required_faults = {"kill", "stall"};
  const json good = ToJson(GoodRun());
  CHECK(GateReasons({good}, opts).empty());

  auto refused = [&](const std::vector<json>& reports, const GateOptions& o,
                     const std::string& why) {
    const std::vector<std::string> reasons = GateReasons(reports, o);
    std::string all;
    for (const std::string& r : reasons) all += r + "\n";
    INFO(all);
    REQUIRE_FALSE(reasons.empty());
    for (const std::string& r : reasons) CHECK_FALSE(Contains(r, "\n"));
    CHECK(Contains(all, why));
    return reasons;
  };

  SECTION("a failed cycle") {
    auto reasons =
        refused({ToJson(FailedRun())}, opts, "1 of 4 cycles failed (lost-ack 1, torn-batch 1)");
    CHECK(Contains(reasons[0], "reproduce: powercut replay report.json --cycle 3"));
  }
  SECTION("an incomplete report, even with all cycles passing") {
    RunResult run = GoodRun();
    run.complete = false;
    run.incomplete_reason = "interrupted by SIGINT";
    auto reasons = refused({ToJson(run)}, opts, "report 1: incomplete (interrupted by SIGINT)");
    CHECK(reasons.size() == 1);
  }
  SECTION("below --min-cycles") {
    GateOptions o = opts;
    o.min_cycles = 5;
    refused({good}, o, "only 4 cycles in valid reports, --min-cycles requires 5");
  }
  SECTION("zero cycles never pass by default") {
    RunResult run = GoodRun();
    run.cycles.clear();
    refused({ToJson(run)}, GateOptions{}, "only 0 cycles");
  }
  SECTION("a field of the wrong type") {
    json t = good;
    t["cycles"][1]["acked"] = "150";
    refused({t}, opts, "report 1: schema violation: report field 'cycles[1].acked'");
  }
  SECTION("a deleted field") {
    json t = good;
    t.erase("complete");
    refused({t}, opts, "schema violation: report field 'complete' is missing");
  }
  SECTION("a failed cycle edited to PASS without its summary") {
    json t = ToJson(FailedRun());
    t["cycles"][2]["verdict"] = "PASS";
    t["cycles"][2]["classes"] = json::array();
    refused({t}, opts, "schema violation: report field 'summary.passed'");
  }
  SECTION("an unknown schema version") {
    json t = good;
    t["schema_version"] = kReportSchemaVersion + 1;
    refused({t}, opts, "unknown schema: report field 'schema_version' is 2");
  }
  SECTION("a required fault never exercised") {
    GateOptions o = opts;
    o.required_faults = {"kill", "power-cut"};
    auto reasons = refused({good}, o, "required fault 'power-cut' was never exercised");
    CHECK(reasons.size() == 1);
  }
  SECTION("the same report twice does not count double") {
    GateOptions o = opts;
    o.min_cycles = 8;
    o.labels = {"a/report.json", "b/report.json"};
    auto reasons =
        refused({good, good}, o,
                "b/report.json: repeats the run of seed 42 already given in a/report.json");
    CHECK(Contains(reasons.back(), "only 4 cycles"));  // the copy's cycles were not counted
  }
  SECTION("a shard and the merge containing it") {
    RunResult merged;
    REQUIRE(MergeReports({Shard(0, 2), Shard(1, 2)}, &merged).ok());
    refused({ToJson(merged), ToJson(Shard(1, 2))}, opts, "repeats shard 2/2 of seed 42");
  }
  SECTION("no report at all") { refused({}, opts, "no report given"); }
}

TEST_CASE("the gate counts cycles and faults across the shard reports it is given") {
  GateOptions opts;
  opts.min_cycles = 9;
  opts.required_faults = {"power-cut", "kill"};
  CHECK(GateReasons({ToJson(Shard(0, 2)), ToJson(Shard(1, 2))}, opts).empty());
  RunResult merged;
  REQUIRE(MergeReports({Shard(0, 2), Shard(1, 2)}, &merged).ok());
  CHECK(GateReasons({ToJson(merged)}, opts).empty());
  opts.min_cycles = 10;
  CHECK(GateReasons({ToJson(merged)}, opts).size() == 1);
  // The gate reads what WriteReports wrote, through the loader.
  TempDir tmp;
  REQUIRE(WriteReports(merged, tmp.path.string()).ok());
  json doc;
  REQUIRE(LoadReportJson((tmp.path / "report.json").string(), &doc).ok());
  opts.min_cycles = 9;
  CHECK(GateReasons({doc}, opts).empty());
}

TEST_CASE("report.html of a 100,000-cycle run stays small: bins, not a node per cycle") {
  RunResult run = GoodRun();
  run.cycles.clear();
  constexpr uint64_t kCycles = 100'000;
  for (uint64_t i = 1; i <= kCycles; ++i) {
    CycleResult c = PassCycle(i % 2, i, i % 3 == 0 ? "power-cut" : "kill", 10 + i % 7);
    c.metrics = {{"estimate_num_keys", static_cast<double>(i)}, {"ops_acked", 50}};
    run.cycles.push_back(std::move(c));
  }
  for (uint64_t i : {500u, 50'000u, 99'999u}) run.cycles[i - 1] = FailCycle(i % 2, i, 3);
  const std::string html = ToHtml(run);
  // Every figure aggregates: the timeline's cells, the histograms' bars and the series'
  // points are bounded by constants, whatever the cycle count.
  CHECK(e2e::Count(html, "<rect") < 5'000);
  CHECK(html.size() < 2'000'000);
  CHECK(Contains(html, "bins per chain"));
  // Each failure has its section, linked from the timeline.
  for (uint64_t i : {500u, 50'000u, 99'999u}) {
    CHECK(Contains(html, "<section class=\"failure\" id=\"cycle-" + std::to_string(i) + "\">"));
    CHECK(Contains(html, "href=\"#cycle-" + std::to_string(i) + "\""));
  }
  CHECK(Contains(html, "id=\"series-estimate_num_keys\""));
}

TEST_CASE("report.html escapes what a key or an error message holds and fetches nothing") {
  RunResult run = FailedRun();
  run.cycles[2].detail = "open failed: <script>alert(1)</script> & \xff";
  run.cycles[2].findings.push_back({"k<1>", "lost-ack", "op \"7\"", "absent"});
  const std::string html = ToHtml(run);
  CHECK(!Contains(html, "<script>alert(1)"));
  CHECK(Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \xEF\xBF\xBD"));
  CHECK(Contains(html, "<td>k&lt;1&gt;</td>"));
  CHECK(Contains(html, "default-src 'none'"));
  // The only address on the page is SVG's namespace name, which is never fetched.
  CHECK(e2e::Count(html, "http://") == e2e::Count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK(!Contains(html, "https://"));
  CHECK(Contains(html, "id=\"verdict\" class=\"banner fail\""));
}

TEST_CASE("a failure's JUnit testcase carries seed, chain, cycle, class and reproduce line") {
  const RunResult run = FailedRun();
  const std::string xml = ToJunit(run);
  const CycleResult& c = run.cycles[2];
  CHECK(Contains(xml, "<property name=\"seed\" value=\"" + std::to_string(run.seed) + "\"/>"));
  CHECK(Contains(xml, "<property name=\"cycle\" value=\"" + std::to_string(c.cycle) + "\"/>"));
  CHECK(Contains(xml, "<property name=\"chain\" value=\"" + std::to_string(c.chain) + "\"/>"));
  CHECK(Contains(xml, "<property name=\"class\" value=\"lost-ack,torn-batch\"/>"));
  CHECK(Contains(xml, "<property name=\"reproduce\" value=\"" + ReproduceCommand(c) + "\"/>"));
  CHECK(Contains(xml, fmt::format("at seed {}, chain {}, cycle {}", run.seed, c.chain, c.cycle)));
}

TEST_CASE("the GitHub step summary is appended only where GITHUB_STEP_SUMMARY points") {
  TempDir t;
  const fs::path file = t.path / "summary.md";
  ::unsetenv("GITHUB_STEP_SUMMARY");
  CHECK(AppendStepSummary("x").ok());
  CHECK(!fs::exists(file));
  ::setenv("GITHUB_STEP_SUMMARY", file.c_str(), 1);
  e2e::WriteFile(file, "earlier step\n");
  const RunResult run = FailedRun();
  REQUIRE(AppendStepSummary(StepSummaryMarkdown(run, "run")).ok());
  const std::string md = e2e::Slurp(file);
  ::unsetenv("GITHUB_STEP_SUMMARY");
  CHECK(md.rfind("earlier step\n### powercut run: FAIL", 0) == 0);
  CHECK(Contains(md, "`" + ReproduceCommand(run.cycles[2]) + "`"));
  CHECK(Contains(md, "4 cycles: 3 passed, 1 failed"));
}

namespace {

// metrics.prom read the simple way: "# TYPE name type" lines, and each sample's
// "name{labels}" (as written) -> value.
struct Prom {
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
};

Prom ParseProm(const std::string& text) {
  Prom p;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      p.types[name] = type;
    } else if (!line.empty() && line[0] != '#') {
      const size_t space = line.rfind(' ');
      p.samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
  }
  return p;
}

}  // namespace

TEST_CASE("metrics.prom follows Prometheus naming: base units, _total on counters, labels") {
  RunResult run = FailedRun();
  for (size_t i = 0; i < run.cycles.size(); ++i) {
    const double k = static_cast<double>(i + 1);
    run.cycles[i].metrics = {{"recovery_ms", run.cycles[i].recovery_ms},
                             {"start_to_ready_ms", 20 * k},
                             {"verify_ms", 3 * k},
                             {"ops_acked", 50},
                             {"fs_events", 400 * k},
                             {"cut_bytes", 4096 * k},
                             {"estimate_num_keys", 9000},
                             {"total_sst_files_bytes", 1e6 * k},
                             {"num_files_at_level0", k},
                             {"num_immutable_mem_table", 0},
                             {"block_cache_hit", 10 * k},
                             {"block_cache_miss", 2 * k},
                             {"compaction_cpu_us", 1500 * k},
                             {"write_stall_us", 250},
                             {"queue_wait_ms", 7},
                             {"retries_total", 1}};
  }
  const std::string text = ToPrometheus(run);
  INFO(text);
  const Prom p = ParseProm(text);

  // The conventions, checked on every family, so a metric added later is held to them too.
  const std::regex non_base_unit("_(ms|us|ns|millis|micros|kb|mb|kib|mib)(_|$)");
  const std::regex name_variant("_(hit|miss|level[0-9]+|pass|fail)$");
  for (const auto& [name, type] : p.types) {
    INFO(name);
    CHECK(name.rfind("powercut_", 0) == 0);
    CHECK((type == "counter") == name.ends_with("_total"));
    CHECK_FALSE(std::regex_search(name, non_base_unit));
    CHECK_FALSE(std::regex_search(name, name_variant));
  }
  // The names of before the conventions are gone.
  for (const char* old :
       {"powercut_cycle_recovery_ms", "powercut_cycle_cycle_ms", "powercut_cycle_start_to_ready_ms",
        "powercut_cycle_verify_ms", "powercut_cycle_class_total", "powercut_cycle_fault_total",
        "powercut_run_cycles_per_second", "powercut_cycle_block_cache_hit",
        "powercut_cycle_block_cache_miss", "powercut_cycle_compaction_cpu_us",
        "powercut_cycle_write_stall_us", "powercut_cycle_num_files_at_level0",
        "powercut_cycle_estimate_num_keys", "powercut_cycle_total_sst_files_bytes",
        "powercut_cycle_retries_total"}) {
    CHECK_FALSE(Contains(text, std::string(old) + " "));
    CHECK_FALSE(Contains(text, std::string(old) + "{"));
    CHECK_FALSE(Contains(text, std::string(old) + "_sum"));
  }

  // Timings in seconds: the report's ms / 1000, microseconds / 1e6.
  CHECK(p.types.at("powercut_cycle_recovery_seconds") == "summary");
  CHECK(p.samples.at("powercut_cycle_recovery_seconds{quantile=\"1\"}") == Approx(0.040));
  CHECK(p.samples.at("powercut_cycle_recovery_seconds_sum") == Approx(0.120));  // 10+30+40+40
  CHECK(p.samples.at("powercut_cycle_recovery_seconds_count") == 4);
  CHECK(p.samples.at("powercut_cycle_duration_seconds{quantile=\"0\"}") == Approx(0.110));
  CHECK(p.samples.at("powercut_cycle_start_to_ready_seconds{quantile=\"1\"}") == Approx(0.080));
  CHECK(p.samples.at("powercut_cycle_verify_seconds_sum") == Approx(0.030));
  CHECK(p.samples.at("powercut_rocksdb_compaction_cpu_seconds_sum") == Approx(0.015));
  CHECK(p.samples.at("powercut_rocksdb_write_stall_seconds{quantile=\"0.5\"}") == Approx(0.00025));
  CHECK(p.samples.at("powercut_cycle_queue_wait_seconds{quantile=\"1\"}") == Approx(0.007));
  // Bytes and counts keep their values.
  CHECK(p.samples.at("powercut_cycle_cut_bytes_sum") == 4096 * 10);
  CHECK(p.samples.at("powercut_rocksdb_total_sst_files_size_bytes{quantile=\"1\"}") == 4e6);
  CHECK(p.samples.at("powercut_cycle_ops_acked_sum") == 200);
  CHECK(p.samples.at("powercut_cycle_retries_count") == 4);  // a summary loses `_total`
  // Name variants became labels of one family.
  CHECK(p.types.at("powercut_rocksdb_block_cache_lookups") == "summary");
  CHECK(p.samples.at("powercut_rocksdb_block_cache_lookups_sum{result=\"hit\"}") == 100);
  CHECK(p.samples.at("powercut_rocksdb_block_cache_lookups_sum{result=\"miss\"}") == 20);
  CHECK(p.samples.at("powercut_rocksdb_block_cache_lookups{result=\"hit\",quantile=\"1\"}") == 40);
  CHECK(p.samples.at("powercut_rocksdb_num_files_at_level{level=\"0\",quantile=\"1\"}") == 4);
  // One counter of cycles by verdict and fault; the classes in their own counter.
  CHECK(p.types.at("powercut_cycles_total") == "counter");
  CHECK(p.samples.at("powercut_cycles_total{verdict=\"PASS\",fault=\"kill\"}") == 1);
  CHECK(p.samples.at("powercut_cycles_total{verdict=\"FAIL\",fault=\"kill\"}") == 1);
  CHECK(p.samples.at("powercut_cycles_total{verdict=\"PASS\",fault=\"stall\"}") == 1);
  CHECK(p.samples.at("powercut_cycles_total{verdict=\"FAIL\",fault=\"stall\"}") == 0);
  CHECK(p.samples.at("powercut_failure_classes_total{class=\"torn-batch\"}") == 1);
  CHECK(p.samples.at("powercut_run_duration_seconds") == 2);
}

TEST_CASE("merge points every replay line, crash states' too, at the merged folder") {
  TempDir t;
  RunResult second = Shard(1, 2);
  CycleResult& c = second.cycles[2];
  c = FailCycle(0, 3, 2);
  c.reproduce = "powercut replay r2/report.json --cycle 3";
  StateFailure kept;
  kept.state = "power-cut@12:1=keep";
  kept.classes = {"lost-ack"};
  kept.reproduce = c.reproduce + " --state " + kept.state;
  StateFailure unkept = kept;
  unkept.reproduce = "powercut run --seed 42   # image not kept: --max-failures reached";
  c.explored.failures = {kept, unkept};
  // Shard 2/2's evidence for cycle 3, as a run leaves it.
  const fs::path ev = t.path / "r2/failures/3";
  fs::create_directories(ev / "before/db");
  e2e::WriteFile(ev / "replay.json", json{{"cycle", 3}, {"reproduce", c.reproduce}}.dump());
  e2e::WriteFile(ev / "summary.txt", "cycle 3: lost\n\nreproduce: " + c.reproduce + "\n");
  e2e::WriteFile(ev / "before/db/000012.sst", "sst bytes");
  RunResult merged;
  REQUIRE(MergeReports({Shard(0, 2), second}, &merged).ok());
  const std::vector<ShardFolder> folders = {{"1/2", (t.path / "r1").string()},
                                            {"2/2", (t.path / "r2").string()}};

  // A missing evidence folder or a damaged replay.json is refused, the report untouched.
  const RunResult unpointed = merged;
  e2e::WriteFile(ev / "replay.json", "{ not json");
  Status s = PointReplayLinesAtMerge(folders, "out", &merged);
  CHECK(s.code() == Status::Code::kBadInput);
  CHECK(OneLine(s));
  CHECK(Contains(s.message(), "damaged"));
  fs::rename(ev, t.path / "elsewhere");
  s = PointReplayLinesAtMerge(folders, "out", &merged);
  CHECK(OneLine(s));
  CHECK(Contains(s.message(), "shard 2/2's failing cycle 3 has no evidence"));
  CHECK(merged == unpointed);
  fs::rename(t.path / "elsewhere", ev);
  e2e::WriteFile(ev / "replay.json", json{{"cycle", 3}, {"reproduce", c.reproduce}}.dump());

  REQUIRE(PointReplayLinesAtMerge(folders, "out", &merged).ok());
  const CycleResult* m = nullptr;
  for (const CycleResult& x : merged.cycles) {
    if (x.shard == "2/2" && x.cycle == 3) m = &x;
  }
  REQUIRE(m != nullptr);
  const std::string line = "powercut replay out/report.json --cycle 3 --shard 2/2";
  CHECK(m->reproduce == line);
  CHECK(m->explored.failures[0].reproduce == line + " --state power-cut@12:1=keep");
  CHECK(m->explored.failures[1].reproduce == unkept.reproduce);  // a run line works anywhere
  CHECK(EvidenceDir(*m) == "failures/shard-2-of-2/3");
  CHECK(Contains(ToText(merged), "reproduce: " + line));
  CHECK(Contains(ToHtml(merged), "href=\"failures/shard-2-of-2/3/summary.txt\""));

  REQUIRE(StageShardEvidence(folders, merged, (t.path / "stage").string()).ok());
  const fs::path staged = t.path / "stage/shard-2-of-2/3";
  CHECK(e2e::ReadJson(staged / "replay.json").at("reproduce") == line);
  CHECK(e2e::Slurp(staged / "summary.txt") == "cycle 3: lost\n\nreproduce: " + line + "\n");
  CHECK(e2e::Slurp(staged / "before/db/000012.sst") == "sst bytes");
  CHECK(fs::hard_link_count(staged / "before/db/000012.sst") == 2);         // linked, not copied
  CHECK(fs::hard_link_count(staged / "replay.json") == 1);                  // written anew
  CHECK(e2e::ReadJson(ev / "replay.json").at("reproduce") == c.reproduce);  // shard's untouched
  CHECK_FALSE(fs::exists(t.path / "stage/shard-1-of-2"));  // shard 1 kept no evidence
}

namespace {

// A run whose second cycle's own state passed but two of its explored crash states failed.
RunResult ExploredRun() {
  RunResult run = GoodRun();
  CycleResult& c = run.cycles[1];
  c.verdict = "FAIL";
  c.classes = {"lost-ack"};
  c.reproduce = "powercut replay r/report.json --cycle 2 --state power-cut@77:3=keep";
  c.explored.points = 30;
  c.explored.candidates = 90;
  c.explored.distinct = 60;
  c.explored.judged = 40;
  c.explored.settled = 8;
  c.explored.failed = 2;
  c.explored.classes = {{"lost-ack", 2}};
  c.explored.build_ms = 80;
  c.explored.open_ms = 400;
  c.explored.judge_ms = 900;
  c.explored.wall_ms = 500;
  StateFailure f;
  f.state = "power-cut@77:3=keep";
  f.classes = {"lost-ack"};
  f.lo = 120;
  f.hi = 130;
  f.recovered = 110;
  f.detail = "no prefix in [120, 130] matches the store";
  f.narrative = "000031.log lost its unsynced bytes 4,096..8,000 (ops 111..119)";
  f.reproduce = c.reproduce;
  f.findings = {{"k00000007", "lost-ack", "op 118 len 64", "absent"}};
  c.explored.failures = {f};
  run.cycles[0].explored.points = 12;
  run.cycles[0].explored.judged = 20;
  run.cycles[0].explored.distinct = 20;
  return run;
}

}  // namespace

TEST_CASE("explored crash states round trip and reach every report format") {
  const RunResult run = ExploredRun();
  const json doc = ToJson(run);
  CHECK(doc.at("summary").at("crash_states").at("judged") == 60);
  CHECK(doc.at("summary").at("crash_states").at("failed") == 2);
  CHECK_FALSE(doc.at("cycles")[2].contains("exploration"));  // explored nothing: absent
  RunResult back;
  Status s = FromJson(doc, &back);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(back == run);

  const std::string text = ToText(run);
  CHECK(Contains(text, "states:    crash states 68 judged (60 images opened, 8 settled"));
  CHECK(Contains(text, "- power-cut@77:3=keep: lost-ack (ops 120..130, recovered 110)"));
  CHECK(Contains(text, "000031.log lost its unsynced bytes"));
  CHECK(Contains(text, "replay: powercut replay r/report.json --cycle 2 --state"));
  const std::string junit = ToJunit(run);
  CHECK(Contains(junit, "<property name=\"crash_states_failed\" value=\"2\"/>"));
  CHECK(Contains(junit, "<property name=\"first_failing_state\" value=\"power-cut@77:3=keep\"/>"));
  const std::string html = ToHtml(run);
  CHECK(Contains(html, "<h4>crash states: 2 of 48 failed (lost-ack 2)</h4>"));
  CHECK(Contains(html, "powercut replay r/report.json --cycle 2 --state power-cut@77:3=keep"));
  CHECK(Contains(html, "68 judged (60 images opened, 8 settled"));
  const std::string prom = ToPrometheus(run);
  CHECK(Contains(prom, "powercut_crash_states_total{verdict=\"FAIL\"} 2"));
  CHECK(Contains(prom, "powercut_crash_states_total{verdict=\"PASS\"} 66"));
  CHECK(Contains(prom, "powercut_crash_state_failure_classes_total{class=\"lost-ack\"} 2"));

  SECTION("a summary that disagrees with the cycles' exploration is refused") {
    json edited = doc;
    edited["summary"]["crash_states"]["failed"] = 0;
    RunResult r;
    const Status bad = FromJson(edited, &r);
    CHECK(OneLine(bad));
    CHECK(Contains(bad.message(), "crash_states"));
  }
  SECTION("a state failure without a class is refused, naming the field") {
    json edited = doc;
    edited["cycles"][1]["exploration"]["failures"][0]["classes"] = json::array();
    RunResult r;
    const Status bad = FromJson(edited, &r);
    CHECK(Contains(bad.message(), "cycles[1].exploration.failures[0].classes"));
  }
}
