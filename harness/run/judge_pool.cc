#include "harness/run/judge_pool.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <map>
#include <thread>

#include "harness/protocol/writer_args.h"
#include "harness/run/await_verdict.h"
#include "harness/run/child_process.h"

namespace powercut::harness {
namespace {

constexpr int64_t kExitTimeoutMs = 10'000;  // a judge exits right after its verdict

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

JudgePool::JudgePool(std::string writer_path, uint32_t judges, int64_t timeout_ms)
    : writer_path_(std::move(writer_path)),
      judges_(std::clamp<uint32_t>(judges, 1, kMaxJudges)),
      timeout_ms_(timeout_ms) {
  assert(timeout_ms_ > 0);
}

JudgeOutcome JudgePool::JudgeOne(const JudgeJob& job) const {
  JudgeOutcome out;
  const auto start = std::chrono::steady_clock::now();
  WriterArgs w;
  w.chain_dir = job.image_dir;
  w.lo = job.lo;
  w.hi = job.hi;
  w.verify_only = true;
  w.scratch = true;
  w.checkpoints = job.checkpoints;
  w.store_json = job.store_json;
  std::unique_ptr<ChildProcess> child;
  Status s =
      ChildProcess::Spawn(writer_path_, WriterArgv(w), job.image_dir + "/judge.stderr", &child);
  if (!s.ok()) {
    out.harness_error = s.message();
    return out;
  }
  std::map<std::string, double> metrics;
  Status harness;
  out.verdict =
      AwaitVerdict(child.get(), job.lo, job.hi, timeout_ms_, &out.recovery_ms, &metrics, &harness);
  if (!child->exited() && !child->Wait(kExitTimeoutMs, nullptr)) child->KillAndReap();
  if (!harness.ok()) out.harness_error = harness.message();
  out.judge_ms = MsSince(start);
  return out;
}

void JudgePool::Run(size_t count, const Prepare& prepare, const Done& done,
                    const std::function<bool()>& stop) const {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; !stop() && (i = next.fetch_add(1)) < count;) {
      JudgeJob job;
      const auto start = std::chrono::steady_clock::now();
      Status s = prepare(i, &job);
      const double build_ms = MsSince(start);
      JudgeOutcome out;
      if (s.ok()) {
        out = JudgeOne(job);
      } else {
        out.harness_error = s.message();
      }
      out.build_ms = build_ms;
      done(i, job, std::move(out));
    }
  };
  const size_t threads = std::min<size_t>(judges_, count);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace powercut::harness
