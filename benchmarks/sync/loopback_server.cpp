#include "sync/loopback_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>

namespace flynn::sync {
namespace {

using Clock = std::chrono::steady_clock;

// After a closing response (400, 503) the server stops writing and reads until the client closes:
// closing a socket with unread bytes sends a reset, which makes the client discard the response
// it has not read yet. Bounded, so a client that never stops sending cannot hold the connection.
constexpr std::size_t kMaxDrainBytes = std::size_t{64} << 20;
constexpr std::chrono::seconds kDrainTimeout{2};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("loopback server: " + what + ": " + std::strerror(errno));
}

struct Client {
  std::string in;
  std::string out;
  std::size_t sent = 0;
  bool waiting = false;      // a response is scheduled
  bool close_after = false;  // close once `out` is sent
  bool draining = false;     // response sent and write side shut: reading until the client closes
  std::size_t drained = 0;
  Clock::time_point last_activity;
};

// Parses "GET /page/<n> HTTP/1.x\r\n...\r\n\r\n" at the start of `in`. Returns the request's
// length (0: incomplete); `page` is -1 for a request that is complete but not one of ours.
std::size_t parse_request(const std::string& in, std::int64_t& page) {
  const std::size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  page = -1;
  const std::string_view line = std::string_view(in).substr(0, in.find("\r\n"));
  constexpr std::string_view kPrefix = "GET /page/";
  if (line.starts_with(kPrefix) && (line.ends_with(" HTTP/1.1") || line.ends_with(" HTTP/1.0"))) {
    const std::string_view digits = line.substr(kPrefix.size(), line.size() - kPrefix.size() - 9);
    std::uint64_t value = 0;
    const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (!digits.empty() && parsed.ec == std::errc() && parsed.ptr == digits.data() + digits.size() &&
        value < (std::uint64_t{1} << 62)) {
      page = static_cast<std::int64_t>(value);
    }
  }
  return end + 4;
}

std::string response(int code, std::string_view reason, const std::string& body, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) +
                    "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
                    (close ? "\r\nConnection: close" : "") + "\r\n\r\n";
  return out + body;
}

}  // namespace

bool is_loopback_ipv4(const std::string& address) {
  in_addr parsed{};
  if (inet_pton(AF_INET, address.c_str(), &parsed) != 1) return false;
  return (ntohl(parsed.s_addr) >> 24) == 127;
}

std::uint64_t links_on_page(std::uint64_t page) { return 4 + page % 29; }

std::string make_page(std::uint64_t page) {
  const std::string n = std::to_string(page);
  std::string html = "<!DOCTYPE html>\n<html><head><title>Page " + n + "</title></head>\n<body>\n<h1>Page " + n +
                     "</h1>\n<p>A generated page standing in for a remote site. <abbr title=\"x\">It</abbr> has "
                     "text between its links, as real pages do.</p>\n<!-- <a href=\"/not/a/link\"> -->\n"
                     "<img src=\"/img/" + n + ".png\" alt=\"\">\n<ul>\n";
  for (std::uint64_t j = 0; j < links_on_page(page); ++j) {
    const std::string target = "/page/" + std::to_string((page * 31 + j * 7 + 1) % 1000003);
    switch (j % 3) {
      case 0: html += "<li><a href=\"" + target + "\">next " + std::to_string(j) + "</a></li>\n"; break;
      case 1: html += "<li><A HREF='" + target + "' class=\"nav\">next</A></li>\n"; break;
      default: html += "<li><a class=nav\n  href=" + target + ">next</a></li>\n"; break;
    }
  }
  return html + "</ul>\n</body></html>\n";
}

LoopbackServer::LoopbackServer(const ServerLimits& limits, const std::string& address) : limits_(limits) {
  if (!is_loopback_ipv4(address)) {
    throw std::invalid_argument("loopback server: refusing to bind '" + address +
                                "': only an IPv4 loopback address (127.0.0.0/8) is allowed");
  }
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = 0;  // the kernel picks a free port
  inet_pton(AF_INET, address.c_str(), &where.sin_addr);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  const auto cleanup = [this] {
    for (int fd : {listen_fd_, epoll_fd_, stop_fd_}) {
      if (fd >= 0) ::close(fd);
    }
  };
  socklen_t length = sizeof where;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0 ||
      ::listen(listen_fd_, SOMAXCONN) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&where), &length) != 0) {
    const int saved = errno;
    cleanup();
    errno = saved;
    fail("bind/listen on " + address);
  }
  port_ = ntohs(where.sin_port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event listen_event{EPOLLIN, {.fd = listen_fd_}};
  epoll_event stop_event{EPOLLIN, {.fd = stop_fd_}};
  if (epoll_fd_ < 0 || stop_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listen_event) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop_event) != 0) {
    const int saved = errno;
    cleanup();
    errno = saved;
    fail("epoll");
  }
  thread_ = std::thread([this] { serve(); });
}

LoopbackServer::~LoopbackServer() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(listen_fd_);
  ::close(epoll_fd_);
  ::close(stop_fd_);
}

