// WriterProgress: what the controller has read of a writing writer (harness/writer.h's
// protocol): the highest op issued and acked, and whether it finished, closed or failed.
// The cycle loop and `powercut replay` read a writer the same way through it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace powercut::harness {

struct WriterProgress {
  explicit WriterProgress(uint64_t recovered) : acked(recovered), hi(recovered) {}

  uint64_t acked;              // acks arrive in order: every op up to here is acknowledged
  uint64_t hi;                 // highest op issued (or acked: a lying writer acks first)
  bool done = false;           // the cycle's op limit was reached
  bool closed = false;         // the store was closed cleanly after SIGTERM
  std::string error;           // the writer's `error` line: RocksDB refused an op
  std::string protocol_error;  // the writer broke the protocol: a harness failure

  // Takes one line; lines that are not progress are ignored.
  void Absorb(const std::string& line) {
    if (line.rfind("issued ", 0) == 0) {
      hi = std::max<uint64_t>(hi, std::stoull(line.substr(7)));
    } else if (line.rfind("acked ", 0) == 0) {
      const uint64_t i = std::stoull(line.substr(6));
      if (i != acked + 1 && protocol_error.empty()) {
        protocol_error = fmt::format("writer acked op {} after op {}", i, acked);
      }
      acked = i;
      hi = std::max(hi, i);
    } else if (line == "done") {
      done = true;
    } else if (line == "closed") {
      closed = true;
    } else if (line.rfind("error ", 0) == 0) {
      error = line.substr(6);
    }
  }
};

}  // namespace powercut::harness
