// Tests of the nightly-CI-at-scale pieces (issue 7): `powercut merge` and `powercut gate` as
// commands on real report folders, per-cycle metrics in report.json, metrics.prom as
// Prometheus text (read by a parser written here, not by our writer), the metrics HTTP
// server on loopback, progress output, and RocksDB's metrics of a real store.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include "tests/e2e_support.h"
#include "tests/http_client.h"

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <nlohmann/json.hpp>

#include "harness/cli/gate.h"
#include "harness/cli/merge.h"
#include "harness/protocol/metrics_line.h"
#include "harness/run/metrics_server.h"
#include "harness/run/progress.h"
#include "harness/writer/store_metrics.h"
#include "reports/prometheus.h"
#include "reports/report_loader.h"
#include "reports/report_writer.h"
#include "reports/run_result.h"
#include "reports/summary.h"

namespace fs = std::filesystem;
using nlohmann::json;
using powercut::Status;
using namespace powercut::reports;
using namespace powercut::harness;

namespace {

using e2e::TempDir;

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// What a command printed: fds 1 and 2 are pointed at files while `f` runs.
struct Captured {
  int code = -1;
  std::string out;
  std::string err;
};

template <typename F>
Captured Capture(F f) {
  TempDir tmp;
  const fs::path out = tmp.path / "out", err = tmp.path / "err";
  fflush(stdout);
  fflush(stderr);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(out_fd >= 0);
  REQUIRE(err_fd >= 0);
  const int saved_out = ::dup(1), saved_err = ::dup(2);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  Captured c;
  c.code = f();
  fflush(stdout);
  fflush(stderr);
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  for (int fd : {out_fd, err_fd, saved_out, saved_err}) ::close(fd);
  c.out = e2e::Slurp(out);
  c.err = e2e::Slurp(err);
  return c;
}

CycleResult Cycle(uint64_t chain, uint64_t cycle, const std::string& fault, double recovery_ms) {
  CycleResult c;
  c.chain = chain;
  c.cycle = cycle;
  c.fault = fault;
  c.verdict = "PASS";
  c.resume = cycle * 100;
  c.acked = cycle * 100 + 40;
  c.lo = c.acked;
  c.hi = c.acked + 1;
  c.recovered = c.acked;
  c.recovery_ms = recovery_ms;
  c.cycle_ms = 50 + recovery_ms;
  c.detail = "SIGKILL after 41 ops";
  c.metrics = {{"recovery_ms", recovery_ms},
               {"ops_acked", 41},
               {"estimate_num_keys", 9000 + static_cast<double>(cycle)},
               {"block_cache_miss", static_cast<double>(cycle % 3)}};
  if (fault == "power-cut") c.metrics["cut_bytes"] = 4096.0 * static_cast<double>(cycle);
  return c;
}

void MakeFailed(CycleResult* c) {
  c->verdict = "FAIL";
  c->classes = {"lost-ack"};
  c->mismatches = 1;
  c->findings = {{"k00000042", "lost-ack", "op 812 len 64", "absent"}};
  c->reproduce = "powercut replay report.json --cycle " + std::to_string(c->cycle);
}

// Shard `index` of a 2-shard run of seed 7: shard 0 runs 3 cycles, shard 1 runs 4.
RunResult Shard(uint64_t index) {
  RunResult run;
  run.tool_version = "0.1.0";
  run.seed = 7;
  run.plan = {{"profile", "default"}, {"fault", "mix"}, {"duration_ms", 1800000}};
  run.contract = "process-kill/wal: lo = last acked op";
  run.shard = std::to_string(index + 1) + "/2";  // shards count from 1
  run.complete = true;
  run.started_at = "2024-05-01T02:00:0" + std::to_string(index) + "Z";
  run.duration_s = 10.0 + static_cast<double>(index);
  if (index == 0) {
    run.cycles = {Cycle(0, 1, "kill", 11), Cycle(1, 2, "stall", 13), Cycle(0, 3, "kill", 17)};
  } else {
    run.cycles = {Cycle(0, 1, "kill", 5), Cycle(1, 2, "power-cut", 30), Cycle(0, 3, "power-cut", 7),
                  Cycle(1, 4, "clean", 9)};
  }
  return run;
}

fs::path WriteShard(const TempDir& tmp, const std::string& name, const RunResult& run) {
  const fs::path dir = tmp.path / name;
  REQUIRE(WriteReports(run, dir.string()).ok());
  return dir / "report.json";
}

// Writes both shards, merges them with the command, and returns the merged folder.
fs::path MergedFolder(const TempDir& tmp) {
  const fs::path a = WriteShard(tmp, "report-0", Shard(0));
  const fs::path b = WriteShard(tmp, "report-1", Shard(1));
  const fs::path out = tmp.path / "merged";
  const Captured c = Capture([&] { return MergeCommand({a.string(), b.string()}, out.string()); });
  INFO(c.err);
  REQUIRE(c.code == 0);
  return out;
}

}  // namespace

