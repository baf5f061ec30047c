// The HTTP/1.1 client side of the I/O-bound benchmark: GET one page at a time over a persistent
// (keep-alive) connection and extract its links, either blocking (one connection per thread) or
// over non-blocking sockets multiplexed by one thread with epoll.
//
// Plain sockets and a minimal parser instead of a library. Debian 12 has cpp-httplib 0.11 (a
// blocking client only, and a server whose fixed thread pool would make a delayed response hold
// a pool thread, so the server, not the clients, would cap concurrency), libmicrohttpd (a server
// only) and libcurl (its multi interface would do, but then the measured cost is mostly curl's
// own machinery); gumbo builds a whole DOM with an allocation per node, which would make "extract
// the links" measure malloc. What we need is a GET with Content-Length bodies and an href scan:
// about 200 lines, each path tested, and no dependency to install.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flynn::io {

// Writes "GET /page/<page> HTTP/1.1" with its Host header into `out`; returns its length, or 0
// when `capacity` is too small.
std::size_t format_request(std::uint64_t page, char* out, std::size_t capacity);

enum class ParseStatus { incomplete, complete, malformed };

struct ResponseHead {
  ParseStatus status = ParseStatus::incomplete;
  int code = 0;                 // e.g. 200
  std::size_t head_bytes = 0;   // status line and headers, with the blank line
  std::size_t body_bytes = 0;   // from Content-Length (required: no chunked encoding)
};

// Parses the status line and headers at the start of `data`.
ResponseHead parse_response_head(std::string_view data);

struct FetchTotals {
  std::uint64_t pages = 0;   // 200 responses received and scanned
  std::uint64_t links = 0;   // links found in them
  bool failed = false;       // a connection error, timeout, bad response or non-200 status
};

// Fetches pages first_page .. first_page + count - 1 over `fd` (a connected blocking socket; a
// receive timeout on it bounds a wait for a dead server), one request at a time. `buffer` must
// hold a whole response.
FetchTotals fetch_blocking(int fd, std::uint64_t first_page, std::uint64_t count, char* buffer, std::size_t capacity);

// One non-blocking connection of the epoll client, with its own response buffer.
struct Connection {
  int fd = -1;
  char* buffer = nullptr;
  std::size_t capacity = 0;
  std::size_t filled = 0;
  bool busy = false;  // a request is in flight
};

// Fetches `count` pages from first_page on, keeping every connection busy: `connections[i].fd`
// is registered in `epoll_fd` for EPOLLIN with data.u64 = i. Gives up (failed) when nothing
// arrives for `timeout_ms`.
FetchTotals fetch_epoll(int epoll_fd, Connection* connections, std::size_t connection_count, std::uint64_t first_page,
                        std::uint64_t count, int timeout_ms);

}  // namespace flynn::io
