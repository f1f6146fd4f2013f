// `--metrics-port P`: a small HTTP/1.1 server on 127.0.0.1 so that a long local run can be
// scraped while it goes. GET /metrics serves the text a callback renders (Prometheus text
// format, reports/prometheus.h); GET /healthz serves "ok"; anything else is 404 (405 for a
// method other than GET or HEAD). Loopback only: a run's figures are not for the network.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "src/status.h"

namespace powercut::harness {

class MetricsServer {
 public:
  // Binds 127.0.0.1:port and serves on a thread of its own. Port 0 takes a free port
  // (port() tells which; tests use it). BadInput, one line, when the port is in use or
  // cannot be bound. `metrics` runs on the server's thread, once per GET /metrics, so it
  // must be safe to call concurrently with the run (take the run's lock); if it throws,
  // the request gets a 500.
  static Status Start(uint16_t port, std::function<std::string()> metrics,
                      std::unique_ptr<MetricsServer>* server);

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