TEST_CASE("merge of two shard reports equals the sums of the shards") {
  TempDir tmp;
  const fs::path out = MergedFolder(tmp);
  CHECK(fs::exists(out / ".powercut"));  // the folder is marked as powercut's
  for (const char* f : {"report.json", "report.txt", "junit.xml", "metrics.prom"}) {
    CHECK(fs::is_regular_file(out / f));
  }
  RunResult merged;
  REQUIRE(LoadReport((out / "report.json").string(), &merged).ok());
  const Summary a = Summarize(Shard(0)), b = Summarize(Shard(1)), m = Summarize(merged);
  CHECK(m.cycles == a.cycles + b.cycles);
  CHECK(m.passed == a.passed + b.passed);
  CHECK(m.failed == 0);
  std::map<std::string, uint64_t> faults = a.faults_seen;
  for (const auto& [k, n] : b.faults_seen) faults[k] += n;
  CHECK(m.faults_seen == faults);
  CHECK(m.status == "pass");
  CHECK(merged.complete);
  CHECK(merged.shard == "merged 1/2,2/2");
  CHECK(merged.duration_s == 11.0);  // shards run side by side: the longest one
  // Each metric's distribution covers the cycles of both shards.
  for (const auto& [name, d] : m.metrics) {
    const uint64_t want = (a.metrics.count(name) ? a.metrics.at(name).count : 0) +
                          (b.metrics.count(name) ? b.metrics.at(name).count : 0);
    CHECK(d.count == want);
    const double sum = (a.metrics.count(name) ? a.metrics.at(name).sum : 0) +
                       (b.metrics.count(name) ? b.metrics.at(name).sum : 0);
    CHECK(d.sum == Approx(sum));
  }
  CHECK(m.metrics.at("recovery_ms").min == 5);
  CHECK(m.metrics.at("recovery_ms").max == 30);
  CHECK(m.metrics.at("cut_bytes").count == 2);  // only power-cut cycles know it
  const std::string junit = e2e::Slurp(out / "junit.xml");
  size_t testcases = 0;
  for (size_t at = junit.find("<testcase"); at != std::string::npos;
       at = junit.find("<testcase", at + 1)) {
    ++testcases;
  }
  CHECK(testcases == 7);

  // The folder is powercut's now: merging into it again replaces the report.
  const Captured again = Capture([&] {
    return MergeCommand({(tmp.path / "report-1" / "report.json").string(),
                         (tmp.path / "report-0" / "report.json").string()},
                        out.string());
  });
  CHECK(again.code == 0);
  RunResult twice;
  REQUIRE(LoadReport((out / "report.json").string(), &twice).ok());
  CHECK(twice == merged);  // shard order on the command line does not matter
}

TEST_CASE("merge refuses bad input with exit 2, one line, and writes nothing") {
  TempDir tmp;
  const fs::path a = WriteShard(tmp, "report-0", Shard(0));
  RunResult other_plan = Shard(1);
  other_plan.plan["profile"] = "batches";
  const fs::path b_other = WriteShard(tmp, "other-1", other_plan);
  const fs::path b = WriteShard(tmp, "report-1", Shard(1));
  e2e::WriteFile(tmp.path / "garbage.json", "{ not json");
  fs::create_directory(tmp.path / "foreign");
  e2e::WriteFile(tmp.path / "foreign" / "notes.txt", "mine");
  e2e::WriteFile(tmp.path / "a-file", "x");

  struct Case {
    const char* name;
    std::vector<std::string> reports;
    fs::path out;
    const char* says;
  };
  const fs::path fresh = tmp.path / "merged";
  const std::vector<Case> cases = {
      {"different plans", {a.string(), b_other.string()}, fresh, "different plan"},
      {"a shard twice", {a.string(), a.string()}, fresh, "given twice"},
      {"a missing report", {a.string(), (tmp.path / "nope.json").string()}, fresh, "nope.json"},
      {"a report that is not JSON",
       {a.string(), (tmp.path / "garbage.json").string()},
       fresh,
       "not valid JSON"},
      {"no report", {}, fresh, "no report"},
      {"an output folder with foreign files",
       {a.string(), b.string()},
       tmp.path / "foreign",
       "did not create"},
      {"an output path under a file",
       {a.string(), b.string()},
       tmp.path / "a-file" / "out",
       "not writable"},
  };
  for (const Case& k : cases) {
    SECTION(k.name) {
      const Captured c = Capture([&] { return MergeCommand(k.reports, k.out.string()); });
      INFO(c.err);
      CHECK(c.code == 2);
      CHECK(Lines(c.err).size() == 1);
      CHECK(Contains(c.err, k.says));
      CHECK(c.out.empty());
      CHECK_FALSE(fs::exists(fresh));
      CHECK_FALSE(fs::exists(tmp.path / "foreign" / "report.json"));
      CHECK(e2e::Slurp(tmp.path / "foreign" / "notes.txt") == "mine");
      RunResult still;
      CHECK(LoadReport(b.string(), &still).ok());
      CHECK(still == Shard(1));
    }
  }
}

