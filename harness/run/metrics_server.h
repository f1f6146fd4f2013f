// `--metrics-port P`: a small HTTP/1.1 server on 127.0.0.1 so that a long local run can be
// watched while it goes. It serves the pages it is given (the controller gives /metrics,
// Prometheus text, and /summary, the text of report.txt for the run so far) and /healthz
// ("ok"). One request per connection; 404 for another path, 405 for a method other than GET
// or HEAD, 400 for a request that is not HTTP, 413 for a body, 431 for a request head over
// kMaxHeaderBytes. Loopback only: a run's figures are not for the network.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "src/status.h"

namespace powercut::harness {

class MetricsServer {
 public:
  // The limits, here so that tests and README name the same numbers. A scrape is one small
  // GET: anything bigger or slower is not a scraper.
  //
  // Sockets open at once. When all are taken, the oldest one still waiting for its request
  // is closed to make room, so idle or slow clients cannot lock a scraper out.
  static constexpr int kMaxConnections = 16;
  // Request line plus headers, in bytes; more gets 431.
  static constexpr uint32_t kMaxHeaderBytes = 8 * 1024;
  // From accept to a whole request head, in ms; a client slower than that is dropped.
  static constexpr int64_t kReadTimeoutMs = 5'000;

  struct Page {
    std::string content_type;
    // Runs on the server's thread, once per GET, so it must be safe to call concurrently
    // with the run (take the run's lock); if it throws, the request gets a 500.
    std::function<std::string()> render;
  };
  using Pages = std::map<std::string, Page>;  // by path, e.g. "/metrics"

  // Binds 127.0.0.1:port and serves `pages` (and /healthz) on a thread of its own. Port 0
  // takes a free port (port() tells which; tests use it). BadInput, one line, when the port
  // is in use or cannot be bound. Every descriptor it opens is close-on-exec.
  static Status Start(uint16_t port, Pages pages, std::unique_ptr<MetricsServer>* server);

  // Stops accepting, drops open connections and joins the thread. Idempotent.
  void Stop();
  ~MetricsServer();

  uint16_t port() const { return port_; }

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl, uint16_t port);

  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace powercut::harness
