#include "harness/chain_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "harness/await_verdict.h"
#include "harness/child_process.h"
#include "src/chain_manifest.h"
#include "src/contract.h"
#include "src/hash.h"
#include "src/oracle.h"
#include "src/rng.h"
#include "src/verdict.h"
#include "workloads/generator.h"

namespace powercut::harness {
namespace {

constexpr int64_t kDrainTimeoutMs = 10'000;       // a SIGKILLed writer's pipe closes at once
constexpr int64_t kCleanCloseTimeoutMs = 60'000;  // DB::Close flushes nothing by default

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// A fault injected whose verdict is not known yet: the next writer's open decides it.
struct Pending {
  uint64_t cycle = 0;
  Fault fault = Fault::kKill;
  Contract contract;
  uint64_t resume = 0;
  uint64_t acked = 0;
  uint64_t hi = 0;
  uint64_t lo = 0;
  int64_t started_ms = 0;
  std::string detail;   // what the fault did, e.g. "SIGKILL after 12 ms"
  std::string failure;  // non-empty: the cycle failed while writing (class unrecoverable)
};

class ChainRunner {
 public:
  ChainRunner(const RunPlan& plan, uint32_t chain, RunState* state)
      : plan_(plan),
        chain_(chain),
        state_(state),
        seed_(ChainSeed(plan.seed, chain)),
        dir_(fmt::format("{}/chain-{}", plan.data_dir, chain)),
        ops_(seed_, plan.workload),
        oracle_(plan.workload.key_count) {}

  void Run() {
    Status s = Setup();
    if (!s.ok()) return state_->HarnessError(s.message());
    std::optional<Pending> pending;
    for (uint64_t local = 0;; ++local) {
      const uint64_t cycle = chain_ + 1 + local * plan_.chains;
      if (state_->interrupted()) return;
      const bool more = state_->MayStart(cycle);
      if (!more && !state_->harness_error().empty()) return;
      const uint64_t lo = pending ? pending->lo : oracle_.index();
      const uint64_t hi = pending ? pending->hi : oracle_.index();

      std::unique_ptr<ChildProcess> child;
      s = Spawn(lo, hi, !more, &child);
      if (!s.ok()) return state_->HarnessError(s.message());
      double recovery_ms = 0;
      Verdict v = AwaitVerdict(child.get(), lo, hi, plan_.recovery_timeout_ms, &recovery_ms, &s);
      if (!s.ok()) return state_->HarnessError(dir_ + ": " + s.message());
      if (state_->interrupted()) return;
      if (pending) {
        if (!pending->failure.empty())
          v = Verdict::Failure(kUnrecoverable, pending->failure, lo, hi);
        Record(*pending, v, recovery_ms);
      } else if (!v.pass) {
        return state_->HarnessError(
            fmt::format("{}: a fresh chain failed its first open: {}", dir_, v.detail));
      }
      s = ChainManifest::Append(
          manifest_,
          {{"type", "verdict"}, {"cycle", pending ? pending->cycle : 0}, {"verdict", v.ToJson()}});
      if (!s.ok()) return state_->HarnessError(s.message());
      if (!v.pass) return;  // the store stays as recovered; the writer already exited
      oracle_.AdvanceTo(v.recovered, ops_);
      s = oracle_.Save(dir_ + "/oracle.bin");
      if (!s.ok()) return state_->HarnessError(s.message());
      if (!more) {
        child->Wait(kCleanCloseTimeoutMs, nullptr);
        ChainManifest::Append(manifest_, {{"type", "closed"}, {"recovered", v.recovered}});
        return;
      }
      pending = InjectFault(child.get(), cycle, local, v.recovered);
      if (state_->interrupted()) return;
      s = ChainManifest::Append(manifest_,
                                {{"type", "cycle"},
                                 {"cycle", pending->cycle},
                                 {"fault", FaultName(pending->fault)},
                                 {"contract", pending->contract.Describe(pending->fault)},
                                 {"resume", pending->resume},
                                 {"acked", pending->acked},
                                 {"hi", pending->hi},
                                 {"lo", pending->lo},
                                 {"detail", pending->detail}});
      if (!s.ok()) return state_->HarnessError(s.message());
    }
  }

 private:
  Status Setup() {
    std::error_code ec;
    std::filesystem::create_directories(dir_ + "/db", ec);
    if (ec) return Status::IoError("cannot create " + dir_ + ": " + ec.message());
    manifest_ = dir_ + "/manifest.jsonl";
    ChainHeader h;
    h.chain = chain_;
    h.seed = seed_;
    h.workload = plan_.workload.ToJson();
    h.store = plan_.store;
    h.max_ops_per_cycle = plan_.max_ops_per_cycle;
    Status s = ChainManifest::Create(manifest_, h);
    if (!s.ok()) return s;
    return oracle_.Save(dir_ + "/oracle.bin");
  }

  Status Spawn(uint64_t lo, uint64_t hi, bool verify_only, std::unique_ptr<ChildProcess>* child) {
    std::vector<std::string> args = {"--chain",      dir_,
                                     "--lo",         std::to_string(lo),
                                     "--hi",         std::to_string(hi),
                                     "--parent-pid", std::to_string(::getpid())};
    if (verify_only) args.push_back("--verify-only");
    if (plan_.test_lie_ack) args.push_back("--test-lie-ack");
    return ChildProcess::Spawn(plan_.writer_path, args, dir_ + "/writer.stderr", child);
  }

  Fault PickFault(uint64_t local) const {
    if (plan_.fault != "mix") {
      Fault f = Fault::kKill;
      ParseFault(plan_.fault, &f);
      return f;
    }
    Rng rng(seed_, "fault-kind", local);
    return rng.Uniform(4) == 0 ? Fault::kStall : Fault::kKill;
  }