TEST_CASE("the gate command passes a good report and refuses each kind of bad one") {
  TempDir tmp;
  const fs::path merged = MergedFolder(tmp) / "report.json";

  RunResult failed = Shard(0);
  failed.shard.clear();
  MakeFailed(&failed.cycles[1]);
  const fs::path failed_path = WriteShard(tmp, "failed", failed);
  RunResult incomplete = Shard(0);
  incomplete.shard.clear();
  incomplete.complete = false;
  incomplete.incomplete_reason = "interrupted by a signal";
  const fs::path incomplete_path = WriteShard(tmp, "incomplete", incomplete);
  // Tampered by hand: the failed cycle relabelled PASS in the text of report.json.
  std::string text = e2e::Slurp(failed_path);
  const std::string from = "\"verdict\": \"FAIL\"";
  REQUIRE(Contains(text, from));
  text.replace(text.find(from), from.size(), "\"verdict\": \"PASS\"");
  fs::create_directory(tmp.path / "tampered");
  const fs::path tampered_path = tmp.path / "tampered" / "report.json";
  e2e::WriteFile(tampered_path, text);
  // Tampered more cleverly: the summary says pass over a failed cycle.
  std::string status_text = e2e::Slurp(failed_path);
  const std::string status_from = "\"status\": \"fail\"";
  REQUIRE(Contains(status_text, status_from));
  status_text.replace(status_text.find(status_from), status_from.size(), "\"status\": \"pass\"");
  const fs::path status_path = tmp.path / "tampered" / "status.json";
  e2e::WriteFile(status_path, status_text);
  e2e::WriteFile(tmp.path / "truncated.json", e2e::Slurp(merged).substr(0, 200));

  SECTION("a good merged report passes") {
    const Captured c = Capture([&] {
      return GateCommand({merged.string()}, 7, {"kill", "power-cut"});
    });
    INFO(c.out);
    CHECK(c.code == 0);
    REQUIRE(Lines(c.out).size() == 1);
    CHECK(c.out.rfind("gate: PASS", 0) == 0);
    CHECK(Contains(c.out, "7 cycles"));
    CHECK(c.err.empty());
  }

  struct Case {
    const char* name;
    std::vector<std::string> reports;
    uint64_t min_cycles;
    std::vector<std::string> faults;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"a failed report", {failed_path.string()}, 1, {}, "cycles failed"},
      {"an incomplete report", {incomplete_path.string()}, 1, {}, "incomplete"},
      {"a report below --min-cycles", {merged.string()}, 1000, {}, "--min-cycles requires 1000"},
      {"a tampered verdict", {tampered_path.string()}, 1, {}, "schema violation"},
      {"a tampered summary", {status_path.string()}, 1, {}, "schema violation"},
      {"a missing file", {(tmp.path / "missing.json").string()}, 1, {}, "no such file"},
      {"a truncated file", {(tmp.path / "truncated.json").string()}, 1, {}, "not valid JSON"},
      {"a directory", {tmp.path.string()}, 1, {}, "not a regular file"},
      {"a fault never exercised", {merged.string()}, 1, {"io-error"}, "'io-error'"},
      {"no report at all", {}, 1, {}, "no report"},
  };
  for (const Case& k : cases) {
    SECTION(k.name) {
      const Captured c = Capture([&] { return GateCommand(k.reports, k.min_cycles, k.faults); });
      INFO(c.out);
      CHECK(c.code == 1);
      CHECK(Contains(c.out, k.says));
      CHECK_FALSE(Contains(c.out, "gate: PASS"));
      for (const std::string& line : Lines(c.out)) CHECK(line.rfind("gate: FAIL: ", 0) == 0);
      CHECK(c.err.empty());
    }
  }

  SECTION("every reason gets its own line; a readable report does not rescue a missing one") {
    const Captured c = Capture([&] {
      return GateCommand({merged.string(), failed_path.string(), "/nonexistent/report.json"},
                         100000, {});
    });
    INFO(c.out);
    CHECK(c.code == 1);
    CHECK(Lines(c.out).size() == 3);  // missing file, failed cycles, below --min-cycles
  }
}

