// `powercut replay REPORT.json --cycle N --state S --rerun K`: how often does a failing crash
// state come back from scratch? Each of K reruns restores the chain as it was before the cycle
// (REPORT_DIR/failures/N/states/before/), runs the cycle's writer again with a crash point at
// the state's file-system event (`event:N`, counted as the original trace counted it), builds
// the same kind of state with the same file fates from the new trace, and judges it against
// the window the new trace gives. RocksDB's background threads take their own path on every
// run, so this is a rate, not a replay: `--state` alone judges the kept bytes exactly.
#pragma once

#include <cstdint>
#include <string>

namespace powercut::harness {

// Prints one line per rerun and "R of K reruns reproduce <classes>". Exit 0 when at least one
// rerun reproduces a class of the kept verdict, 1 when none does, 2 on bad input.
int RerunStateCommand(const std::string& evidence_dir, const std::string& state, uint32_t reruns,
                      const std::string& work_dir, const std::string& writer_path);

}  // namespace powercut::harness
