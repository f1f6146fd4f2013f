// `powercut verify CHAIN_DIR`: judge a chain's store as it stands against the chain's own
// manifest and oracle snapshot, in a child process under a timeout, exactly as a cycle would.
#pragma once

#include <cstdint>
#include <string>

namespace powercut::harness {

// Prints the verdict, writes CHAIN_DIR/verify.json atomically; returns the exit status.
int VerifyCommand(const std::string& chain_dir, const std::string& writer_path, int64_t timeout_ms);

}  // namespace powercut::harness