void LoopbackServer::serve() {
  std::map<int, Client> clients;
  std::multimap<Clock::time_point, int> due;  // scheduled responses
  const Clock::time_point deadline = Clock::now() + limits_.lifetime;

  auto drop = [&](int fd) {
    // A response still scheduled for this descriptor must not go to the next client given it.
    std::erase_if(due, [fd](const auto& entry) { return entry.second == fd; });
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    clients.erase(fd);
  };
  // Sends what is pending; false when the connection should go.
  std::function<bool(int, Client&)> flush;
  // Schedules the next complete request in the client's buffer, if any. False: close it.
  auto schedule = [&](int fd, Client& c) {
    if (c.close_after) return true;
    if (c.waiting) {
      // Behind the request in flight, read no more than one more head: the rest waits in the
      // socket (flush listens again once the response is out).
      if (c.in.size() > limits_.max_request_bytes) {
        epoll_event event{0, {.fd = fd}};
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
      }
      return true;
    }
    std::int64_t page = -1;
    if (parse_request(c.in, page) == 0) {
      if (c.in.size() <= limits_.max_request_bytes) return true;
      c.in.clear();  // a head too long: answered 400 like any other bad request
      c.out = response(400, "Bad Request", "", true);
      c.close_after = true;
      c.sent = 0;
      return flush(fd, c);
    }
    c.waiting = true;
    due.emplace(Clock::now() + limits_.delay, fd);
    return true;
  };
  flush = [&](int fd, Client& c) {
    while (c.sent < c.out.size()) {
      const ssize_t n = ::send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        epoll_event event{EPOLLIN | EPOLLOUT, {.fd = fd}};
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
        return true;
      }
      if (n <= 0) return false;
      c.sent += static_cast<std::size_t>(n);
    }
    c.out.clear();
    c.sent = 0;
    epoll_event event{EPOLLIN, {.fd = fd}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
    if (!c.close_after) return schedule(fd, c);
    // The FIN follows the response; the client reads it, then closes its side.
    ::shutdown(fd, SHUT_WR);
    c.draining = true;
    c.in.clear();
    c.last_activity = Clock::now();
    return true;
  };
  auto respond = [&](int fd, Client& c) {
    std::int64_t page = -1;
    const std::size_t length = parse_request(c.in, page);
    c.in.erase(0, length);
    c.waiting = false;
    if (served_.load() >= limits_.max_requests) {
      c.out = response(503, "Service Unavailable", "", true);
      c.close_after = true;
    } else if (page < 0) {
      c.out = response(400, "Bad Request", "", true);
      c.close_after = true;
    } else {
      c.out = response(200, "OK", make_page(static_cast<std::uint64_t>(page)), false);
      served_.fetch_add(1);
    }
    c.sent = 0;
    if (!flush(fd, c)) drop(fd);
  };

  std::array<epoll_event, 64> events{};
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    int timeout_ms = 1000;
    if (!due.empty()) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due.begin()->first - now).count();
      timeout_ms = static_cast<int>(std::max<std::int64_t>(0, std::min<std::int64_t>(wait, 1000)));
    }
    // epoll_wait has millisecond resolution; for sub-millisecond delays the wait rounds up to
    // 1 ms unless something else wakes the loop, so delays below 1 ms are approximate.
    const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    for (int e = 0; e < std::max(ready, 0); ++e) {
      const int fd = events[static_cast<std::size_t>(e)].data.fd;
      if (fd == stop_fd_) {
        for (auto& [client_fd, client] : clients) ::close(client_fd);
        return;
      }
      if (fd == listen_fd_) {
        for (;;) {
          const int accepted = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (accepted < 0) break;
          if (static_cast<int>(clients.size()) >= limits_.max_connections) {
            ::close(accepted);
            continue;
          }
          const int one = 1;
          ::setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event event{EPOLLIN, {.fd = accepted}};
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, accepted, &event);
          clients[accepted].last_activity = Clock::now();
        }
        continue;
      }
      const auto found = clients.find(fd);
      if (found == clients.end()) continue;
      Client& c = found->second;
      c.last_activity = Clock::now();
      bool keep = true;
      if (events[static_cast<std::size_t>(e)].events & EPOLLOUT) keep = flush(fd, c);
      if (keep && (events[static_cast<std::size_t>(e)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        char chunk[4096];
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          keep = false;
        } else if (n > 0 && c.draining) {
          c.drained += static_cast<std::size_t>(n);
          keep = c.drained <= kMaxDrainBytes;
        } else if (n > 0) {
          c.in.append(chunk, static_cast<std::size_t>(n));
          keep = schedule(fd, c);
        }
      }
      if (!keep) drop(fd);
    }
    // Responses whose delay has passed.
    const Clock::time_point after = Clock::now();
    while (!due.empty() && due.begin()->first <= after) {
      const int fd = due.begin()->second;
      due.erase(due.begin());
      const auto found = clients.find(fd);
      if (found != clients.end() && found->second.waiting) respond(fd, found->second);
    }
    for (auto it = clients.begin(); it != clients.end();) {
      const auto next = std::next(it);
      const Client& c = it->second;
      if ((!c.waiting && after - c.last_activity > limits_.idle_timeout) ||
          (c.draining && after - c.last_activity > kDrainTimeout)) {
        drop(it->first);
      }
      it = next;
    }
  }
  for (auto& [client_fd, client] : clients) ::close(client_fd);
}

int connect_loopback(std::uint16_t port, bool nonblocking, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("client socket");
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(port);
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  // Requests are small writes answered later: Nagle would hold one back waiting for an ACK.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval limit{};
  limit.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  limit.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail("connect to 127.0.0.1:" + std::to_string(port));
  }
  if (nonblocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace flynn::sync
