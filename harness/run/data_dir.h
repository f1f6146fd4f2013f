// The directories a run writes into. powercut marks what it creates with a `.powercut` file
// and refuses (bad input) a non-empty directory without that mark: it never deletes or
// mixes into a directory it did not create.
#pragma once

#include <string>
#include <vector>

#include "src/status.h"

namespace powercut::harness {

// Checks, writing nothing, that `dir` can be used: missing (its parent writable), empty, or
// marked as powercut's, and writable. BadInput naming the directory and the fix.
Status CheckOwnedDir(const std::string& dir, const std::string& flag);

// Creates `dir` if missing, marks it, and removes what an earlier run left in it
// (only entries whose names start with one of the given prefixes).
Status PrepareOwnedDir(const std::string& dir, const std::vector<std::string>& stale_prefixes);

}  // namespace powercut::harness
