// Writes a whole buffer at an offset, retrying short writes and EINTR: the cut and the crash
// images both put bytes back into files this way.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace powercut::faults {

// False with errno set when the file cannot take the bytes.
inline bool PWriteAll(int fd, const char* data, uint64_t length, uint64_t offset) {
  while (length > 0) {
    const ssize_t n = ::pwrite(fd, data, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    data += n;
    length -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace powercut::faults
