// report.json: ToJson and its strict inverse FromJson. The document is the contract with CI
// and the release gate, so FromJson accepts exactly what reports/report.schema.json accepts
// (no JSON-schema library in C++: the checks are written out here) and additionally
// recomputes the summary, so a hand-edited "status": "pass" cannot hide a failed cycle.
#include <cmath>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "reports/report_writer.h"
#include "reports/summary.h"

namespace powercut::reports {
namespace {

using nlohmann::json;

json DistributionToJson(const Distribution& d) {
  return json{{"count", d.count}, {"min", d.min}, {"median", d.median},
              {"p95", d.p95},     {"max", d.max}, {"sum", d.sum}};
}

json SummaryToJson(const Summary& s) {
  json metrics = json::object();
  for (const auto& [name, d] : s.metrics) metrics[name] = DistributionToJson(d);
  return json{
      {"cycles", s.cycles},
      {"passed", s.passed},
      {"failed", s.failed},
      {"verdicts_by_class", s.verdicts_by_class},
      {"faults_seen", s.faults_seen},
      {"cycles_per_second", s.cycles_per_second},
      {"recovery_ms",
       {{"min", s.recovery_ms_min}, {"median", s.recovery_ms_median}, {"max", s.recovery_ms_max}}},
      {"status", s.status},
      {"metrics", std::move(metrics)},
      {"crash_states",
       {{"judged", s.crash_states.judged},
        {"settled", s.crash_states.settled},
        {"distinct", s.crash_states.distinct},
        {"failed", s.crash_states.failed},
        {"classes", s.crash_states.classes},
        {"coverage", s.crash_states.coverage}}},
  };
}

json FindingsToJson(const std::vector<KeyFinding>& findings, size_t max) {
  json out = json::array();
  for (size_t i = 0; i < findings.size() && i < max; ++i) {
    const KeyFinding& f = findings[i];
    out.push_back(
        {{"key", f.key}, {"class", f.klass}, {"expected", f.expected}, {"found", f.found}});
  }
  return out;
}

json ExplorationToJson(const Exploration& e) {
  json failures = json::array();
  for (size_t i = 0; i < e.failures.size() && i < kMaxStateFailuresPerCycle; ++i) {
    const StateFailure& f = e.failures[i];
    failures.push_back({{"state", f.state},
                        {"classes", f.classes},
                        {"lo", f.lo},
                        {"hi", f.hi},
                        {"recovered", f.recovered},
                        {"detail", f.detail},
                        {"narrative", f.narrative},
                        {"reproduce", f.reproduce},
                        {"features", f.features},
                        {"findings", FindingsToJson(f.findings, kMaxFindingsPerState)}});
  }
  return {{"points", e.points},    {"candidates", e.candidates}, {"distinct", e.distinct},
          {"judged", e.judged},    {"settled", e.settled},       {"failed", e.failed},
          {"classes", e.classes},  {"failures", failures},       {"build_ms", e.build_ms},
          {"open_ms", e.open_ms},  {"judge_ms", e.judge_ms},     {"wall_ms", e.wall_ms},
          {"coverage", e.coverage}};
}

json CycleToJson(const CycleResult& c) {
  json findings = FindingsToJson(c.findings, kMaxFindingsPerCycle);
  json j{
      {"chain", c.chain},
      {"cycle", c.cycle},
      {"fault", c.fault},
      {"verdict", c.verdict},
      {"classes", c.classes},
      {"resume", c.resume},
      {"acked", c.acked},
      {"lo", c.lo},
      {"hi", c.hi},
      {"recovered", c.recovered},
      {"mismatches", c.mismatches},
      {"recovery_ms", c.recovery_ms},
      {"cycle_ms", c.cycle_ms},
      {"detail", c.detail},
      {"reproduce", Failed(c) ? ReproduceCommand(c) : c.reproduce},
      {"findings", std::move(findings)},
      {"metrics", WrittenMetrics(c)},
  };
  // Only merged reports say which shard a cycle came from; shard reports stay lean.
  if (!c.shard.empty()) j["shard"] = c.shard;
  // Only io-error cycles name their injected error (optional in the schema).
  if (!c.io_error.empty()) j["io_error"] = c.io_error;
  // Only cycles that explored crash states carry the exploration (optional in the schema).
  if (c.explored.points > 0) j["exploration"] = ExplorationToJson(c.explored);
  return j;
}

// Reads the fields of one JSON object, remembering the first problem so that a parse reads
// as a flat list of fields. `where` is the object's path ("cycles[3]"), so every error names
// the exact field a user has to look at. Unknown fields are errors: the schema is closed.
class FieldReader {
 public:
  FieldReader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
    if (!obj_.is_object()) Fail(where_.empty() ? "report" : where_, "must be a JSON object");
  }

  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

