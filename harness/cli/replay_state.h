// `powercut replay REPORT.json --cycle N --state S`: judges a failing crash state again from
// the image the run kept (REPORT_DIR/failures/N/states/state-k/: the exact bytes the judge
// opened, plus the chain's manifest and oracle and the window it was judged against). The
// image is copied to the work dir first (RocksDB's recovery writes), so every replay opens
// the same bytes and must give the same verdict: exact by construction.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace powercut::harness {

// The kept state's folder under `states` (REPORT_DIR/failures/N/states) and its judge.json,
// by the state's name or its folder name "state-k"; every kept state's name goes to *names.
bool FindKeptState(const std::filesystem::path& states, const std::string& state,
                   std::filesystem::path* dir, nlohmann::json* doc,
                   std::vector<std::string>* names);

// `state` is the state's name as the report gives it, or the folder name "state-k".
// Exit 0 when the verdict agrees with the kept one, 1 when it does not, 2 on bad input.
int ReplayStateCommand(const std::string& evidence_dir, const std::string& state,
                       const std::string& work_dir, const std::string& writer_path);

}  // namespace powercut::harness
