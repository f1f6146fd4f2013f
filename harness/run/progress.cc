#include "harness/run/progress.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace powercut::harness {
namespace {

// "45s", "12m30s", "2h05m": short enough for one terminal line.
std::string Span(int64_t ms) {
  const int64_t s = ms < 0 ? 0 : (ms + 500) / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

bool CiEnvironment() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

}  // namespace

Progress::Progress(ProgressOptions options) : options_(options) {
  if (options_.fd == STDOUT_FILENO) options_.fd = STDERR_FILENO;
  // A period of 0 would print on every call (and never advance the next deadline).
  if (options_.plain_every_ms < 1) options_.plain_every_ms = 1;
  switch (options_.mode) {
    case ProgressOptions::Mode::kLine:
      line_mode_ = true;
      break;
    case ProgressOptions::Mode::kPlain:
      line_mode_ = false;
      break;
    case ProgressOptions::Mode::kAuto:
      line_mode_ = ::isatty(options_.fd) == 1 && !CiEnvironment();
      break;
  }
  next_plain_ms_ = options_.plain_every_ms;
}

std::string Progress::Format(const ProgressSnapshot& p) {
  const double seconds = static_cast<double>(p.elapsed_ms) / 1000.0;
  const double rate = seconds > 0 ? static_cast<double>(p.done) / seconds : 0.0;
  std::string line = p.total > 0 ? fmt::format("powercut: {}/{} cycles", p.done, p.total)
                                 : fmt::format("powercut: {} cycles", p.done);
  if (p.total == 0 && p.time_left_ms >= 0) line += fmt::format(", {} left", Span(p.time_left_ms));
  line += fmt::format(", {} pass, {} fail, {:.1f} cycles/s, {} elapsed", p.passed, p.failed, rate,
                      Span(p.elapsed_ms));
  // ETA: from the rate for a cycle budget, the budget itself for a time budget (the cycle
  // in flight then finishes after it, which the rate cannot foresee either).
  if (p.total > 0 && p.done < p.total && rate > 0) {
    line += ", ETA " +
            Span(static_cast<int64_t>(static_cast<double>(p.total - p.done) / rate * 1000.0));
  } else if (p.total == 0 && p.time_left_ms >= 0) {
    line += ", ETA " + Span(p.time_left_ms);
  }
  return line;
}

void Progress::Update(const ProgressSnapshot& p) {
  if (line_mode_) {
    if (last_draw_ms_ >= 0 && p.elapsed_ms - last_draw_ms_ < options_.redraw_every_ms) return;
    last_draw_ms_ = p.elapsed_ms;
    std::string line = Format(p);
    const size_t width = line.size();
    if (width < last_width_) line.append(last_width_ - width, ' ');
    last_width_ = width;
    Write("\r" + line);
    return;
  }
  if (p.elapsed_ms < next_plain_ms_) return;
  // After a long pause (a slow cycle) one line, not one per missed period.
  while (next_plain_ms_ <= p.elapsed_ms) next_plain_ms_ += options_.plain_every_ms;
  Write(Format(p) + "\n");
}

void Progress::Finish(const ProgressSnapshot& p) {
  if (line_mode_) {
    std::string line = Format(p);
    if (line.size() < last_width_) line.append(last_width_ - line.size(), ' ');
    Write("\r" + line + "\n");
    last_width_ = 0;
    return;
  }
  Write(Format(p) + "\n");
}

void Progress::Write(const std::string& text) {
  // One write(2) per line, so lines from other threads' stderr output do not interleave
  // inside it; progress is best effort, so a failed write is dropped.
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(options_.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace powercut::harness