  std::string Path(const std::string& name) const {
    return where_.empty() ? name : where_ + "." + name;
  }

  // The field's value, or nullptr (and an error) when it is missing.
  const json* Get(const std::string& name) {
    if (!ok()) return nullptr;
    seen_.insert(name);
    auto it = obj_.find(name);
    if (it == obj_.end()) {
      Fail(Path(name), "is missing");
      return nullptr;
    }
    return &*it;
  }

  // Optional fields: nullptr without an error when absent.
  const json* GetOptional(const std::string& name) {
    if (!ok()) return nullptr;
    seen_.insert(name);
    auto it = obj_.find(name);
    return it == obj_.end() ? nullptr : &*it;
  }

  void String(const std::string& name, std::string* out, bool required = true) {
    const json* v = required ? Get(name) : GetOptional(name);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(Path(name), "must be a string, got " + TypeOf(*v));
    *out = v->get<std::string>();
  }

  void U64(const std::string& name, uint64_t* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (v->is_number_unsigned()) {
      *out = v->get<uint64_t>();
    } else if (v->is_number_integer() && v->get<int64_t>() >= 0) {
      *out = static_cast<uint64_t>(v->get<int64_t>());
    } else {
      Fail(Path(name), "must be a non-negative integer, got " + Show(*v));
    }
  }

  void NonNegative(const std::string& name, double* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < 0) {
      return Fail(Path(name), "must be a non-negative number, got " + Show(*v));
    }
    *out = v->get<double>();
  }

  void Finite(const std::string& name, double* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_number() || !std::isfinite(v->get<double>())) {
      return Fail(Path(name), "must be a number, got " + Show(*v));
    }
    *out = v->get<double>();
  }

  // An object of metric name -> finite number, at most kMaxMetricsPerCycle entries.
  void Metrics(const std::string& name, std::map<std::string, double>* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(Path(name), "must be an object, got " + TypeOf(*v));
    if (v->size() > kMaxMetricsPerCycle) {
      return Fail(Path(name), fmt::format("holds {} metrics, at most {} allowed", v->size(),
                                          kMaxMetricsPerCycle));
    }
    out->clear();
    for (const auto& [k, n] : v->items()) {
      if (!ValidMetricName(k)) {
        return Fail(Path(name) + "." + k,
                    "is not a metric name ([a-zA-Z_][a-zA-Z0-9_]*, at most 64 bytes)");
      }
      if (!n.is_number() || !std::isfinite(n.get<double>())) {
        return Fail(Path(name) + "." + k, "must be a number, got " + Show(n));
      }
      (*out)[k] = n.get<double>();
    }
  }

  void Bool(const std::string& name, bool* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_boolean()) return Fail(Path(name), "must be true or false, got " + Show(*v));
    *out = v->get<bool>();
  }

  void StringList(const std::string& name, std::vector<std::string>* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(Path(name), "must be an array, got " + TypeOf(*v));
    out->clear();
    for (size_t i = 0; i < v->size(); ++i) {
      const json& e = (*v)[i];
      if (!e.is_string() || e.get_ref<const std::string&>().empty()) {
        return Fail(fmt::format("{}[{}]", Path(name), i),
                    "must be a non-empty string, got " + Show(e));
      }
      out->push_back(e.get<std::string>());
    }
  }

  void Counts(const std::string& name, std::map<std::string, uint64_t>* out) {
    const json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(Path(name), "must be an object, got " + TypeOf(*v));
    out->clear();
    for (const auto& [k, n] : v->items()) {
      if (!n.is_number_unsigned() && !(n.is_number_integer() && n.get<int64_t>() >= 0)) {
        return Fail(Path(name) + "." + k, "must be a non-negative integer, got " + Show(n));
      }
      (*out)[k] = n.get<uint64_t>();
    }
  }

  // Call after every field was read: rejects fields the schema does not know.
  void Finish() {
    if (!ok()) return;
    for (const auto& [k, v] : obj_.items()) {
      if (!seen_.count(k)) return Fail(Path(k), "is not a field of this schema version");
    }
  }

  void Fail(const std::string& path, const std::string& what) {
    if (ok()) status_ = Status::BadInput("report field '" + path + "' " + what);
  }

  static std::string TypeOf(const json& v) { return v.type_name(); }

  // A short rendering of a bad value for the error line; long values are cut.
  static std::string Show(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return TypeOf(v) + " " + s;
  }

 private:
  const json& obj_;
  std::string where_;
  std::set<std::string> seen_;
  Status status_;
};

