#include "harness/run/judge_pool.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <map>
#include <thread>

#include "harness/protocol/lines.h"
#include "harness/protocol/writer_args.h"
#include "harness/run/await_verdict.h"
#include "harness/run/child_process.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace powercut::harness {
namespace {

constexpr int64_t kExitTimeoutMs = 10'000;  // a judge exits right after its verdict

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

JudgePool::JudgePool(std::string writer_path, uint32_t judges, int64_t timeout_ms,
                     std::string stderr_dir)
    : writer_path_(std::move(writer_path)),
      judges_(std::clamp<uint32_t>(judges, 1, kMaxJudges)),
      timeout_ms_(timeout_ms),
      stderr_dir_(std::move(stderr_dir)) {
  assert(timeout_ms_ > 0);
}

JudgeOutcome JudgePool::JudgeOne(const JudgeJob& job) const {
  std::unique_ptr<ChildProcess> server;
  return JudgeOn(job, job.image_dir + "/judge.stderr", &server);
}

WriterArgs JudgeWriterArgs(const JudgeJob& job) {
  WriterArgs w;
  w.chain_dir = job.image_dir;
  w.lo = job.lo;
  w.hi = job.hi;
  w.verify_only = true;
  w.scratch = true;
  w.checkpoints = job.checkpoints;
  w.required = job.required;
  w.in_flight = job.in_flight;
  w.store_json = job.store_json;
  w.read_error_one_in = job.read_error_one_in;
  w.read_error_seed = job.read_error_seed;
  return w;
}

JudgeOutcome JudgePool::JudgeOn(const JudgeJob& job, const std::string& server_stderr,
                                std::unique_ptr<ChildProcess>* server) const {
  JudgeOutcome out;
  const auto start = std::chrono::steady_clock::now();
  const WriterArgs w = JudgeWriterArgs(job);
  Status s;
  if (*server == nullptr) {
    s = ChildProcess::Spawn(writer_path_, {"--judge-server"}, server_stderr, server, true);
  }
  if (s.ok()) s = (*server)->WriteLine(nlohmann::json(WriterArgv(w)).dump());
  if (!s.ok()) {
    server->reset();
    out.harness_error = s.message();
    return out;
  }
  std::map<std::string, double> metrics;
  Status harness;
  out.verdict = AwaitVerdict(server->get(), job.lo, job.hi, timeout_ms_, &out.recovery_ms, &metrics,
                             &harness);
  if (!harness.ok()) out.harness_error = harness.message();
  // The job ends with `judged`; a server that does not say it (killed on a timeout, dead, or
  // confused) is not given another.
  std::string line;
  bool judged = !(*server)->exited() && harness.ok();
  while (judged) {
    if ((*server)->ReadLine(&line, kExitTimeoutMs) != ChildProcess::Read::kLine) {
      judged = false;
    } else if (ParseLine(line).kind == LineKind::kJudged) {
      break;
    }
  }
  // A verdict that ended at `judged` itself (a child that said nothing) ended the job too.
  if (!judged && out.verdict.detail.rfind("judge exited", 0) != 0) server->reset();
  out.judge_ms = MsSince(start);
  return out;
}

void JudgePool::Run(size_t count, const Prepare& prepare, const Done& done,
                    const std::function<bool()>& stop) const {
  std::atomic<size_t> next{0};
  std::atomic<size_t> servers{0};
  auto work = [&] {
    std::unique_ptr<ChildProcess> server;  // this thread's judge server
    const std::string server_stderr =
        fmt::format("{}/judge-server-{}.stderr", stderr_dir_, servers.fetch_add(1));
    for (size_t i; !stop() && (i = next.fetch_add(1)) < count;) {
      JudgeJob job;
      const auto start = std::chrono::steady_clock::now();
      Status s = prepare(i, &job);
      const double build_ms = MsSince(start);
      JudgeOutcome out;
      if (s.ok()) {
        out = JudgeOn(job, server_stderr, &server);
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
