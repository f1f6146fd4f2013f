#include "harness/run/metrics_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <list>
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
using Response = http::response<http::string_body>;

// A GET has no body; one that sends a body gets 413.
constexpr uint64_t kMaxRequestBodyBytes = 0;
// After an error reply the rest of what the client sent is read and dropped before the close,
// so that the close does not reset the connection under the reply (a lingering close), but
// only this much of it and for only this long.
constexpr size_t kMaxLingerBytes = 64 * 1024;
constexpr int64_t kLingerMs = 1'000;
constexpr int64_t kAcceptRetryMs = 100;

Response Reply(unsigned version, http::status status, std::string body) {
  Response res;
  res.version(version);
  res.keep_alive(false);  // one request per connection: simple, and a scraper reconnects
  res.set(http::field::server, "powercut");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.result(status);
  res.body() = std::move(body);
  return res;
}

std::string NotFoundText(const MetricsServer::Pages& pages) {
  std::string paths;
  for (const auto& [path, page] : pages) paths += path + ", ";
  return "not found: try " + paths + "/healthz\n";
}

Response Respond(const http::request<http::string_body>& req, const MetricsServer::Pages& pages) {
  const unsigned v = req.version();
  const bool head = req.method() == http::verb::head;
  if (req.method() != http::verb::get && !head) {
    Response res = Reply(v, http::status::method_not_allowed, "only GET and HEAD\n");
    res.set(http::field::allow, "GET, HEAD");
    res.prepare_payload();
    return res;
  }
  std::string target(req.target());
  target = target.substr(0, target.find('?'));  // a scraper's query is ignored
  Response res = Reply(v, http::status::not_found, NotFoundText(pages));
  if (target == "/healthz") res = Reply(v, http::status::ok, "ok\n");
  if (auto it = pages.find(target); it != pages.end()) {
    try {
      res = Reply(v, http::status::ok, it->second.render());
      res.set(http::field::content_type, it->second.content_type);
    } catch (const std::exception& e) {
      res = Reply(v, http::status::internal_server_error,
                  std::string("page failed: ") + e.what() + "\n");
    }
  }
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET
  return res;
}

// The reply to a request the parser refused, or none when the client is gone or too slow.
std::optional<Response> RefusalOf(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    return Reply(11, http::status::request_header_fields_too_large,
                 fmt::format("request head over {} bytes\n", MetricsServer::kMaxHeaderBytes));
  }
  if (ec == http::error::body_limit) {
    return Reply(11, http::status::payload_too_large, "a request has no body here\n");
  }
  // EOF (end_of_stream, partial_message) and timeouts are the client's business; any other
  // parser error is a request that is not HTTP.
  if (ec.category() != http::make_error_code(http::error::bad_method).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;
  }
  return Reply(11, http::status::bad_request, "bad request: " + ec.message() + "\n");
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const MetricsServer::Pages* pages)
      : stream_(std::move(socket)), pages_(pages) {}

  void Run() {
    parser_.emplace();
    parser_->header_limit(MetricsServer::kMaxHeaderBytes);
    parser_->body_limit(kMaxRequestBodyBytes);
    stream_.expires_after(std::chrono::milliseconds(MetricsServer::kReadTimeoutMs));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  bool open() const { return stream_.socket().is_open(); }
  // Writing a reply: the one state in which a session is worth more than a newcomer.
  bool busy() const { return writing_; }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void OnRead(beast::error_code ec) {
    if (!ec) return Write(Respond(parser_->get(), *pages_), /*linger=*/false);
    if (std::optional<Response> refusal = RefusalOf(ec)) {
      refusal->prepare_payload();
      return Write(std::move(*refusal), /*linger=*/true);
    }
    Close();
  }

  void Write(Response res, bool linger) {
    response_ = std::move(res);
    writing_ = true;
    http::async_write(stream_, response_,
                      [self = shared_from_this(), linger](beast::error_code ec, size_t) {
                        self->writing_ = false;
                        if (ec || !linger) return self->Close();
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->stream_.expires_after(std::chrono::milliseconds(kLingerMs));
                        self->Linger();
                      });
  }

  void Linger() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ >= kMaxLingerBytes) return self->Close();
                              self->Linger();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  const MetricsServer::Pages* pages_;
  bool writing_ = false;
  char drain_[4096];
  size_t lingered_ = 0;
};

}  // namespace

