// `powercut gate REPORT.json... [--min-cycles N] [--require-fault kill,power-cut]`: the
// release gate's command line (the decision itself is reports/gate.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powercut::harness {

// Exit status 0 only when every report reads, parses as the known schema, is complete,
// has no failed cycle, and together they reach min_cycles and exercised every required
// fault kind; then one line "gate: PASS ..." on stdout. Otherwise exit 1 and one line
// "gate: FAIL: <reason>" per reason on stdout. A report that cannot be read or parsed is a
// reason like any other, never a pass: a gate does not pass what it cannot read.
// `hunt_paths` (--require-no-finding) are hunts' check-report.json files: each must be
// complete and hold no finding (reports::HuntGateReasons).
int GateCommand(const std::vector<std::string>& report_paths, uint64_t min_cycles,
                const std::vector<std::string>& required_faults,
                const std::vector<std::string>& hunt_paths = {});

}  // namespace powercut::harness
