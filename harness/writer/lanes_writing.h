// Concurrent writing (--threads T, workloads/lanes.h): T threads of one writer each run their
// own ops, op i on thread (i − 1) mod T, one after the other. Ops are issued in index order —
// a thread waits for op i − 1 to be issued before it issues op i — so at most T ops are in
// flight and each op T or more before another was acknowledged before that one was issued: the
// real-time order the verifier holds the store to (src/verifier.h Concurrency).
//
// Each op is recorded (ledger, pipe) as issued just before its calls and as acked just after
// they return, from the thread that ran it: the pipe's and the ledger's order of these lines
// is real time. Acks therefore come out of index order.
#pragma once

#include <cstdint>
#include <functional>

#include <rocksdb/status.h>

#include "src/op.h"

namespace powercut::harness {

struct LanesHooks {
  std::function<rocksdb::Status(const Op&)> attempt;  // the op's calls, retries included
  // Op `op` issued or acked: its ledger record, then its line to the pipe.
  std::function<void(bool acked, uint64_t op)> boundary;
  std::function<bool()> stop;  // SIGTERM: issue nothing more
};

struct LanesEnd {
  uint64_t failed_op = 0;  // 0: no op failed
  Op failed;
  rocksdb::Status status;
};

// Runs ops first … last on `threads` threads until they are done, one fails (nothing is issued
// after it) or stop() holds. An op above crash_after_op SIGKILLs the process when it would be
// issued (crash_in_flight: right after it was issued), as the one-thread writer does.
// ack_first (TESTS ONLY, --test-lie-ack): each op is acked before it is issued.
LanesEnd RunLanes(uint32_t threads, uint64_t first, uint64_t last, const OpSource& ops,
                  const LanesHooks& hooks, uint64_t crash_after_op, bool crash_in_flight,
                  bool ack_first);

}  // namespace powercut::harness