  // Lets the writer run, fires the seeded fault, and reads every ack the kernel still holds.
  Pending InjectFault(ChildProcess* child, uint64_t cycle, uint64_t local, uint64_t r) {
    Pending p;
    p.cycle = cycle;
    p.fault = PickFault(local);
    p.contract = ContractFor(p.fault, plan_.store, plan_.expect_acked);
    p.resume = r + 1;
    p.acked = r;
    p.hi = r;
    p.started_ms = NowMs();
    Rng rng(seed_, "fault-time", local);
    struct Step {
      int64_t at_ms;
      int sig;
    };
    std::vector<Step> steps;
    const int64_t t = static_cast<int64_t>(rng.Between(plan_.write_min_ms, plan_.write_max_ms));
    switch (p.fault) {
      case Fault::kKill:
        steps = {{t, SIGKILL}};
        p.detail = fmt::format("SIGKILL after {} ms", t);
        break;
      case Fault::kStall: {
        const int64_t hold = static_cast<int64_t>(rng.Between(1, 50));
        if (rng.Uniform(2) == 0) {
          steps = {{t, SIGSTOP}, {t + hold, SIGKILL}};
          p.detail = fmt::format("SIGSTOP after {} ms, SIGKILL while stopped {} ms later", t, hold);
        } else {
          const int64_t after = static_cast<int64_t>(rng.Between(1, 20));
          steps = {{t, SIGSTOP}, {t + hold, SIGCONT}, {t + hold + after, SIGKILL}};
          p.detail = fmt::format(
              "SIGSTOP after {} ms, SIGCONT {} ms later, SIGKILL {} ms after that", t, hold, after);
        }
        break;
      }
      case Fault::kClean:
      case Fault::kPowerCut:
        steps = {{t, SIGTERM}};
        p.detail = fmt::format("SIGTERM (clean close) after {} ms", t);
        break;
    }
    const int64_t start = NowMs();
    bool done = false, closed = false;
    std::string line;
    auto absorb = [&](const std::string& l) {
      if (l.rfind("issued ", 0) == 0) {
        p.hi = std::max<uint64_t>(p.hi, std::stoull(l.substr(7)));
      } else if (l.rfind("acked ", 0) == 0) {
        const uint64_t i = std::stoull(l.substr(6));
        if (i != p.acked + 1) {
          state_->HarnessError(fmt::format("{}: writer acked op {} after op {}", dir_, i, p.acked));
        }
        p.acked = i;
        p.hi = std::max(p.hi, i);
      } else if (l == "done") {
        done = true;
      } else if (l == "closed") {
        closed = true;
      } else if (l.rfind("error ", 0) == 0) {
        p.failure = "writing failed: " + l.substr(6);
      }
    };
    for (const Step& step : steps) {
      while (!done && p.failure.empty() && !state_->interrupted()) {
        const int64_t left = start + step.at_ms - NowMs();
        if (left <= 0) break;
        if (child->ReadLine(&line, left) != ChildProcess::Read::kLine) break;
        absorb(line);
      }
      if (state_->interrupted()) {
        child->KillAndReap();
        return p;
      }
      child->Signal(step.sig);
    }
    const int64_t drain_ms = p.fault == Fault::kKill || p.fault == Fault::kStall
                                 ? kDrainTimeoutMs
                                 : kCleanCloseTimeoutMs;
    while (child->ReadLine(&line, drain_ms) == ChildProcess::Read::kLine) absorb(line);
    child->KillAndReap();
    if (p.fault == Fault::kClean && !closed && p.failure.empty()) {
      p.failure = "clean close did not complete";
    }
    p.lo = r;
    if (p.contract.rule == Rule::kAcked) {
      p.lo = p.acked;
    } else {
      for (uint64_t i = p.resume; i <= p.acked; ++i) {
        if (p.contract.Covers(ops_.Get(i))) p.lo = i;
      }
    }
    return p;
  }

  void Record(const Pending& p, const Verdict& v, double recovery_ms) {
    reports::CycleResult c;
    c.chain = chain_;
    c.cycle = p.cycle;
    c.fault = FaultName(p.fault);
    c.verdict = v.pass ? "PASS" : "FAIL";
    for (const auto& [klass, n] : v.classes) c.classes.push_back(klass);
    c.resume = p.resume;
    c.acked = p.acked;
    c.lo = p.lo;
    c.hi = p.hi;
    c.recovered = v.recovered;
    c.mismatches = v.mismatches;
    c.recovery_ms = recovery_ms;
    c.cycle_ms = static_cast<double>(NowMs() - p.started_ms);
    c.detail = p.detail + "; " + v.detail;
    for (const Finding& f : v.findings) c.findings.push_back({f.key, f.klass, f.expected, f.found});
    if (!v.pass) c.reproduce = plan_.ReproduceLine() + "   # then: powercut verify " + dir_;
    state_->Record(std::move(c));
  }

  const RunPlan& plan_;
  const uint32_t chain_;
  RunState* state_;
  const uint64_t seed_;
  const std::string dir_;
  std::string manifest_;
  const workloads::OpGenerator ops_;
  Oracle oracle_;
};

}  // namespace

uint64_t ChainSeed(uint64_t run_seed, uint32_t chain) {
  return Mix64(run_seed ^ Mix64(0x636861696eULL + chain));  // "chain"
}

void RunChain(const RunPlan& plan, uint32_t chain, RunState* state) {
  ChainRunner(plan, chain, state).Run();
}

}  // namespace powercut::harness