// An array of at most `max` key findings under `name` of r's object.
Status FindingsFromJson(FieldReader* r, const std::string& name, size_t max,
                        std::vector<KeyFinding>* out) {
  const json* fs = r->Get(name);
  if (fs == nullptr) return r->status();
  if (!fs->is_array()) {
    r->Fail(r->Path(name), "must be an array, got " + FieldReader::TypeOf(*fs));
    return r->status();
  }
  if (fs->size() > max) {
    r->Fail(r->Path(name), fmt::format("holds {} entries, at most {} allowed", fs->size(), max));
    return r->status();
  }
  out->clear();
  for (size_t i = 0; i < fs->size(); ++i) {
    FieldReader f((*fs)[i], fmt::format("{}[{}]", r->Path(name), i));
    KeyFinding k;
    f.String("key", &k.key);
    f.String("class", &k.klass);
    f.String("expected", &k.expected);
    f.String("found", &k.found);
    f.Finish();
    if (!f.ok()) return f.status();
    out->push_back(std::move(k));
  }
  return r->status();
}

Status StateFailureFromJson(const json& j, const std::string& where, StateFailure* f) {
  FieldReader r(j, where);
  r.String("state", &f->state);
  r.StringList("classes", &f->classes);
  if (r.ok() && f->classes.empty()) r.Fail(r.Path("classes"), "must name at least one class");
  r.U64("lo", &f->lo);
  r.U64("hi", &f->hi);
  r.U64("recovered", &f->recovered);
  r.String("detail", &f->detail);
  r.String("narrative", &f->narrative);
  r.String("reproduce", &f->reproduce);
  r.String("features", &f->features, /*required=*/false);
  Status s = FindingsFromJson(&r, "findings", kMaxFindingsPerState, &f->findings);
  if (!s.ok()) return s;
  r.Finish();
  return r.status();
}

Status ExplorationFromJson(const json& j, const std::string& where, Exploration* e) {
  FieldReader r(j, where);
  r.U64("points", &e->points);
  r.U64("candidates", &e->candidates);
  r.U64("distinct", &e->distinct);
  r.U64("judged", &e->judged);
  r.U64("settled", &e->settled);
  r.U64("failed", &e->failed);
  r.Counts("classes", &e->classes);
  r.NonNegative("build_ms", &e->build_ms);
  r.NonNegative("open_ms", &e->open_ms);
  r.NonNegative("judge_ms", &e->judge_ms);
  r.NonNegative("wall_ms", &e->wall_ms);
  // Optional: reports written before coverage was counted have none.
  if (r.GetOptional("coverage") != nullptr) r.Counts("coverage", &e->coverage);
  if (const json* fs = r.Get("failures"); fs != nullptr && r.ok()) {
    if (!fs->is_array() || fs->size() > kMaxStateFailuresPerCycle) {
      r.Fail(r.Path("failures"),
             fmt::format("must be an array of at most {} entries", kMaxStateFailuresPerCycle));
    } else {
      e->failures.clear();
      for (size_t i = 0; i < fs->size(); ++i) {
        StateFailure f;
        Status s = StateFailureFromJson((*fs)[i], fmt::format("{}[{}]", r.Path("failures"), i), &f);
        if (!s.ok()) return s;
        e->failures.push_back(std::move(f));
      }
    }
  }
  r.Finish();
  return r.status();
}

