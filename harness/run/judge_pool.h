// JudgePool: judges crash images side by side, each image opened by a writer in verify-only
// mode (the image is a chain-like directory: db/, checkpoints/, manifest.jsonl, oracle.bin),
// under the recovery timeout. Each of the pool's threads keeps one judge server
// (harness/writer/judge_server.h), which forks a fresh writer per image: the isolation of a
// process per image without an exec per image. As in a cycle, a judge that does not finish is
// killed with its server (recovery-hang) and one that dies or refuses to open is
// unrecoverable; the next image gets a fresh server, so no image can take the run down.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/run/child_process.h"
#include "src/status.h"
#include "src/verdict.h"

namespace powercut::harness {

struct JudgeJob {
  std::string image_dir;
  uint64_t lo = 0;
  uint64_t hi = 0;
  std::vector<uint64_t> checkpoints;  // checkpoint ops acked in the state: each is checked
  std::string store_json;             // the options the judging open uses
  uint64_t read_error_one_in = 0;     // > 0: its reads fail or flip (read_fault_fs.h)
  uint64_t read_error_seed = 0;
  std::vector<uint64_t> required;  // concurrent writers: ops above lo that must survive
  std::string in_flight;           // and the file of what was in flight at each issue
};

// The verify-only writer that judges `job`'s image (a throwaway: its syncs are skipped).
struct WriterArgs;
WriterArgs JudgeWriterArgs(const JudgeJob& job);

struct JudgeOutcome {
  Verdict verdict;
  double recovery_ms = 0;     // RocksDB's open, as the judge timed it
  double build_ms = 0;        // preparing the job (building its image)
  double judge_ms = 0;        // process start to verdict
  std::string harness_error;  // non-empty: no verdict (the harness's own problem)
};

class JudgePool {
 public:
  static constexpr uint32_t kMaxJudges = 64;

  // `judges` processes at a time (1..kMaxJudges), each judging under `timeout_ms`; the
  // servers' stderr goes to files in `stderr_dir`.
  JudgePool(std::string writer_path, uint32_t judges, int64_t timeout_ms,
            std::string stderr_dir = ".");

  // Judges jobs 0..count-1: prepare(i, &job) builds job i (its image); then its verdict goes
  // to done(i, job, outcome), on the judge's thread (done must be thread-safe). A job whose
  // prepare fails is done with that harness error. Stops taking jobs once stop() is true.
  using Prepare = std::function<Status(size_t, JudgeJob*)>;
  using Done = std::function<void(size_t, const JudgeJob&, JudgeOutcome)>;
  void Run(size_t count, const Prepare& prepare, const Done& done,
           const std::function<bool()>& stop) const;

  // Judges one prepared job on the calling thread, with a server of its own.
  JudgeOutcome JudgeOne(const JudgeJob& job) const;

 private:
  // Judges `job` on `*server`, starting one first if there is none, and drops the server
  // when it can no longer be trusted with the next job (it hung, died or broke the protocol).
  JudgeOutcome JudgeOn(const JudgeJob& job, const std::string& server_stderr,
                       std::unique_ptr<ChildProcess>* server) const;

  std::string writer_path_;
  uint32_t judges_;
  int64_t timeout_ms_;
  std::string stderr_dir_;
};

}  // namespace powercut::harness