TEST_CASE("per-cycle metrics round trip through report.json with their distributions") {
  RunResult run = Shard(1);
  run.cycles[0].metrics["stall_us"] = 1.5;
  // Values 1..20 on one metric: median 10.5 (mean of the middle two), p95 19 (nearest rank).
  for (uint64_t i = 0; i < 20; ++i) {
    CycleResult c = Cycle(2, 10 + i, "kill", 1);
    c.metrics = {{"spread", static_cast<double>(i + 1)}};
    run.cycles.push_back(c);
  }
  const json doc = ToJson(run);
  CHECK(doc["cycles"][0]["metrics"]["stall_us"] == 1.5);
  const json& spread = doc["summary"]["metrics"]["spread"];
  CHECK(spread["count"] == 20);
  CHECK(spread["min"] == 1);
  CHECK(spread["median"] == 10.5);
  CHECK(spread["p95"] == 19);
  CHECK(spread["max"] == 20);
  CHECK(spread["sum"] == 210);
  RunResult back;
  REQUIRE(FromJson(json::parse(doc.dump(2)), &back).ok());
  CHECK(back == run);

  // What a report cannot carry is left out when written, never written for a reader to reject.
  RunResult odd = Shard(0);
  odd.cycles[0].metrics["not-a-name"] = 1;
  odd.cycles[0].metrics["nan_value"] = std::nan("");
  const json odd_doc = ToJson(odd);
  CHECK_FALSE(odd_doc["cycles"][0]["metrics"].contains("not-a-name"));
  CHECK_FALSE(odd_doc["cycles"][0]["metrics"].contains("nan_value"));
  REQUIRE(FromJson(odd_doc, &back).ok());

  struct Tamper {
    const char* name;
    void (*edit)(json&);
    const char* field;
  };
  const std::vector<Tamper> tampers = {
      {"a metric edited", [](json& d) { d["cycles"][1]["metrics"]["recovery_ms"] = 1000; },
       "summary.metrics.recovery_ms"},
      {"a distribution edited", [](json& d) { d["summary"]["metrics"]["ops_acked"]["p95"] = 1; },
       "summary.metrics.ops_acked"},
      {"a distribution invented",
       [](json& d) {
         d["summary"]["metrics"]["ghost"] = {{"count", 1}, {"min", 1}, {"median", 1},
                                             {"p95", 1},   {"max", 1}, {"sum", 1}};
       },
       "summary.metrics.ghost"},
      {"a bad metric name", [](json& d) { d["cycles"][0]["metrics"]["bad-name"] = 1; },
       "cycles[0].metrics.bad-name"},
      {"a metric that is text", [](json& d) { d["cycles"][0]["metrics"]["ops_acked"] = "41"; },
       "cycles[0].metrics.ops_acked"},
      {"metrics missing", [](json& d) { d["cycles"][0].erase("metrics"); }, "cycles[0].metrics"},
      {"summary metrics missing", [](json& d) { d["summary"].erase("metrics"); },
       "summary.metrics"},
  };
  for (const Tamper& t : tampers) {
    json bad = ToJson(Shard(1));
    t.edit(bad);
    RunResult r;
    const Status s = FromJson(bad, &r);
    INFO(t.name << ": " << s.message());
    CHECK_FALSE(s.ok());
    CHECK(Contains(s.message(), t.field));
  }
}

