#include "harness/run/metrics_server.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace powercut::harness {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A scrape is one small GET: anything bigger or slower is not a scraper.
constexpr uint32_t kMaxRequestHeaderBytes = 8 * 1024;
constexpr uint64_t kMaxRequestBodyBytes = 0;
constexpr int64_t kRequestTimeoutMs = 5'000;
// Connections served at once; more are closed on accept, so a misbehaving client cannot
// make the run's process hold an unbounded number of sockets.
constexpr int kMaxConnections = 16;
constexpr int64_t kAcceptRetryMs = 100;

http::response<http::string_body> Respond(const http::request<http::string_body>& req,
                                          const std::function<std::string()>& metrics) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(false);  // one request per connection: simple, and a scraper reconnects
  res.set(http::field::server, "powercut");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  std::string target(req.target());
  target = target.substr(0, target.find('?'));
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
    res.body() = "only GET\n";
  } else if (target == "/metrics") {
    try {
      res.body() = metrics();
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    } catch (const std::exception& e) {
      res.result(http::status::internal_server_error);
      res.body() = std::string("metrics failed: ") + e.what() + "\n";
    }
  } else if (target == "/healthz") {
    res.result(http::status::ok);
    res.body() = "ok\n";
  } else {
    res.result(http::status::not_found);
    res.body() = "not found: try /metrics or /healthz\n";
  }
  const bool head = req.method() == http::verb::head;
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET
  return res;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::function<std::string()>* metrics,
          std::shared_ptr<std::atomic<int>> open)
      : stream_(std::move(socket)), metrics_(metrics), open_(std::move(open)) {
    ++*open_;
  }
  ~Session() { --*open_; }

  void Run() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestHeaderBytes);
    parser_->body_limit(kMaxRequestBodyBytes);
    stream_.expires_after(std::chrono::milliseconds(kRequestTimeoutMs));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return Close();  // timeout, oversized or garbled request, client gone
    response_ = Respond(parser_->get(), *metrics_);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  const std::function<std::string()>* metrics_;
  std::shared_ptr<std::atomic<int>> open_;
};

}  // namespace

struct MetricsServer::Impl {
  // Declared first, destroyed last: the acceptor and every pending session belong to it.
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  net::steady_timer retry{ioc};
  std::function<std::string()> metrics;
  std::shared_ptr<std::atomic<int>> open = std::make_shared<std::atomic<int>>(0);
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // E.g. out of file descriptors: retry later rather than spin on the error.
        retry.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
        retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) Accept();
        });
        return;
      }
      if (open->load() >= kMaxConnections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), &metrics, open)->Run();
      }
      Accept();
    });
  }

  void Serve() {
    // A handler that throws must not end the server while the run goes on.
    while (!ioc.stopped()) {
      try {
        ioc.run();
      } catch (const std::exception&) {
      }
    }
  }
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl, uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

Status MetricsServer::Start(uint16_t port, std::function<std::string()> metrics,
                            std::unique_ptr<MetricsServer>* server) {
  auto impl = std::make_unique<Impl>();
  impl->metrics = std::move(metrics);
  const tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"), port);
  beast::error_code ec;
  impl->acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR lets a restarted run take its port while old connections sit in
  // TIME_WAIT; it does not let two listeners share a port on Linux.
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    const bool in_use = ec == net::error::address_in_use;
    return Status::BadInput(fmt::format("--metrics-port {}: cannot listen on 127.0.0.1:{}: {}{}",
                                        port, port, ec.message(),
                                        in_use ? "; choose a free port with --metrics-port"
                                               : "; choose another port with --metrics-port"));
  }
  const uint16_t bound = impl->acceptor.local_endpoint(ec).port();
  if (ec) return Status::Internal("metrics server: cannot read its own port: " + ec.message());
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Serve(); });
  server->reset(new MetricsServer(std::move(impl), bound));
  return Status::Ok();
}

void MetricsServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  // Closing the acceptor on the server's own thread: asio objects are not thread-safe.
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry.cancel();
    impl->ioc.stop();
  });
  impl_->thread.join();
}

MetricsServer::~MetricsServer() { Stop(); }

}  // namespace powercut::harness
