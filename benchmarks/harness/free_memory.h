// Memory a benchmark may still allocate, checked before anything registers: an area whose sizes
// do not fit is refused with one line naming the flag to lower, instead of aborting mid-run with
// std::bad_alloc (or being killed by the OOM killer after first touch, with overcommit).
#pragma once

#include <cstdint>
#include <string>

namespace flynn {

// Bytes a new allocation can take now: /proc/meminfo's MemAvailable (free memory plus what the
// kernel can reclaim; MemFree alone would refuse a machine whose memory is merely cached),
// lowered to the headroom under this process's cgroup memory limit when one is set (a
// container's /proc/meminfo shows the host's memory). 0 when nothing can be read.
std::uint64_t available_memory_bytes();

// Throws std::invalid_argument when `needed_bytes` is more than `available_bytes`, naming
// `flag` and its `value` (e.g. "--flynn_max_bytes", 1 GiB) and saying to lower it. `where`
// names the memory compared against ("free memory", "node 1's free memory"), `reason` how the
// need follows from the flag ("3 STREAM arrays").
void require_memory(const std::string& flag, std::uint64_t value, std::uint64_t needed_bytes,
                    std::uint64_t available_bytes, const std::string& where, const std::string& reason = "");

// require_memory against available_memory_bytes(); a machine whose memory cannot be read at all
// is not refused.
void require_free_memory(const std::string& flag, std::uint64_t value, std::uint64_t needed_bytes,
                         const std::string& reason = "");

}  // namespace flynn