struct MetricsServer::Impl {
  // Declared first, destroyed last: the acceptor and every pending session belong to it.
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  net::steady_timer retry{ioc};
  Pages pages;
  // In the order they were accepted, so the oldest comes first when one must make room.
  // Only the server's thread touches it.
  std::list<std::weak_ptr<Session>> sessions;
  std::thread thread;

  void Accept() {
    acceptor.async_wait(tcp::acceptor::wait_read, [this](beast::error_code ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) ec = AcceptOne();
      if (ec) {
        // E.g. out of file descriptors: retry later rather than spin on the error.
        retry.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
        retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) Accept();
        });
        return;
      }
      Accept();
    });
  }

  // accept4 rather than asio's accept: asio's accepted sockets are not close-on-exec, and a
  // writer started meanwhile would inherit the connection.
  beast::error_code AcceptOne() {
    const int fd =
        ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
        return {};  // the client left before we took it
      return beast::error_code(errno, boost::system::system_category());
    }
    tcp::socket socket(ioc);
    beast::error_code ec;
    socket.assign(tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      return {};
    }
    Admit(std::move(socket));
    return {};
  }

  // Keeps at most kMaxConnections sockets open, closing the oldest idle one for a newcomer.
  void Admit(tcp::socket socket) {
    sessions.remove_if([](const std::weak_ptr<Session>& w) {
      auto s = w.lock();
      return !s || !s->open();
    });
    for (auto it = sessions.begin();
         sessions.size() >= static_cast<size_t>(kMaxConnections) && it != sessions.end();) {
      auto s = it->lock();
      if (s && s->busy()) {
        ++it;
        continue;
      }
      if (s) s->Close();
      it = sessions.erase(it);
    }
    if (sessions.size() >= static_cast<size_t>(kMaxConnections)) {
      beast::error_code ignored;
      socket.close(ignored);  // every one is busy writing: the newcomer retries
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), &pages);
    sessions.push_back(session);
    session->Run();
  }

  void CloseAll() {
    beast::error_code ignored;
    acceptor.close(ignored);
    retry.cancel();
    for (const auto& w : sessions) {
      if (auto s = w.lock()) s->Close();
    }
    sessions.clear();
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

namespace {

// The listening socket, close-on-exec from its first instant: asio's open() is not, and
// every writer started by the run would hold the port otherwise.
void OpenListener(tcp::acceptor& acceptor, uint16_t port, beast::error_code& ec) {
  const tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"), port);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = beast::error_code(errno, boost::system::system_category());
    return;
  }
  acceptor.assign(endpoint.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  // SO_REUSEADDR lets a restarted run take its port while old connections sit in
  // TIME_WAIT; it does not let two listeners share a port on Linux.
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) acceptor.native_non_blocking(true, ec);  // accept4 must not block the server
}

}  // namespace

Status MetricsServer::Start(uint16_t port, Pages pages, std::unique_ptr<MetricsServer>* server) {
  auto impl = std::make_unique<Impl>();
  impl->pages = std::move(pages);
  beast::error_code ec;
  OpenListener(impl->acceptor, port, ec);
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
  // Closing on the server's own thread: asio objects are not thread-safe.
  net::post(impl_->ioc, [impl = impl_.get()] {
    impl->CloseAll();
    impl->ioc.stop();
  });
  impl_->thread.join();
}

MetricsServer::~MetricsServer() { Stop(); }

}  // namespace powercut::harness