Status CycleFromJson(const json& j, const std::string& where, CycleResult* c) {
  FieldReader r(j, where);
  r.U64("chain", &c->chain);
  r.U64("cycle", &c->cycle);
  r.String("shard", &c->shard, /*required=*/false);
  r.String("fault", &c->fault);
  if (r.ok() && c->fault.empty()) r.Fail(r.Path("fault"), "must not be empty");
  r.String("io_error", &c->io_error, /*required=*/false);
  r.String("verdict", &c->verdict);
  if (r.ok() && c->verdict != "PASS" && c->verdict != "FAIL") {
    r.Fail(r.Path("verdict"), "must be \"PASS\" or \"FAIL\", got \"" + c->verdict + "\"");
  }
  r.StringList("classes", &c->classes);
  if (r.ok() && c->verdict == "PASS" && !c->classes.empty()) {
    r.Fail(r.Path("classes"), "must be empty on a PASS cycle");
  }
  if (r.ok() && c->verdict == "FAIL" && c->classes.empty()) {
    r.Fail(r.Path("classes"), "must name at least one class on a FAIL cycle");
  }
  r.U64("resume", &c->resume);
  r.U64("acked", &c->acked);
  r.U64("lo", &c->lo);
  r.U64("hi", &c->hi);
  r.U64("recovered", &c->recovered);
  r.U64("mismatches", &c->mismatches);
  r.NonNegative("recovery_ms", &c->recovery_ms);
  r.NonNegative("cycle_ms", &c->cycle_ms);
  r.String("detail", &c->detail);
  r.String("reproduce", &c->reproduce);
  if (r.ok() && c->verdict == "FAIL" && c->reproduce.empty()) {
    r.Fail(r.Path("reproduce"), "must hold the reproduce command on a FAIL cycle");
  }
  Status s = FindingsFromJson(&r, "findings", kMaxFindingsPerCycle, &c->findings);
  if (!s.ok()) return s;
  r.Metrics("metrics", &c->metrics);
  if (const json* e = r.GetOptional("exploration"); e != nullptr && r.ok()) {
    s = ExplorationFromJson(*e, r.Path("exploration"), &c->explored);
    if (!s.ok()) return s;
  }
  r.Finish();
  return r.status();
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

// The summary is derived data: parse it for its types, then demand that it says what the
// cycles say. A mismatch means the file was edited or produced by something else.
// The summary's fields, for their types only.
Status ParseSummary(const json& j, Summary* out) {
  FieldReader r(j, "summary");
  Summary& s = *out;
  r.U64("cycles", &s.cycles);
  r.U64("passed", &s.passed);
  r.U64("failed", &s.failed);
  r.Counts("verdicts_by_class", &s.verdicts_by_class);
  r.Counts("faults_seen", &s.faults_seen);
  r.NonNegative("cycles_per_second", &s.cycles_per_second);
  if (const json* rec = r.Get("recovery_ms")) {
    FieldReader m(*rec, "summary.recovery_ms");
    m.NonNegative("min", &s.recovery_ms_min);
    m.NonNegative("median", &s.recovery_ms_median);
    m.NonNegative("max", &s.recovery_ms_max);
    m.Finish();
    if (!m.ok()) return m.status();
  }
  r.String("status", &s.status);
  if (const json* ms = r.Get("metrics")) {
    if (!ms->is_object()) {
      r.Fail("summary.metrics", "must be an object, got " + FieldReader::TypeOf(*ms));
    } else {
      for (const auto& [name, dj] : ms->items()) {
        FieldReader m(dj, "summary.metrics." + name);
        Distribution d;
        m.U64("count", &d.count);
        m.Finite("min", &d.min);
        m.Finite("median", &d.median);
        m.Finite("p95", &d.p95);
        m.Finite("max", &d.max);
        m.Finite("sum", &d.sum);
        m.Finish();
        if (!m.ok()) return m.status();
        s.metrics[name] = d;
      }
    }
  }
  // Optional: reports written before exploration existed have none (and explored nothing).
  if (const json* cs = r.GetOptional("crash_states"); cs != nullptr && r.ok()) {
    FieldReader m(*cs, "summary.crash_states");
    m.U64("judged", &s.crash_states.judged);
    m.U64("settled", &s.crash_states.settled);
    m.U64("distinct", &s.crash_states.distinct);
    m.U64("failed", &s.crash_states.failed);
    m.Counts("classes", &s.crash_states.classes);
    if (m.GetOptional("coverage") != nullptr) m.Counts("coverage", &s.crash_states.coverage);
    m.Finish();
    if (!m.ok()) return m.status();
  }
  if (r.ok() && s.status != "pass" && s.status != "fail" && s.status != "incomplete") {
    r.Fail("summary.status",
           "must be \"pass\", \"fail\" or \"incomplete\", got \"" + s.status + "\"");
  }
  r.Finish();
  return r.status();
}

// Whether a parsed summary says what the cycles say.
Status CompareSummary(const Summary& s, const Summary& want) {
  auto mismatch = [](const std::string& field, const std::string& got, const std::string& is) {
    return Status::BadInput("report field 'summary." + field + "' says " + got +
                            " but the cycles say " + is + " (edited or foreign report)");
  };
  if (s.cycles != want.cycles) {
    return mismatch("cycles", std::to_string(s.cycles), std::to_string(want.cycles));
  }
  if (s.passed != want.passed) {
    return mismatch("passed", std::to_string(s.passed), std::to_string(want.passed));
  }
  if (s.failed != want.failed) {
    return mismatch("failed", std::to_string(s.failed), std::to_string(want.failed));
  }
  if (s.verdicts_by_class != want.verdicts_by_class) {
    return mismatch("verdicts_by_class", CountsToString(s.verdicts_by_class),
                    CountsToString(want.verdicts_by_class));
  }
  if (s.faults_seen != want.faults_seen) {
    return mismatch("faults_seen", CountsToString(s.faults_seen), CountsToString(want.faults_seen));
  }
  if (s.status != want.status) return mismatch("status", s.status, want.status);
  if (s.crash_states != want.crash_states) {
    return mismatch(
        "crash_states",
        fmt::format("{} states judged, {} failed", s.crash_states.judged, s.crash_states.failed),
        fmt::format("{} judged, {} failed", want.crash_states.judged, want.crash_states.failed));
  }
  // Every metric the cycles carry, and no other, with the figures the cycles give.
  for (const auto& [name, d] : s.metrics) {
    if (!want.metrics.count(name)) {
      return mismatch("metrics." + name, "a distribution", "no cycle records it");
    }
  }
  for (const auto& [name, w] : want.metrics) {
    auto it = s.metrics.find(name);
    if (it == s.metrics.end()) return mismatch("metrics." + name, "nothing", "a distribution");
    const Distribution& d = it->second;
    if (d.count != w.count || !Near(d.min, w.min) || !Near(d.median, w.median) ||
        !Near(d.p95, w.p95) || !Near(d.max, w.max) || !Near(d.sum, w.sum)) {
      return mismatch(
          "metrics." + name, "other figures",
          fmt::format("count {} min {:.6g} median {:.6g} p95 {:.6g} max {:.6g} sum {:.6g}", w.count,
                      w.min, w.median, w.p95, w.max, w.sum));
    }
  }
  if (!Near(s.cycles_per_second, want.cycles_per_second) ||
      !Near(s.recovery_ms_min, want.recovery_ms_min) ||
      !Near(s.recovery_ms_median, want.recovery_ms_median) ||
      !Near(s.recovery_ms_max, want.recovery_ms_max)) {
    return mismatch(
        "cycles_per_second/recovery_ms", "other figures",
        fmt::format("{:.6g} cycles/s, recovery {:.6g}/{:.6g}/{:.6g} ms", want.cycles_per_second,
                    want.recovery_ms_min, want.recovery_ms_median, want.recovery_ms_max));
  }
  return Status::Ok();
}

Status CheckSummary(const json& j, const RunResult& run) {
  Summary s;
  Status st = ParseSummary(j, &s);
  return st.ok() ? CompareSummary(s, Summarize(run)) : st;
}

}  // namespace

