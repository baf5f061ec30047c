#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/http.h"
#include "io/links.h"
#include "sync/loopback_server.h"

namespace flynn {
namespace {

using sync::LoopbackServer;
using sync::ServerLimits;

constexpr std::chrono::milliseconds kTimeout{5000};

ServerLimits quick() {
  ServerLimits limits;
  limits.delay = std::chrono::microseconds(100);
  return limits;
}

std::uint64_t links_in(std::uint64_t first, std::uint64_t count) {
  std::uint64_t links = 0;
  for (std::uint64_t p = first; p < first + count; ++p) links += sync::links_on_page(p);
  return links;
}

// Sends raw bytes and reads until the server closes the connection.
std::string raw_exchange(std::uint16_t port, const std::string& request) {
  const int fd = sync::connect_loopback(port, false, kTimeout);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string reply;
  std::array<char, 4096> chunk{};
  ssize_t got = 0;
  while ((got = ::recv(fd, chunk.data(), chunk.size(), 0)) > 0) reply.append(chunk.data(), static_cast<std::size_t>(got));
  EXPECT_EQ(got, 0) << "the connection ended with " << std::strerror(errno) << ", not the server's FIN";
  ::close(fd);
  return reply;
}

TEST(IoHttp, FormatsTheRequest) {
  std::array<char, 64> out{};
  const std::size_t length = io::format_request(42, out.data(), out.size());
  EXPECT_EQ(std::string(out.data(), length), "GET /page/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(io::format_request(42, out.data(), 10), 0u);
}

TEST(IoHttp, ParsesResponseHeads) {
  const auto ok = io::parse_response_head("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\ncontent-length: 5\r\n\r\nhello");
  EXPECT_EQ(ok.status, io::ParseStatus::complete);
  EXPECT_EQ(ok.code, 200);
  EXPECT_EQ(ok.head_bytes, 63u);
  EXPECT_EQ(ok.body_bytes, 5u);
  EXPECT_EQ(io::parse_response_head("HTTP/1.1 200 OK\r\nContent-Le").status, io::ParseStatus::incomplete);
  EXPECT_EQ(io::parse_response_head("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").code, 404);
  for (const char* bad : {"HTTP/1.1 200 OK\r\n\r\n", "HTTP/2 200 OK\r\nContent-Length: 1\r\n\r\n",
                          "HTTP/1.1 2x0 OK\r\nContent-Length: 1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "garbage\r\n\r\n"}) {
    EXPECT_EQ(io::parse_response_head(bad).status, io::ParseStatus::malformed) << bad;
  }
  EXPECT_EQ(io::parse_response_head(std::string(9000, 'x')).status, io::ParseStatus::malformed);
}

TEST(IoHttp, GeneratedPagesHoldTheirLinks) {
  std::array<std::string_view, 64> links;
  for (std::uint64_t page : {0, 1, 2, 28, 29, 1000}) {
    const std::string html = sync::make_page(page);
    ASSERT_EQ(io::extract_links(html, links.data(), links.size()), sync::links_on_page(page)) << page;
    EXPECT_TRUE(links[0].starts_with("/page/"));
  }
}

TEST(IoServer, RefusesEveryAddressButLoopback) {
  for (const char* address : {"0.0.0.0", "192.168.1.1", "10.0.0.1", "8.8.8.8", "::1", "::", "localhost", "", "127.0.0"}) {
    EXPECT_THROW(LoopbackServer(quick(), address), std::invalid_argument) << address;
  }
  EXPECT_TRUE(sync::is_loopback_ipv4("127.1.2.3"));
  EXPECT_FALSE(sync::is_loopback_ipv4("128.0.0.1"));
  const LoopbackServer server(quick());
  EXPECT_GT(server.port(), 0);
}

TEST(IoServer, BlockingClientFetchesPagesAndLinks) {
  const LoopbackServer server(quick());
  const int fd = sync::connect_loopback(server.port(), false, kTimeout);
  std::vector<char> buffer(65536);
  const io::FetchTotals totals = io::fetch_blocking(fd, 5, 12, buffer.data(), buffer.size());
  ::close(fd);
  EXPECT_FALSE(totals.failed);
  EXPECT_EQ(totals.pages, 12u);
  EXPECT_EQ(totals.links, links_in(5, 12));
  EXPECT_EQ(server.requests_served(), 12u);
}

TEST(IoServer, ResponsesWaitForTheDelay) {
  ServerLimits limits;
  limits.delay = std::chrono::milliseconds(20);
  const LoopbackServer server(limits);
  const int fd = sync::connect_loopback(server.port(), false, kTimeout);
  std::vector<char> buffer(65536);
  const auto start = std::chrono::steady_clock::now();
  const io::FetchTotals totals = io::fetch_blocking(fd, 0, 3, buffer.data(), buffer.size());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_EQ(totals.pages, 3u);
  EXPECT_GE(elapsed, std::chrono::milliseconds(60));
}

TEST(IoServer, EpollClientFetchesOverManyConnections) {
  const LoopbackServer server(quick());
  std::vector<std::vector<char>> buffers(4, std::vector<char>(65536));
  std::vector<io::Connection> connections(4);
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < connections.size(); ++i) {
    connections[i] = {sync::connect_loopback(server.port(), true, kTimeout), buffers[i].data(), buffers[i].size()};
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    ASSERT_EQ(::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, connections[i].fd, &event), 0);
  }
  // Fewer pages than connections, then many more: both ends of the loop.
  const io::FetchTotals few = io::fetch_epoll(epoll_fd, connections.data(), connections.size(), 0, 3, 5000);
  const io::FetchTotals many = io::fetch_epoll(epoll_fd, connections.data(), connections.size(), 100, 50, 5000);
  for (const auto& c : connections) ::close(c.fd);
  ::close(epoll_fd);
  EXPECT_FALSE(few.failed);
  EXPECT_EQ(few.pages, 3u);
  EXPECT_EQ(few.links, links_in(0, 3));
  EXPECT_FALSE(many.failed);
  EXPECT_EQ(many.pages, 50u);
  EXPECT_EQ(many.links, links_in(100, 50));
}

TEST(IoServer, BadRequestsAreAnsweredAndClosed) {
  const LoopbackServer server(quick());
  EXPECT_TRUE(raw_exchange(server.port(), "POST /page/1 HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(raw_exchange(server.port(), "GET /etc/passwd HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(raw_exchange(server.port(), "GET /page/x HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));
  // A head longer than the limit without its end is refused with a 400 too.
  EXPECT_TRUE(raw_exchange(server.port(), "GET /page/1 HTTP/1.1\r\nX: " + std::string(20000, 'a')).starts_with("HTTP/1.1 400 "));
  EXPECT_EQ(server.requests_served(), 0u);
}

// A 1 MB head is still arriving when the server refuses it: closing then would reset the
// connection and destroy the 400 before the client reads it. The server must drain instead.
TEST(IoServer, AHugeRequestHeadGetsItsAnswerNotAReset) {
  const LoopbackServer server(quick());
  for (const std::string& tail : {std::string(), std::string("\r\n\r\n")}) {
    const std::string reply =
        raw_exchange(server.port(), "GET /page/1 HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a') + tail);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 ")) << "got " << reply.size() << " bytes: " << reply.substr(0, 40);
  }
  // Pipelined bytes after a bad request are drained as well, not answered with a reset.
  const std::string after_bad = raw_exchange(server.port(), "POST / HTTP/1.1\r\n\r\n" + std::string(1 << 20, 'b'));
  EXPECT_TRUE(after_bad.starts_with("HTTP/1.1 400 ")) << "got " << after_bad.size() << " bytes";
  EXPECT_EQ(server.requests_served(), 0u);
  // The server still serves afterwards.
  const int fd = sync::connect_loopback(server.port(), false, kTimeout);
  std::vector<char> buffer(65536);
  const io::FetchTotals totals = io::fetch_blocking(fd, 0, 1, buffer.data(), buffer.size());
  ::close(fd);
  EXPECT_EQ(totals.pages, 1u);
}

TEST(IoServer, StopsServingAfterItsRequestBound) {
  ServerLimits limits = quick();
  limits.max_requests = 2;
  const LoopbackServer server(limits);
  const int fd = sync::connect_loopback(server.port(), false, kTimeout);
  std::vector<char> buffer(65536);
  const io::FetchTotals totals = io::fetch_blocking(fd, 0, 3, buffer.data(), buffer.size());
  ::close(fd);
  EXPECT_TRUE(totals.failed);  // the third gets 503
  EXPECT_EQ(totals.pages, 2u);
  EXPECT_EQ(server.requests_served(), 2u);
}

TEST(IoServer, AClosedServerFailsTheFetchInsteadOfHanging) {
  int fd = -1;
  {
    const LoopbackServer server(quick());
    fd = sync::connect_loopback(server.port(), false, kTimeout);
  }
  std::vector<char> buffer(65536);
  const io::FetchTotals totals = io::fetch_blocking(fd, 0, 1, buffer.data(), buffer.size());
  ::close(fd);
  EXPECT_TRUE(totals.failed);
  EXPECT_EQ(totals.pages, 0u);
}

}  // namespace
}  // namespace flynn
