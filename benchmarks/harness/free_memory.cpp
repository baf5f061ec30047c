#include "harness/free_memory.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace flynn {
namespace {

// A number of bytes (or "max") in a file of one line; nullopt-like 0 when absent or unlimited.
std::uint64_t read_limit(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text)) return 0;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

// Headroom under the cgroup memory limit, or 0 when none is set. cgroup v2 names the group on a
// "0::" line, v1 on a line whose controllers include "memory".
std::uint64_t cgroup_headroom() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string_view controllers = std::string_view(line).substr(first + 1, second - first - 1);
    const std::string group = line.substr(second + 1);
    std::uint64_t limit = 0;
    std::uint64_t used = 0;
    if (line.starts_with("0::")) {
      limit = read_limit("/sys/fs/cgroup" + group + "/memory.max");
      used = read_limit("/sys/fs/cgroup" + group + "/memory.current");
    } else if (controllers.find("memory") != std::string_view::npos) {
      limit = read_limit("/sys/fs/cgroup/memory" + group + "/memory.limit_in_bytes");
      used = read_limit("/sys/fs/cgroup/memory" + group + "/memory.usage_in_bytes");
    }
    // v1 writes "no limit" as a number near 2^63.
    if (limit != 0 && limit < (std::uint64_t{1} << 62)) return limit > used ? limit - used : 1;
  }
  return 0;
}

std::uint64_t meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

}  // namespace

std::uint64_t available_memory_bytes() {
  const std::uint64_t machine = meminfo_available();
  const std::uint64_t group = cgroup_headroom();
  if (machine == 0) return group;
  return group == 0 ? machine : std::min(machine, group);
}

void require_memory(const std::string& flag, std::uint64_t value, std::uint64_t needed_bytes,
                    std::uint64_t available_bytes, const std::string& where, const std::string& reason) {
  if (needed_bytes <= available_bytes) return;
  throw std::invalid_argument(flag + "=" + std::to_string(value) + " needs " + std::to_string(needed_bytes) +
                              " bytes" + (reason.empty() ? "" : " (" + reason + ")") + ", more than the " + std::to_string(available_bytes) + " bytes of " + where +
                              "; lower " + flag);
}

void require_free_memory(const std::string& flag, std::uint64_t value, std::uint64_t needed_bytes,
                         const std::string& reason) {
  const std::uint64_t available = available_memory_bytes();
  if (available == 0) return;
  require_memory(flag, value, needed_bytes, available, "free memory", reason);
}

}  // namespace flynn