TEST_CASE("report.json with metrics validates against the checked-in schema (python3)") {
  TempDir tmp;
  const char* src = std::getenv("POWERCUT_SOURCE_DIR");
  REQUIRE(src != nullptr);
  const fs::path schema = fs::path(src) / "reports" / "report.schema.json";
  const fs::path good = WriteShard(tmp, "good", Shard(1));
  json bad_name = ToJson(Shard(1));
  bad_name["cycles"][0]["metrics"]["bad-name"] = 1;
  e2e::WriteFile(tmp.path / "bad_name.json", bad_name.dump());
  json bad_dist = ToJson(Shard(1));
  bad_dist["summary"]["metrics"]["ops_acked"].erase("p95");
  e2e::WriteFile(tmp.path / "bad_dist.json", bad_dist.dump());
  e2e::WriteFile(tmp.path / "check.py", R"(
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for path in sys.argv[2:]:
    print("valid" if not list(v.iter_errors(json.load(open(path)))) else "invalid")
)");
  const std::string cmd = "python3 '" + (tmp.path / "check.py").string() + "' '" + schema.string() +
                          "' '" + good.string() + "' '" + (tmp.path / "bad_name.json").string() +
                          "' '" + (tmp.path / "bad_dist.json").string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  REQUIRE(pclose(p) == 0);
  CHECK(out == "valid\ninvalid\ninvalid\n");
}

namespace {

// A Prometheus text-format (0.0.4) reader, strict where our writer could go wrong: every
// sample is `name{labels} value`, every family has # TYPE before its first sample and at
// most once, summaries carry quantile labels in [0, 1], no sample appears twice.
struct Exposition {
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  // "name{a=\"x\",b=\"y\"}" (labels sorted, values unescaped) -> value
  std::map<std::string, double> samples;
};

std::string ParseExposition(const std::string& text, Exposition* e) {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\n]|\\[\\\"n])*)\")");
  if (text.empty() || text.back() != '\n') return "does not end in a newline";
  int number = 0;
  for (const std::string& line : Lines(text)) {
    ++number;
    const std::string where = "line " + std::to_string(number) + " '" + line + "': ";
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream in(line);
      std::string hash, kind, name, rest;
      in >> hash >> kind >> name;
      if (kind == "TYPE") {
        in >> rest;
        if (!std::regex_match(name, kName)) return where + "bad family name";
        if (e->types.count(name)) return where + "second TYPE";
        static const std::set<std::string> kTypes = {"counter", "gauge", "summary", "histogram",
                                                     "untyped"};
        if (!kTypes.count(rest)) return where + "unknown type";
        e->types[name] = rest;
      } else if (kind == "HELP") {
        if (!std::regex_match(name, kName)) return where + "bad HELP name";
        e->helped.insert(name);
      }
      continue;
    }
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) return where + "no value";
    const std::string name = line.substr(0, name_end);
    if (!std::regex_match(name, kName)) return where + "bad metric name";
    std::string rest = line.substr(name_end);
    std::map<std::string, std::string> labels;
    if (rest[0] == '{') {
      const size_t close = rest.rfind('}');
      if (close == std::string::npos) return where + "unclosed labels";
      std::string body = rest.substr(1, close - 1);
      rest = rest.substr(close + 1);
      while (!body.empty()) {
        std::smatch m;
        if (!std::regex_search(body, m, kLabel) || m.position(0) != 0) {
          return where + "bad label";
        }
        std::string value;
        const std::string raw = m[2];
        for (size_t i = 0; i < raw.size(); ++i) {
          if (raw[i] == '\\') {
            ++i;
            value += raw[i] == 'n' ? '\n' : raw[i];
          } else {
            value += raw[i];
          }
        }
        if (!labels.emplace(m[1], value).second) return where + "label twice";
        body = body.substr(m.length(0));
        if (!body.empty()) {
          if (body[0] != ',') return where + "labels not comma-separated";
          body = body.substr(1);
        }
      }
    }
    if (rest.size() < 2 || rest[0] != ' ') return where + "no value";
    const std::string value_text = rest.substr(1);
    double value = 0;
    if (value_text == "NaN" || value_text == "+Inf" || value_text == "-Inf") {
      value = value_text == "NaN" ? std::nan("") : value_text[0] == '+' ? HUGE_VAL : -HUGE_VAL;
    } else {
      char* end = nullptr;
      value = std::strtod(value_text.c_str(), &end);
      if (end == value_text.c_str() || *end != '\0') return where + "value is not a float";
    }
    std::string family = name;
    if (!e->types.count(family)) {
      for (const char* suffix : {"_sum", "_count", "_bucket"}) {
        const std::string s = suffix;
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
          const std::string base = name.substr(0, name.size() - s.size());
          if (e->types.count(base) &&
              (e->types[base] == "summary" || e->types[base] == "histogram")) {
            family = base;
          }
        }
      }
    }
    if (!e->types.count(family)) return where + "no # TYPE before the sample";
    if (e->types[family] == "summary" && family == name) {
      if (!labels.count("quantile")) return where + "summary sample without quantile";
      const double q = std::strtod(labels["quantile"].c_str(), nullptr);
      if (q < 0 || q > 1) return where + "quantile out of [0, 1]";
    }
    std::string key = name + "{";
    for (const auto& [k, v] : labels) key += k + "=\"" + v + "\",";
    key += "}";
    if (!e->samples.emplace(key, value).second) return where + "sample twice";
  }
  for (const auto& [family, type] : e->types) {
    if (family.rfind("powercut_", 0) != 0) return family + ": not prefixed powercut_";
    if (!e->helped.count(family)) return family + ": no # HELP";
  }
  return "";
}

}  // namespace

