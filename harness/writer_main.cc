// powercut-writer: the child process the controller starts for every cycle. Not meant to be
// run by hand; see harness/writer.h for what it does and says.
#include <CLI/CLI.hpp>

#include "harness/writer.h"

int main(int argc, char** argv) {
  powercut::harness::WriterArgs args;
  CLI::App app{"powercut-writer: opens, verifies and writes one chain's store for the controller"};
  app.add_option("--chain", args.chain_dir, "chain directory")->required();
  app.add_option("--lo", args.lo, "durable point of the fault being verified");
  app.add_option("--hi", args.hi, "highest op issued before that fault");
  app.add_flag("--verify-only", args.verify_only, "verify, then exit");
  app.add_option("--parent-pid", args.parent_pid, "exit unless this is our parent");
  app.add_option("--ledger", args.ledger_dir, "keep a ledger of file operations here");
  app.add_option("--crash-at", args.crash_at, "kind:n, SIGKILL self at that file-system event");
  app.add_option("--checkpoints", args.checkpoints, "checkpoint ops to verify, comma separated")
      ->delimiter(',');
  app.add_option("--store", args.store_json, "this cycle's options (StoreConfig JSON)");
  app.add_option("--crash-after-op", args.crash_after_op, "SIGKILL self once this op is acked");
  app.add_flag("--test-lie-ack", args.lie_ack, "TESTS ONLY: ack before writing, WAL off");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : powercut::harness::kWriterBadArgs;
  }
  return powercut::harness::RunWriter(args);
}
