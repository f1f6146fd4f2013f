#include "harness/writer/lanes_writing.h"

#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace powercut::harness {
namespace {

// The shared turn: which op is issued next, and whether writing has ended. Each thread waits on
// a condition of its own, so passing the turn wakes the one thread whose op is next.
class Turn {
 public:
  Turn(uint64_t first, uint32_t threads) : next_(first), cvs_(threads) {}

  // Waits until op i may be issued; false when writing ended first (a failure or a stop).
  bool Await(uint64_t i, const std::function<bool()>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    // A stop arrives by signal, which notifies nobody: look again every few milliseconds.
    std::condition_variable& cv = cvs_[i % cvs_.size()];
    while (next_ != i && !ended_ && !stop()) cv.wait_for(lock, std::chrono::milliseconds(5));
    return next_ == i && !ended_ && !stop();
  }
  // Op i was issued: its successor's turn.
  void Pass(uint64_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    next_ = i + 1;
    cvs_[next_ % cvs_.size()].notify_one();
  }
  // Op i failed: nothing is issued after it. The first failure is the one reported.
  void Fail(uint64_t i, const Op& op, const rocksdb::Status& s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (end_.failed_op == 0) end_ = LanesEnd{i, op, s};
    ended_ = true;
    for (std::condition_variable& cv : cvs_) cv.notify_all();
  }
  void End() {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    for (std::condition_variable& cv : cvs_) cv.notify_all();
  }
  LanesEnd Result() {
    std::lock_guard<std::mutex> lock(mu_);
    return end_;
  }

 private:
  std::mutex mu_;
  uint64_t next_;
  std::vector<std::condition_variable> cvs_;  // op i's thread waits on cvs_[i mod threads]
  bool ended_ = false;
  LanesEnd end_;
};

}  // namespace

LanesEnd RunLanes(uint32_t threads, uint64_t first, uint64_t last, const OpSource& ops,
                  const LanesHooks& hooks, uint64_t crash_after_op, bool crash_in_flight,
                  bool ack_first) {
  Turn turn(first, threads);
  auto lane = [&](uint64_t start) {
    for (uint64_t i = start; i <= last; i += threads) {
      if (!turn.Await(i, hooks.stop)) return;
      if (i > crash_after_op && !crash_in_flight) ::kill(::getpid(), SIGKILL);
      const Op op = ops.Get(i);
      if (ack_first) hooks.boundary(true, i);
      hooks.boundary(false, i);
      turn.Pass(i);
      if (i > crash_after_op) ::kill(::getpid(), SIGKILL);  // crash_in_flight
      const rocksdb::Status s = hooks.attempt(op);
      if (!s.ok()) return turn.Fail(i, op, s);
      if (!ack_first) hooks.boundary(true, i);
    }
  };
  std::vector<std::thread> lanes;
  for (uint64_t t = 0; t < threads && first + t <= last; ++t) lanes.emplace_back(lane, first + t);
  for (std::thread& t : lanes) t.join();
  turn.End();
  return turn.Result();
}

}  // namespace powercut::harness
