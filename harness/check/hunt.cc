#include "harness/check/hunt.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "harness/check/corpus.h"
#include "harness/check/run.h"
#include "harness/check/shrink.h"
#include "src/rng.h"

namespace fs = std::filesystem;

namespace powercut::harness {
namespace {

constexpr uint32_t kMutatePercent = 80;  // guided: cases drawn from a corpus parent
constexpr uint32_t kMutateTries = 8;     // mutations tried before falling back to a fresh case
constexpr int64_t kShrinkShareOfRemaining = 4;  // a finding's shrink takes at most 1/4 of it
// No case may take more than an eighth of the budget (or a minute): one slow chain (thousands
// of flushes, each a crash point to explore) must not spend the night.
constexpr int64_t kCaseShareOfBudget = 8;
constexpr int64_t kMinCaseCapMs = 60'000;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

class Hunter {
 public:
  Hunter(const CheckOptions& o, const GenLimits& l, HuntResult* r)
      : o_(o), l_(l), r_(r), rng_(o.seed, "hunt") {}

  void Run() {
    InterruptScope interrupts;
    start_ms_ = NowMs();
    deadline_ms_ = start_ms_ + o_.duration_ms;
    while (!Stopped() && NowMs() < deadline_ms_ &&
           (o_.max_cases == 0 || r_->cases < o_.max_cases)) {
      bool mutated = false;
      const CheckCase c = NextCase(&mutated);
      RunRecord rec = Execute(c, /*shrinking=*/false, deadline_ms_);
      Observe(&rec, mutated);
      r_->timeline.push_back(
          {Seconds(), r_->cases, r_->coverage.size(), static_cast<uint64_t>(r_->findings.size())});
      Progress(rec);
    }
    r_->corpus = corpus_.size();
    r_->seconds = Seconds();
  }

 private:
  bool Stopped() const { return !r_->error.empty() || r_->interrupted; }
  double Seconds() const { return (NowMs() - start_ms_) / 1000.0; }

  // A fresh case from the generator, or (guided, four in five once the corpus has a parent) a
  // mutation of a parent that passes the filters.
  CheckCase NextCase(bool* mutated) {
    const uint64_t index = r_->cases;
    const CheckCase fresh = SampleCase(l_, Rng(o_.seed, "hunt-case", index).Next());
    *mutated = false;
    if (!o_.guided || corpus_.empty() || rng_.Uniform(100) >= kMutatePercent) return fresh;
    for (uint32_t t = 0; t < kMutateTries; ++t) {
      std::string climb;
      const CheckCase& parent = corpus_.Pick(&rng_, &climb);
      const CheckCase other = SampleCase(l_, rng_.Next());
      CheckCase child =
          climb.empty() ? Mutate(parent, other, &rng_) : Climb(parent, climb, other.seed);
      child.cycles = std::min(child.cycles, l_.max_cycles);
      if (!Admissible(child, l_)) continue;
      *mutated = true;
      return child;
    }
    return fresh;
  }

  RunRecord Execute(const CheckCase& c, bool shrinking, int64_t until_ms) {
    RunRecord r;
    r.run = r_->runs.size() + 1;
    r.shrinking = shrinking;
    r.c = c;
    r.args = c.RunArgs(o_.forced_options, o_.extra_run_args);
    r.dir = fmt::format("{}/case-{}", o_.work_dir, r.run);
    const int64_t left_ms = std::max<int64_t>(1, until_ms - NowMs());
    const int64_t cap_ms = std::max(kMinCaseCapMs, o_.duration_ms / kCaseShareOfBudget);
    r.outcome =
        RunCase(o_.powercut_path, r.args, r.dir, std::min({c.TimeoutMs(), cap_ms, left_ms}));
    // The budget ran out under it, or it ran past its generous timeout (every step of a
    // run has its own timeout, so this is slowness, a long chain of long recoveries): neither
    // a verdict on the store nor a broken harness. Counted, and the hunt goes on.
    if (r.outcome.kind == RunOutcome::Kind::kHarnessError && r.outcome.timed_out) {
      r.outcome.kind = RunOutcome::Kind::kInterrupted;
      r.outcome.detail = left_ms < std::min(c.TimeoutMs(), cap_ms)
                             ? "cut short: the hunt's budget ran out"
                             : "cut short: " + r.outcome.detail;
    }
    if (shrinking) r_->shrink_runs++;
    r_->runs.push_back(r);
    return r;
  }

  void Forget(RunRecord* r) {
    if (r->dir.empty()) return;
    std::error_code ec;
    fs::remove_all(r->dir, ec);
    for (RunRecord& stored : r_->runs) {
      if (stored.run == r->run) stored.dir.clear();
    }
    r->dir.clear();
  }

  void Observe(RunRecord* rec, bool mutated) {
    r_->cases++;
    r_->mutated += mutated ? 1 : 0;
    using Kind = RunOutcome::Kind;
    switch (rec->outcome.kind) {
      case Kind::kRejected:
        r_->discarded++;
        return Forget(rec);
      case Kind::kHarnessError:
        r_->error = fmt::format("{}: {}", rec->Reproduce(), rec->outcome.detail);
        return;  // its folder stays, as evidence
      case Kind::kInterrupted:
        if (rec->outcome.timed_out) {
          r_->cut_short++;
        } else {
          r_->interrupted = true;
        }
        return Forget(rec);
      case Kind::kPass:
      case Kind::kFinding:
        break;
    }
    CaseReport report;
    Status s = ReadCaseReport(rec->dir + "/report/report.json", &report);
    if (!s.ok()) {
      r_->error = fmt::format("{}: {}", rec->Reproduce(), s.message());
      return;
    }
    rec->planted_losses = r_->runs.back().planted_losses = report.planted_losses;
    std::vector<std::string> keys;
    for (const auto& [key, n] : report.coverage) {
      r_->coverage.emplace(key, rec->run);
      keys.push_back(key);
    }
    const bool failed = rec->outcome.kind != Kind::kPass && !report.failures.empty();
    if (o_.guided) corpus_.Observe(rec->c, keys, failed);
    if (!failed) {
      r_->passed++;
      return Forget(rec);
    }
    r_->failed++;
    OnFindings(rec, report.failures);
  }