json ToJson(const RunResult& run) {
  json cycles = json::array();
  for (const CycleResult& c : run.cycles) cycles.push_back(CycleToJson(c));
  return json{
      // Written as the constant, not run.schema_version: this code only knows how to write
      // the current version, whatever a parsed RunResult claimed.
      {"schema_version", kReportSchemaVersion},
      {"tool_version", run.tool_version},
      {"rocksdb_version", run.rocksdb_version},
      {"seed", run.seed},
      {"plan", run.plan.is_null() ? json::object() : run.plan},
      {"contract", run.contract},
      {"shard", run.shard},
      {"complete", run.complete},
      {"incomplete_reason", run.incomplete_reason},
      {"started_at", run.started_at},
      {"duration_s", run.duration_s},
      {"summary", SummaryToJson(Summarize(run))},
      {"cycles", std::move(cycles)},
  };
}

Status FromJson(const json& doc, RunResult* run) {
  if (!doc.is_object()) return Status::BadInput("report must be a JSON object");
  // The version first: a report of another version may differ anywhere, so its other
  // fields' errors would only mislead.
  auto v = doc.find("schema_version");
  if (v == doc.end()) return Status::BadInput("report field 'schema_version' is missing");
  if (!v->is_number_integer()) {
    return Status::BadInput("report field 'schema_version' must be an integer, got " +
                            FieldReader::Show(*v));
  }
  if (v->get<int64_t>() != kReportSchemaVersion) {
    return Status::BadInput(fmt::format(
        "report field 'schema_version' is {}, an unknown schema version (this powercut reads {})",
        v->get<int64_t>(), kReportSchemaVersion));
  }

  RunResult out;
  FieldReader r(doc, "");
  int64_t version = 0;
  if (const json* sv = r.Get("schema_version")) version = sv->get<int64_t>();
  out.schema_version = static_cast<int>(version);
  r.String("tool_version", &out.tool_version);
  // Optional: reports written before it was recorded lack it.
  r.String("rocksdb_version", &out.rocksdb_version, /*required=*/false);
  r.U64("seed", &out.seed);
  if (const json* plan = r.Get("plan")) {
    if (!plan->is_object()) {
      r.Fail("plan", "must be an object, got " + FieldReader::TypeOf(*plan));
    } else {
      out.plan = *plan;
    }
  }
  r.String("contract", &out.contract);
  r.String("shard", &out.shard);
  r.Bool("complete", &out.complete);
  r.String("incomplete_reason", &out.incomplete_reason);
  r.String("started_at", &out.started_at);
  r.NonNegative("duration_s", &out.duration_s);
  if (const json* cycles = r.Get("cycles")) {
    if (!cycles->is_array()) {
      r.Fail("cycles", "must be an array, got " + FieldReader::TypeOf(*cycles));
    } else {
      // (shard, cycle) names a cycle in replay commands and JUnit; a repeat would be a
      // cycle counted twice.
      std::set<std::pair<std::string, uint64_t>> ids;
      out.cycles.reserve(cycles->size());
      for (size_t i = 0; i < cycles->size(); ++i) {
        CycleResult c;
        const std::string where = fmt::format("cycles[{}]", i);
        if (Status s = CycleFromJson((*cycles)[i], where, &c); !s.ok()) return s;
        if (!ids.insert({c.shard, c.cycle}).second) {
          return Status::BadInput(fmt::format("report field '{}.cycle' repeats cycle {}{}", where,
                                              c.cycle,
                                              c.shard.empty() ? "" : " of shard " + c.shard));
        }
        out.cycles.push_back(std::move(c));
      }
    }
  }
  const json* summary = r.Get("summary");
  r.Finish();
  if (!r.ok()) return r.status();
  if (Status s = CheckSummary(*summary, out); !s.ok()) return s;
  *run = std::move(out);
  return Status::Ok();
}

}  // namespace powercut::reports
