#include "harness/protocol/writer_args.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

namespace powercut::harness {

std::vector<std::string> WriterArgv(const WriterArgs& a) {
  std::vector<std::string> argv = {
      "--chain",      a.chain_dir,
      "--lo",         std::to_string(a.lo),
      "--hi",         std::to_string(a.hi),
      "--parent-pid", std::to_string(a.parent_pid != 0 ? a.parent_pid : ::getpid())};
  if (a.verify_only) argv.push_back("--verify-only");
  if (a.scratch) argv.push_back("--scratch");
  if (!a.checkpoints.empty()) {
    std::string list;
    for (uint64_t op : a.checkpoints) list += (list.empty() ? "" : ",") + std::to_string(op);
    argv.insert(argv.end(), {"--checkpoints", list});
  }
  if (!a.required.empty()) {
    std::string list;
    for (uint64_t op : a.required) list += (list.empty() ? "" : ",") + std::to_string(op);
    argv.insert(argv.end(), {"--required", list});
  }
  if (!a.in_flight.empty()) argv.insert(argv.end(), {"--in-flight", a.in_flight});
  if (!a.ledger_dir.empty()) argv.insert(argv.end(), {"--ledger", a.ledger_dir});
  if (!a.crash_at.empty()) argv.insert(argv.end(), {"--crash-at", a.crash_at});
  if (!a.carried_durability.empty()) {
    argv.insert(argv.end(), {"--carried-durability", a.carried_durability});
  }
  if (a.crash_after_op != kNoCrashAfterOp) {
    argv.insert(argv.end(), {"--crash-after-op", std::to_string(a.crash_after_op)});
  }
  if (a.crash_in_flight) argv.push_back("--crash-in-flight");
  if (!a.store_json.empty()) argv.insert(argv.end(), {"--store", a.store_json});
  if (!a.io_error.empty()) {
    argv.insert(argv.end(), {"--io-error", a.io_error, "--io-error-retries",
                             std::to_string(a.io_error_retries)});
  }
  if (a.ack_failed) argv.push_back("--test-ack-failed");
  if (a.read_error_one_in > 0) {
    argv.insert(argv.end(), {"--read-error-one-in", std::to_string(a.read_error_one_in),
                             "--read-error-seed", std::to_string(a.read_error_seed)});
  }
  if (a.lie_ack) argv.push_back("--test-lie-ack");
  if (!a.lose_when_wals.empty())
    argv.insert(argv.end(), {"--test-lose-when-wals", a.lose_when_wals});
  return argv;
}

int ParseWriterArgv(int argc, char** argv, WriterArgs* args) {
  CLI::App app{"powercut-writer: opens, verifies and writes one chain's store for the controller"};
  app.add_option("--chain", args->chain_dir, "chain directory")->required();
  app.add_option("--lo", args->lo, "durable point of the fault being verified");
  app.add_option("--hi", args->hi, "highest op issued before that fault");
  app.add_flag("--verify-only", args->verify_only, "verify, then exit");
  app.add_flag("--scratch", args->scratch, "the store is a throwaway image: skip its syncs");
  app.add_option("--parent-pid", args->parent_pid, "exit unless this is our parent");
  app.add_option("--ledger", args->ledger_dir, "keep a ledger of file operations here");
  app.add_option("--crash-at", args->crash_at, "kind:n, SIGKILL self at that file-system event");
  app.add_option("--carried-durability", args->carried_durability,
                 "with --ledger: what earlier cycles left not durable (JSON state file)");
  app.add_option("--checkpoints", args->checkpoints, "checkpoint ops to verify, comma separated")
      ->delimiter(',');
  app.add_option("--required", args->required,
                 "concurrent writers: ops above --lo that must survive, comma separated")
      ->delimiter(',');
  app.add_option("--in-flight", args->in_flight,
                 "concurrent writers: what was in flight at each issue (a file)");
  app.add_option("--store", args->store_json, "this cycle's options (StoreConfig JSON)");
  app.add_option("--crash-after-op", args->crash_after_op, "SIGKILL self once this op is acked");
  app.add_flag("--crash-in-flight", args->crash_in_flight,
               "with --crash-after-op: issue the next op, then SIGKILL self before executing it");
  app.add_option("--io-error", args->io_error,
                 "with --ledger: site:n:status:mode, the I/O error injected in the writing");
  app.add_option("--io-error-retries", args->io_error_retries,
                 "retries of a failed idempotent op, each after DB::Resume()");
  app.add_flag("--test-ack-failed", args->ack_failed, "TESTS ONLY: ack an op whose write failed");
  app.add_option("--read-error-one-in", args->read_error_one_in,
                 "judges: one read in N fails or returns a flipped bit");
  app.add_option("--read-error-seed", args->read_error_seed, "the seed of those reads");
  app.add_flag("--test-lie-ack", args->lie_ack, "TESTS ONLY: ack before writing, WAL off");
  app.add_option("--test-lose-when-wals", args->lose_when_wals,
                 "TESTS ONLY: KIND@N: ack ops of KIND unexecuted while N WALs are live");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kWriterBadArgs;
  }
  return -1;
}

Status ParseLoseWhenWals(const std::string& text, OpKind* kind, uint32_t* wals) {
  const size_t at = text.find('@');
  const std::string name = text.substr(0, at);
  const auto bad = [&] {
    return Status::BadInput("--test-lose-when-wals '" + text +
                            "': write KIND@N, KIND put, delete, batch, delete-range or merge");
  };
  if (at == std::string::npos) return bad();
  bool found = false;
  for (OpKind k :
       {OpKind::kPut, OpKind::kDelete, OpKind::kBatch, OpKind::kDeleteRange, OpKind::kMerge}) {
    if (name == OpKindName(k)) *kind = k, found = true;
  }
  try {
    size_t used = 0;
    const unsigned long n = std::stoul(text.substr(at + 1), &used);
    if (!found || used != text.size() - at - 1 || n < 1 || n > 1000) return bad();
    *wals = static_cast<uint32_t>(n);
  } catch (...) {
    return bad();
  }
  return Status::Ok();
}

}  // namespace powercut::harness
