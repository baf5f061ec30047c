#include <numa.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "harness/area.h"
#include "numa/numa_benchmarks.h"
#include "numa/plan.h"

namespace flynn {
namespace {

// The sweep must pass the last-level cache well (4x) to show the DRAM plateau, and stops at 1 GiB:
// beyond that only the TLB gets worse, and VMs report whatever the host pretends (this project's
// 2-core VM shows a 508 MB "L3", which would mean a 2 GiB sweep on a 4.8 GB machine).
constexpr std::uint64_t kMaxDefaultBytes = std::uint64_t{1} << 30;

std::uint64_t last_level_cache_bytes(const Topology& topology) {
  for (int level = 5; level >= 1; --level) {
    if (const std::uint64_t bytes = topology.cache_bytes(level); bytes != 0) return bytes;
  }
  return 0;
}

// Every benchmark keeps at most two buffers of max_bytes alive (a chase and the streams or the
// bandwidth arrays), all possibly on one node; refused before anything is allocated.
void require_free_memory(std::uint64_t max_bytes, const std::vector<int>& nodes) {
  const std::uint64_t needed = 2 * max_bytes;
  for (int node : nodes) {
    long long free_bytes = 0;
    if (numa_available() >= 0) {
      numa_node_size64(node, &free_bytes);
    } else {
      free_bytes = static_cast<long long>(sysconf(_SC_AVPHYS_PAGES)) * sysconf(_SC_PAGESIZE);
    }
    if (needed > static_cast<std::uint64_t>(free_bytes)) {
      throw std::invalid_argument("--flynn_max_bytes=" + std::to_string(max_bytes) + " needs " +
                                  std::to_string(needed) + " bytes, more than node " + std::to_string(node) +
                                  "'s free memory (" + std::to_string(free_bytes) + " bytes)");
    }
  }
}

}  // namespace

void register_area_benchmarks(const Topology& topology, Options& options) {
  const std::uint64_t llc = last_level_cache_bytes(topology);
  const std::uint64_t max_bytes =
      options.take_bytes("max_bytes", llc == 0 ? kMaxDefaultBytes : std::min(4 * llc, kMaxDefaultBytes));
  if (max_bytes < 4096) {
    throw std::invalid_argument("--flynn_max_bytes must be at least 4K (one page), got " + std::to_string(max_bytes));
  }
  const std::vector<int> selected = options.take_int_list("nodes", {});
  std::vector<numa::NodePair> pairs = numa::plan_node_pairs(topology, selected);
  if (numa_available() < 0) {
    for (numa::NodePair& pair : pairs) pair.skip_reason = "no NUMA support in this kernel (numa_available() < 0)";
  }
  require_free_memory(max_bytes, selected.empty() ? numa::numa_nodes(topology) : selected);
  numa::register_latency_benchmarks(topology, max_bytes);
  numa::register_matrix_benchmarks(topology, pairs, max_bytes);
}

}  // namespace flynn
