// WriterProgress: what the controller has read of a writing writer (harness/protocol/lines.h):
// the highest op issued and acked, and whether it finished, closed or failed.
// The cycle loop and `powercut replay` read a writer the same way through it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "harness/protocol/lines.h"
#include "src/acked_ops.h"
#include "src/in_flight.h"

namespace powercut::harness {

struct WriterProgress {
  // `threads`: the workload's writer threads (workloads/lanes.h), whose acks come out of order.
  explicit WriterProgress(uint64_t recovered, uint32_t threads = 1)
      : hi(recovered), acked_ops(recovered), threads(threads) {}

  uint64_t acked() const { return acked_ops.prefix; }  // every op up to here is acknowledged
  uint64_t hi;                 // highest op issued (or acked: a lying writer acks first)
  bool done = false;           // the writer writes no more: op limit reached, or refused
  bool closed = false;         // the store was closed cleanly after SIGTERM
  uint64_t planted = 0;        // TESTS ONLY: ops the writer acked unexecuted (a planted loss)
  bool injected = false;       // the cycle's I/O error fired (an `injected` line)
  std::string error;           // the writer's `error` line: RocksDB failed an op
  std::string refused;         // the writer's `refused` line: the disk is full, op hi not acked
  std::string harness_error;   // the writer's `harness-error` line: no verdict, exit 2
  std::string protocol_error;  // the writer broke the protocol: a harness failure
  AckedOps acked_ops;          // the acked ops: a prefix, and with threads some above it
  InFlight in_flight;          // with threads, what was in flight at each issue
  uint32_t threads;

  // Takes one line; lines that are not progress are ignored.
  void Absorb(const std::string& line) {
    const Line msg = ParseLine(line);
    switch (msg.kind) {
      case LineKind::kIssued:
        hi = std::max(hi, msg.number);
        if (threads > 1) in_flight.Issued(msg.number);
        break;
      case LineKind::kAcked:
        // One thread acks in order. T threads ack any op of the T in flight: op a + T is
        // issued only after op a was acked (harness/writer/lanes_writing.h).
        if ((msg.number > acked() + threads || !acked_ops.Add(msg.number)) &&
            protocol_error.empty()) {
          protocol_error =
              threads == 1 ? fmt::format("writer acked op {} after op {}", msg.number, acked())
                           : fmt::format("writer acked op {} out of turn (every op to {} acked)",
                                         msg.number, acked());
        }
        hi = std::max(hi, msg.number);
        if (threads > 1) in_flight.Acked(msg.number);
        break;
      case LineKind::kPlanted:
        planted++;
        break;
      case LineKind::kInjected:
        injected = true;
        break;
      case LineKind::kDone:
        done = true;
        break;
      case LineKind::kClosed:
        closed = true;
        break;
      case LineKind::kError:
        error = msg.text;
        break;
      case LineKind::kRefused:
        refused = msg.text;
        done = true;  // the writer idles until its fault
        break;
      case LineKind::kHarnessError:
        harness_error = msg.text;
        break;
      default:
        break;
    }
  }
};

}  // namespace powercut::harness
