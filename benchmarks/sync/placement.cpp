#include <hwloc.h>

#include <algorithm>

#include "sync/sync_benchmarks.h"

namespace flynn::sync {

std::vector<int> spread_cpus(const Topology& topology) {
  std::vector<int> order;
  const int cores = topology.count(HWLOC_OBJ_CORE);
  for (int round = 0; cores > 0; ++round) {
    bool any = false;
    for (int c = 0; c < cores; ++c) {
      const hwloc_obj_t core = topology.object(HWLOC_OBJ_CORE, c);
      const hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(topology.get(), core->cpuset, HWLOC_OBJ_PU,
                                                                  static_cast<unsigned>(round));
      if (pu == nullptr) continue;
      order.push_back(static_cast<int>(pu->os_index));
      any = true;
    }
    if (!any) break;
  }
  // A topology without cores (some virtual machines report none) falls back to the PUs in order.
  return order.empty() ? topology.cpus() : order;
}

std::vector<int> counter_thread_counts(int cpus) {
  std::vector<int> counts;
  for (int t = 1; t <= 2 * cpus; t *= 2) counts.push_back(t);
  for (int t : {cpus, 2 * cpus}) {
    if (std::find(counts.begin(), counts.end(), t) == counts.end()) counts.push_back(t);
  }
  std::sort(counts.begin(), counts.end());
  return counts;
}

}  // namespace flynn::sync
