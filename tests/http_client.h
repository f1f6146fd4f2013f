// A plain-socket HTTP client for the tests of `--metrics-port`: written here rather than
// taken from the server's library, so a test reads what a scraper on the wire would see.
// Loopback only, and every socket has a receive timeout, so no test can hang on the server.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace e2e {

// Bounds a read on a test's socket; a healthy server answers far sooner.
inline constexpr int kClientReadTimeoutS = 10;

struct HttpReply {
  int status = 0;  // 0: nobody listening, or the server closed without a reply
  std::string head;
  std::string body;
};

// A connected socket to 127.0.0.1:port, or -1.
inline int ConnectLoopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{kClientReadTimeoutS, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One request, read until the server closes.
inline HttpReply Http(uint16_t port, const std::string& request) {
  HttpReply r;
  const int fd = ConnectLoopback(port);
  if (fd < 0) return r;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return r;
  }
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t split = all.find("\r\n\r\n");
  if (split == std::string::npos) return r;
  r.head = all.substr(0, split);
  r.body = all.substr(split + 4);
  if (all.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(all.substr(9, 3));
  return r;
}

inline HttpReply Get(uint16_t port, const std::string& target) {
  return Http(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

}  // namespace e2e
