#include "io/http.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>

#include "io/links.h"

namespace flynn::io {
namespace {

// Links kept per page; extract_links still counts the rest. Enough for the generated pages.
constexpr std::size_t kLinksKept = 64;
constexpr int kMaxEvents = 64;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (lower(text[i]) != lower_prefix[i]) return false;
  }
  return true;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    // MSG_NOSIGNAL: a server that went away is a failed fetch, not a SIGPIPE that kills the run.
    const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

bool send_request(int fd, std::uint64_t page) {
  std::array<char, 128> request{};
  const std::size_t length = format_request(page, request.data(), request.size());
  return length > 0 && send_all(fd, request.data(), length);
}

// A complete response in `data`: its links, or failed when it is not one whole 200 response.
bool scan_response(std::string_view data, FetchTotals& totals) {
  const ResponseHead head = parse_response_head(data);
  // Exactly one response: the client never pipelines, so trailing bytes mean a confused server.
  if (head.status != ParseStatus::complete || head.code != 200 || data.size() != head.head_bytes + head.body_bytes) {
    return false;
  }
  std::array<std::string_view, kLinksKept> links;
  totals.links += extract_links(data.substr(head.head_bytes), links.data(), links.size());
  ++totals.pages;
  return true;
}

// Whether `filled` bytes hold a whole response yet (or can never become one).
enum class Progress { more, whole, broken };
Progress progress(std::string_view data, std::size_t capacity) {
  const ResponseHead head = parse_response_head(data);
  if (head.status == ParseStatus::malformed) return Progress::broken;
  if (head.status == ParseStatus::complete) {
    if (head.head_bytes + head.body_bytes > capacity) return Progress::broken;
    if (data.size() >= head.head_bytes + head.body_bytes) return Progress::whole;
  }
  return data.size() >= capacity ? Progress::broken : Progress::more;
}

}  // namespace

std::size_t format_request(std::uint64_t page, char* out, std::size_t capacity) {
  constexpr std::string_view kBefore = "GET /page/";
  constexpr std::string_view kAfter = " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::array<char, 24> digits{};
  const auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), page);
  const std::size_t number = static_cast<std::size_t>(end - digits.data());
  const std::size_t length = kBefore.size() + number + kAfter.size();
  if (error != std::errc() || length > capacity) return 0;
  char* at = out;
  for (char c : kBefore) *at++ = c;
  for (std::size_t i = 0; i < number; ++i) *at++ = digits[i];
  for (char c : kAfter) *at++ = c;
  return length;
}

ResponseHead parse_response_head(std::string_view data) {
  ResponseHead head;
  const std::size_t blank = data.find("\r\n\r\n");
  if (blank == std::string_view::npos) {
    // A head this long without its end is not the small server we talk to.
    head.status = data.size() > 8192 ? ParseStatus::malformed : ParseStatus::incomplete;
    return head;
  }
  head.head_bytes = blank + 4;
  head.status = ParseStatus::malformed;
  std::string_view lines = data.substr(0, blank + 2);
  // Status line: "HTTP/1.x ddd reason".
  const std::size_t status_end = lines.find("\r\n");
  const std::string_view status = lines.substr(0, status_end);
  if (!(status.starts_with("HTTP/1.1 ") || status.starts_with("HTTP/1.0 ")) || status.size() < 12) return head;
  const auto code = std::from_chars(status.data() + 9, status.data() + 12, head.code);
  if (code.ec != std::errc() || code.ptr != status.data() + 12) return head;
  bool has_length = false;
  lines.remove_prefix(status_end + 2);
  while (!lines.empty()) {
    const std::size_t end = lines.find("\r\n");
    const std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 2);
    if (starts_with_ignoring_case(line, "transfer-encoding:")) return head;  // chunked: not supported
    if (!starts_with_ignoring_case(line, "content-length:")) continue;
    std::string_view value = line.substr(15);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), head.body_bytes);
    if (value.empty() || parsed.ec != std::errc() || parsed.ptr != value.data() + value.size() || has_length) {
      return head;
    }
    has_length = true;
  }
  if (has_length) head.status = ParseStatus::complete;
  return head;
}

FetchTotals fetch_blocking(int fd, std::uint64_t first_page, std::uint64_t count, char* buffer, std::size_t capacity) {
  FetchTotals totals;
  for (std::uint64_t page = first_page; page < first_page + count; ++page) {
    if (!send_request(fd, page)) return totals.failed = true, totals;
    std::size_t filled = 0;
    for (;;) {
      const Progress state = progress({buffer, filled}, capacity);
      if (state == Progress::broken) return totals.failed = true, totals;
      if (state == Progress::whole) break;
      const ssize_t got = ::recv(fd, buffer + filled, capacity - filled, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return totals.failed = true, totals;  // closed, or the receive timeout passed
      filled += static_cast<std::size_t>(got);
    }
    if (!scan_response({buffer, filled}, totals)) return totals.failed = true, totals;
  }
  return totals;
}

FetchTotals fetch_epoll(int epoll_fd, Connection* connections, std::size_t connection_count, std::uint64_t first_page,
                        std::uint64_t count, int timeout_ms) {
  FetchTotals totals;
  std::uint64_t issued = 0;
  std::uint64_t done = 0;
  auto issue = [&](Connection& c) {
    // A request of under 100 bytes on an idle connection always fits its send buffer at once.
    if (!send_request(c.fd, first_page + issued)) return false;
    ++issued;
    c.busy = true;
    c.filled = 0;
    return true;
  };
  for (std::size_t i = 0; i < connection_count && issued < count; ++i) {
    if (!issue(connections[i])) return totals.failed = true, totals;
  }
  std::array<epoll_event, kMaxEvents> events{};
  while (done < count) {
    const int ready = ::epoll_wait(epoll_fd, events.data(), kMaxEvents, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return totals.failed = true, totals;
    for (int e = 0; e < ready; ++e) {
      Connection& c = connections[events[static_cast<std::size_t>(e)].data.u64];
      if (!c.busy) return totals.failed = true, totals;  // the server spoke unasked
      for (;;) {
        const ssize_t got = ::recv(c.fd, c.buffer + c.filled, c.capacity - c.filled, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (got <= 0) return totals.failed = true, totals;
        c.filled += static_cast<std::size_t>(got);
        const Progress state = progress({c.buffer, c.filled}, c.capacity);
        if (state == Progress::broken) return totals.failed = true, totals;
        if (state == Progress::more) continue;
        if (!scan_response({c.buffer, c.filled}, totals)) return totals.failed = true, totals;
        ++done;
        c.busy = false;
        if (issued < count && !issue(c)) return totals.failed = true, totals;
        break;
      }
    }
  }
  return totals;
}

}  // namespace flynn::io
