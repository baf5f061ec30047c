// The stand-in for a remote web site: an HTTP/1.1 server on the loopback interface, started and
// stopped by the benchmark itself, that answers each GET /page/<n> with a generated HTML page
// after a fixed delay. One thread multiplexes every connection with epoll and a timer queue, so
// the delay is a wait, not a busy server thread: any number of clients wait in parallel, as
// they would on many remote sites.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace flynn::sync {

// Bounds that keep a benchmark's server from outliving or outgrowing it.
struct ServerLimits {
  std::chrono::microseconds delay{2000};          // before each response: the "remote" latency
  int max_connections = 256;                      // more are accepted and closed at once
  std::uint64_t max_requests = std::uint64_t{1} << 24;  // then 503 and close
  std::size_t max_request_bytes = 8192;           // a longer request head is refused (400)
  std::chrono::seconds idle_timeout{30};          // a silent connection is closed
  std::chrono::seconds lifetime{900};             // the server stops by itself after this
};

class LoopbackServer {
 public:
  // Binds `address`:0 (a free port) and starts serving. Throws std::invalid_argument unless
  // `address` is an IPv4 loopback address (127.0.0.0/8): the pages are never offered to another
  // machine. Throws std::runtime_error when the socket cannot be set up.
  explicit LoopbackServer(const ServerLimits& limits, const std::string& address = "127.0.0.1");
  ~LoopbackServer();  // stops serving, closes every connection, joins the thread
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint64_t requests_served() const { return served_.load(); }

 private:
  void serve();

  ServerLimits limits_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> served_{0};
  std::thread thread_;
};

// True for an IPv4 loopback address in dotted form (127.0.0.0/8).
bool is_loopback_ipv4(const std::string& address);

// A TCP connection to 127.0.0.1:port; blocking ones get `timeout` as send and receive timeout, so
// a dead server fails a fetch instead of hanging it. Throws std::runtime_error on failure.
int connect_loopback(std::uint16_t port, bool nonblocking, std::chrono::milliseconds timeout);

// The generated site: page n links to links_on_page(n) other pages, in every spelling the
// scanner must accept (quotes or none, any case, extra attributes), plus a commented-out link
// and an <img> that are not links.
std::uint64_t links_on_page(std::uint64_t page);
std::string make_page(std::uint64_t page);

}  // namespace flynn::sync
