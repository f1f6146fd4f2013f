// Progress of a run, for the person or the CI log watching it. On a terminal: one line
// redrawn in place (cycles done/total or time left, cycles per second, verdict counts,
// ETA). Elsewhere (not a TTY, or CI=true): a plain line every N seconds, since a CI log
// keeps every \r-redraw as a line of its own. Progress only ever writes to stderr (or the
// descriptor given), never to stdout: stdout may carry what a script parses.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <string>

namespace powercut::harness {

struct ProgressSnapshot {
  uint64_t done = 0;          // cycles finished
  uint64_t total = 0;         // the cycle budget; 0 when the run has a time budget
  int64_t time_left_ms = -1;  // with a time budget: what is left of it; -1 otherwise
  uint64_t passed = 0;
  uint64_t failed = 0;
  int64_t elapsed_ms = 0;  // since the run started
};

struct ProgressOptions {
  enum class Mode {
    kAuto,  // kLine when the descriptor is a terminal and $CI is not "true", else kPlain
    kLine,  // one line redrawn with \r
    kPlain  // a line every plain_every_ms
  };
  Mode mode = Mode::kAuto;
  // Where lines go. STDOUT_FILENO is refused in favour of STDERR_FILENO.
  int fd = STDERR_FILENO;
  int64_t plain_every_ms = 10'000;
  // A terminal is redrawn at most this often, however often Update is called.
  int64_t redraw_every_ms = 250;
};

class Progress {
 public:
  explicit Progress(ProgressOptions options = {});

  // Call as often as convenient (e.g. every 100 ms, or after each cycle): the output is
  // paced by snapshot.elapsed_ms, not by the number of calls.
  void Update(const ProgressSnapshot& snapshot);
  // The last line, always written; on a terminal it ends the redrawn line.
  void Finish(const ProgressSnapshot& snapshot);

  bool line_mode() const { return line_mode_; }

  // The text of one progress line (no \r or \n), e.g.
  // "powercut: 120/600 cycles, 118 pass, 2 fail, 23.4 cycles/s, 10s elapsed, ETA 21s".
  static std::string Format(const ProgressSnapshot& snapshot);

 private:
  void Write(const std::string& text);

  ProgressOptions options_;
  bool line_mode_ = false;
  int64_t next_plain_ms_ = 0;
  int64_t last_draw_ms_ = -1;
  size_t last_width_ = 0;  // of the line on screen, to blank what a shorter one leaves
};

}  // namespace powercut::harness