TEST_CASE("metrics.prom parses as Prometheus text and says what the report says") {
  TempDir tmp;
  RunResult run = Shard(1);
  run.shard.clear();
  MakeFailed(&run.cycles[2]);
  run.contract = "odd \"contract\" with \\ and\nnewline";
  REQUIRE(WriteReports(run, (tmp.path / "r").string()).ok());
  const std::string text = e2e::Slurp(tmp.path / "r" / "metrics.prom");
  CHECK(text == ToPrometheus(run));

  Exposition e;
  const std::string problem = ParseExposition(text, &e);
  INFO(text);
  REQUIRE(problem.empty());
  const Summary s = Summarize(run);
  double passed = 0, failed = 0;
  for (const auto& [key, v] : e.samples) {
    if (key.rfind("powercut_cycles_total{", 0) != 0) continue;
    (Contains(key, "verdict=\"PASS\"") ? passed : failed) += v;
  }
  CHECK(passed == s.passed);
  CHECK(failed == s.failed);
  CHECK(e.samples.at("powercut_cycles_total{fault=\"power-cut\",verdict=\"FAIL\",}") == 1);
  CHECK(e.samples.at("powercut_cycles_total{fault=\"power-cut\",verdict=\"PASS\",}") == 1);
  CHECK(e.samples.at("powercut_cycles_total{fault=\"kill\",verdict=\"FAIL\",}") == 0);
  CHECK(e.samples.at("powercut_failure_classes_total{class=\"lost-ack\",}") == 1);
  CHECK(e.samples.at("powercut_run_status{status=\"fail\",}") == 1);
  CHECK(e.samples.at("powercut_run_status{status=\"pass\",}") == 0);
  CHECK(e.samples.at("powercut_run_complete{}") == 1);
  CHECK(e.types.at("powercut_cycles_total") == "counter");
  CHECK(e.types.at("powercut_cycle_recovery_seconds") == "summary");
  CHECK(e.samples.at("powercut_cycle_recovery_seconds_count{}") == 4);
  CHECK(e.samples.at("powercut_cycle_recovery_seconds{quantile=\"1\",}") == Approx(0.030));
  CHECK(e.samples.at("powercut_cycle_cut_bytes{quantile=\"0.95\",}") ==
        s.metrics.at("cut_bytes").p95);
  CHECK(e.samples.at("powercut_rocksdb_estimate_num_keys{quantile=\"0.5\",}") ==
        s.metrics.at("estimate_num_keys").median);
  CHECK(e.samples.at("powercut_rocksdb_block_cache_lookups_count{result=\"miss\",}") == 4);
  // The contract's quotes, backslash and newline survive label escaping.
  bool found = false;
  for (const auto& [key, v] : e.samples) {
    if (key.rfind("powercut_run_info{", 0) == 0) {
      found = Contains(key, "contract=\"" + run.contract + "\"") && v == 1;
    }
  }
  CHECK(found);

  // While a run goes: status "running", and an empty run is still valid text.
  Exposition live;
  RunResult empty;
  REQUIRE(ParseExposition(ToPrometheus(empty, /*running=*/true), &live).empty());
  CHECK(live.samples.at("powercut_run_status{status=\"running\",}") == 1);
  CHECK(live.samples.at("powercut_run_status{status=\"incomplete\",}") == 0);
  CHECK(live.samples.at("powercut_cycle_recovery_seconds_count{}") == 0);
}

using e2e::Get;
using e2e::Http;
using e2e::HttpReply;