  // Each failure of the case is a sighting of a known finding or a new one, shrunk and kept.
  void OnFindings(RunRecord* rec, const std::vector<CaseFailure>& failures) {
    std::vector<Finding> fresh;
    for (const CaseFailure& failure : failures) {
      const std::string key = failure.signature.Key();
      rec->signatures.push_back(key);
      r_->runs.back().signatures.push_back(key);
      if (auto it = by_signature_.find(key); it != by_signature_.end()) {
        r_->findings[it->second].count++;
        continue;
      }
      Finding f;
      f.signature = failure.signature;
      f.count = 1;
      f.failure = failure;
      f.first_seen_s = Seconds();
      f.first_seen_case = r_->cases;
      by_signature_[key] = r_->findings.size() + fresh.size();
      fresh.push_back(std::move(f));
    }
    for (Finding& f : fresh) {
      f.first = f.shrunk = *rec;  // with every signature of the case
      if (!Stopped()) Shrink(&f);
      Keep(&f, r_->findings.size() + 1);
      f.first.dir.clear();  // goes with the case's folder, just below
      r_->findings.push_back(std::move(f));
    }
    Forget(rec);
  }

  // Greedy: the first smaller case with a failing state (CaseReport::failures) that shares a
  // class with the finding's becomes the new smallest, and that state its failure, until no
  // smaller one does or the finding's share of the budget is spent. (A class of any failing
  // cycle would not do: a case failing two ways could shrink from a loss to an abort,
  // reported under the loss's signature.)
  void Shrink(Finding* f) {
    const int64_t until_ms = NowMs() + (deadline_ms_ - NowMs()) / kShrinkShareOfRemaining;
    bool moved = true;
    while (moved && !Stopped()) {
      moved = false;
      for (const CheckCase& smaller : SmallerCases(f->shrunk.c)) {
        if (f->shrink_runs >= o_.shrink_runs_per_finding || NowMs() >= until_ms) return;
        if (!Admissible(smaller, l_)) continue;
        RunRecord r = Execute(smaller, /*shrinking=*/true, until_ms);
        f->shrink_runs++;
        CaseReport report;
        const CaseFailure* like = nullptr;
        if (r.outcome.kind == RunOutcome::Kind::kFinding &&
            ReadCaseReport(r.dir + "/report/report.json", &report).ok())
          like = report.FailureLike(f->signature);
        if (r.outcome.kind == RunOutcome::Kind::kHarnessError && !r.outcome.timed_out) {
          r_->error = fmt::format("{}: {}", r.Reproduce(), r.outcome.detail);
          return;
        }
        if (like == nullptr) {
          Forget(&r);
          continue;
        }
        if (f->shrunk.run != f->first.run) Forget(&f->shrunk);
        f->shrunk = r;
        f->failure = *like;
        moved = true;
        break;
      }
    }
  }

  // Moves the shrunk run's report folder and output to REPORT_DIR/findings/finding-K; the
  // rest of the work folder goes.
  void Keep(Finding* f, size_t k) {
    const std::string dir = fmt::format("{}/findings/finding-{}", o_.report_dir, k);
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    // The case that found it may hold further findings: its folder is copied, and goes when
    // all of them are kept (OnFindings); a shrink run's is the finding's alone.
    const bool shared = f->shrunk.run == f->first.run;
    for (const char* part : {"report", "run.out", "run.err"}) {
      const fs::path from = fs::path(f->shrunk.dir) / part, to = fs::path(dir) / part;
      if (!shared) fs::rename(from, to, ec);
      if (shared || ec) fs::copy(from, to, fs::copy_options::recursive, ec);
    }
    f->evidence_dir = dir;
    if (f->shrunk.run != f->first.run) Forget(&f->shrunk);
    f->shrunk.dir = dir;
  }

  void Progress(const RunRecord& rec) {
    std::string what = KindName(rec.outcome.kind);
    for (const std::string& k : rec.outcome.classes) what += " " + k;
    const double left = std::max<double>(0, (deadline_ms_ - NowMs()) / 1000.0);
    fmt::print(stderr,
               "hunt: case {} {} ({:.1f} s): {}\nhunt: {} cases, {} feature combinations, {} "
               "distinct findings, {:.0f} s elapsed, {:.0f} s left\n",
               r_->cases, what, rec.outcome.seconds, rec.c.Describe(), r_->cases,
               r_->coverage.size(), r_->findings.size(), Seconds(), left);
  }

  const CheckOptions& o_;
  const GenLimits& l_;
  HuntResult* r_;
  Rng rng_;
  Corpus corpus_;
  std::map<std::string, size_t> by_signature_;  // signature key -> r_->findings index
  int64_t start_ms_ = 0, deadline_ms_ = 0;
};

}  // namespace

std::string Finding::ReplayLine() const {
  std::string line =
      fmt::format("powercut replay {}/report/report.json --cycle {}", evidence_dir, failure.cycle);
  if (!failure.state.empty() && failure.image_kept) line += " --state " + failure.state;
  return line;
}

void RunHunt(const CheckOptions& o, const GenLimits& limits, HuntResult* result) {
  *result = HuntResult();
  Hunter(o, limits, result).Run();
}

}  // namespace powercut::harness
