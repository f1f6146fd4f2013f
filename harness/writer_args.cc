#include <unistd.h>

#include "harness/writer.h"

namespace powercut::harness {

std::vector<std::string> WriterArgv(const WriterArgs& a) {
  std::vector<std::string> argv = {
      "--chain",      a.chain_dir,
      "--lo",         std::to_string(a.lo),
      "--hi",         std::to_string(a.hi),
      "--parent-pid", std::to_string(a.parent_pid != 0 ? a.parent_pid : ::getpid())};
  if (a.verify_only) argv.push_back("--verify-only");
  if (!a.checkpoints.empty()) {
    std::string list;
    for (uint64_t op : a.checkpoints) list += (list.empty() ? "" : ",") + std::to_string(op);
    argv.insert(argv.end(), {"--checkpoints", list});
  }
  if (!a.ledger_dir.empty()) argv.insert(argv.end(), {"--ledger", a.ledger_dir});
  if (!a.crash_at.empty()) argv.insert(argv.end(), {"--crash-at", a.crash_at});
  if (a.crash_after_op != kNoCrashAfterOp) {
    argv.insert(argv.end(), {"--crash-after-op", std::to_string(a.crash_after_op)});
  }
  if (!a.store_json.empty()) argv.insert(argv.end(), {"--store", a.store_json});
  if (a.lie_ack) argv.push_back("--test-lie-ack");
  return argv;
}

}  // namespace powercut::harness
