// A writer that died of a signal no one sent it: RocksDB aborted (a failed assertion, in the
// Debian build we test, which keeps them) or faulted inside a call the writer made. Neither a
// fault of the plan (SIGKILL: the controller's, or the writer's own crash point; SIGTERM is a
// clean close the writer handles) nor a verdict on the recovered store: a finding of its own,
// class writer-crash, with the last line the writer's stderr holds (the assertion's text).
#pragma once

#include <string>

#include "harness/run/child_process.h"

namespace powercut::harness {

// The signal a reaped writer died of by its own hand, or 0.
int WriterCrashSignal(const ChildProcess& child);

// "the writer died of SIGABRT inside RocksDB: <last stderr line>".
std::string WriterCrashDetail(int signal, const std::string& stderr_path);

}  // namespace powercut::harness