TEST_CASE("the metrics server answers /metrics and /healthz on loopback and stops") {
  // A run's results, growing on another thread while the server serves them.
  std::mutex mu;
  RunResult run = Shard(0);
  run.cycles.clear();
  std::atomic<int> scrapes{0};
  std::unique_ptr<MetricsServer> server;
  MetricsServer::Pages pages;
  pages["/metrics"] = {"text/plain; version=0.0.4; charset=utf-8", [&] {
                         ++scrapes;
                         std::lock_guard<std::mutex> lock(mu);
                         return ToPrometheus(run, /*running=*/true);
                       }};
  Status s = MetricsServer::Start(0, std::move(pages), &server);
  REQUIRE(s.ok());
  REQUIRE(server != nullptr);
  const uint16_t port = server->port();
  REQUIRE(port != 0);

  std::atomic<bool> stop{false};
  std::thread cycles([&] {
    for (uint64_t i = 1; !stop.load(); ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        run.cycles.push_back(Cycle(0, i, "kill", 3));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int i = 0; i < 5; ++i) {
    const HttpReply r = Get(port, "/metrics");
    CHECK(r.status == 200);
    CHECK(Contains(r.head, "text/plain; version=0.0.4"));
    Exposition e;
    CHECK(ParseExposition(r.body, &e).empty());
    CHECK(e.samples.count("powercut_run_status{status=\"running\",}"));
  }
  stop.store(true);
  cycles.join();
  CHECK(scrapes.load() == 5);

  const HttpReply health = Get(port, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(Get(port, "/metrics?name[]=x").status == 200);  // a scraper's query is ignored
  CHECK(Get(port, "/").status == 404);
  CHECK(Get(port, "/metricsx").status == 404);
  CHECK(Http(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").status == 405);
  const HttpReply head = Http(port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(Http(port, "garbage\r\n\r\n").status == 400);  // and the server lives on
  CHECK(Get(port, "/healthz").status == 200);

  // A second server cannot take the port: bad input, one line, naming it.
  std::unique_ptr<MetricsServer> second;
  s = MetricsServer::Start(port, {}, &second);
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kBadInput);
  CHECK(Contains(s.message(), std::to_string(port)));
  CHECK_FALSE(Contains(s.message(), "\n"));
  CHECK(second == nullptr);

  server->Stop();
  CHECK(Get(port, "/healthz").status == 0);  // nobody listens any more
  server->Stop();                            // idempotent
  server.reset();

  // A callback that throws gets a 500, not a dead server.
  std::unique_ptr<MetricsServer> throwing;
  MetricsServer::Pages boom;
  boom["/metrics"] = {"text/plain", []() -> std::string { throw std::runtime_error("boom"); }};
  REQUIRE(MetricsServer::Start(0, std::move(boom), &throwing).ok());
  CHECK(Get(throwing->port(), "/metrics").status == 500);
  CHECK(Get(throwing->port(), "/healthz").status == 200);
}

namespace {

std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Sets or unsets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

}  // namespace

TEST_CASE("progress writes plain lines every N seconds to a pipe, never to stdout") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ProgressOptions opts;
  opts.fd = fds[1];
  Progress progress(opts);  // auto: a pipe is not a terminal
  CHECK_FALSE(progress.line_mode());
  ProgressSnapshot p;
  p.total = 600;
  for (int64_t ms = 0; ms <= 25'000; ms += 500) {
    p.elapsed_ms = ms;
    p.done = static_cast<uint64_t>(ms / 100);
    p.passed = p.done;
    progress.Update(p);
  }
  progress.Finish(p);
  const std::string out = Drain(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
  const std::vector<std::string> lines = Lines(out);
  INFO(out);
  REQUIRE(lines.size() == 3);  // at 10 s, at 20 s, and the final line
  CHECK_FALSE(Contains(out, "\r"));
  CHECK(lines[0] ==
        "powercut: 100/600 cycles, 100 pass, 0 fail, 10.0 cycles/s, 10s elapsed, "
        "ETA 50s");
  CHECK(Contains(lines[2], "250/600 cycles"));

  // A time budget shows the time left instead of a total.
  ProgressSnapshot t;
  t.done = 42;
  t.passed = 41;
  t.failed = 1;
  t.time_left_ms = 750'000;
  t.elapsed_ms = 1'050'000;
  CHECK(Progress::Format(t) ==
        "powercut: 42 cycles, 12m30s left, 41 pass, 1 fail, 0.0 cycles/s, 17m30s elapsed, "
        "ETA 12m30s");

  // Asked for stdout, it writes to stderr all the same.
  const Captured c = Capture([] {
    ProgressOptions o;
    o.fd = STDOUT_FILENO;
    o.mode = ProgressOptions::Mode::kPlain;
    Progress to_stdout(o);
    to_stdout.Finish(ProgressSnapshot{});
    return 0;
  });
  CHECK(c.out.empty());
  CHECK(Contains(c.err, "powercut: 0 cycles"));
}

TEST_CASE("progress redraws one line on a terminal, and goes plain when CI=true") {
  int master = -1, slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  ProgressOptions opts;
  opts.fd = slave;
  {
    ScopedEnv ci("CI", nullptr);
    Progress progress(opts);
    CHECK(progress.line_mode());
    ProgressSnapshot p;
    p.total = 10;
    for (int64_t ms = 0; ms <= 1'000; ms += 100) {
      p.elapsed_ms = ms;
      p.done = static_cast<uint64_t>(ms / 100);
      progress.Update(p);
    }
    progress.Finish(p);
    const std::string out = Drain(master);
    INFO(out);
    CHECK(Contains(out, "\rpowercut: 0/10 cycles"));
    CHECK(Contains(out, "10/10 cycles"));
    CHECK(Lines(out).size() == 1);  // redrawn in place, one newline at the end
    CHECK(std::count(out.begin(), out.end(), '\r') >= 4);  // drawn at 0, 300, 600, 900 ms
  }
  {
    ScopedEnv ci("CI", "true");
    CHECK_FALSE(Progress(opts).line_mode());
  }
  ::close(master);
  ::close(slave);
}

TEST_CASE("store metrics read RocksDB's properties and statistics of a real store") {
  TempDir tmp;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.statistics = rocksdb::CreateDBStatistics();
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, (tmp.path / "db").string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), "k" + std::to_string(i), std::string(100, 'v')).ok());
  }
  REQUIRE(db->Flush(rocksdb::FlushOptions()).ok());
  std::string value;
  for (int i = 0; i < 1000; i += 10) {
    REQUIRE(db->Get(rocksdb::ReadOptions(), "k" + std::to_string(i), &value).ok());
  }

  const json m = CollectStoreMetrics(db.get(), options.statistics.get());
  INFO(m.dump());
  for (const char* name : {"estimate_num_keys", "total_sst_files_bytes", "num_files_at_level0",
                           "num_immutable_mem_table", "block_cache_hit", "block_cache_miss",
                           "compaction_cpu_us", "write_stall_us"}) {
    CHECK(m.contains(name));
  }
  CHECK(m["estimate_num_keys"].get<double>() >= 900);  // an estimate, but of 1000 keys
  CHECK(m["total_sst_files_bytes"].get<double>() > 1000);
  CHECK(m["num_files_at_level0"] == 1);
  CHECK(m["num_immutable_mem_table"] == 0);
  CHECK(m["block_cache_hit"].get<double>() + m["block_cache_miss"].get<double>() > 0);
  CHECK(CollectStoreMetrics(db.get(), nullptr).size() == 4);  // no statistics: properties only

  // Over the pipe as one line, and into a cycle's metrics.
  std::map<std::string, double> parsed = {{"recovery_ms", 2.5}};
  REQUIRE(ParseMetricsLine(kMetricsLinePrefix + m.dump(), &parsed).ok());
  CHECK(parsed.size() == 9);
  CHECK(parsed.at("recovery_ms") == 2.5);
  CHECK(parsed.at("estimate_num_keys") == m["estimate_num_keys"].get<double>());
  RunResult run = Shard(0);
  run.cycles[0].metrics = parsed;
  RunResult back;
  REQUIRE(FromJson(ToJson(run), &back).ok());
  CHECK(back.cycles[0].metrics == parsed);
}

TEST_CASE("a metrics line that a report could not carry is refused whole") {
  json many = json::object();
  for (size_t i = 0; i <= kMaxMetricsPerCycle; ++i) many["m" + std::to_string(i)] = i;
  for (const std::string& line :
       {std::string("metrics [1]"), std::string("metrics {"), std::string("metrics {\"a-b\":1}"),
        std::string("metrics {\"a\":\"1\"}"), std::string("metrics {\"a\":{\"b\":1}}"),
        std::string("metric {\"a\":1}"), "metrics " + many.dump()}) {
    std::map<std::string, double> out = {{"kept", 1}};
    const Status s = ParseMetricsLine(line, &out);
    INFO(line);
    CHECK_FALSE(s.ok());
    CHECK(out == std::map<std::string, double>{{"kept", 1}});
  }
}
