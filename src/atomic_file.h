// Writes a whole file so that a reader sees either the old content or the new, never a torn
// mix: write to a temp file in the same directory, fsync it, rename over the target, fsync
// the directory. Every report and every chain snapshot goes through here.
#pragma once

#include <string>
#include <string_view>

#include "src/status.h"

namespace powercut {

Status WriteFileAtomically(const std::string& path, std::string_view content);

// Reads a whole file; IoError naming the path when it cannot.
Status ReadWholeFile(const std::string& path, std::string* content);

}  // namespace powercut
