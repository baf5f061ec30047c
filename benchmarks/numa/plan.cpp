#include "numa/plan.h"

#include <algorithm>
#include <stdexcept>

namespace flynn::numa {
namespace {

std::vector<int> cpus_of_node(const Topology& topology, int node) {
  hwloc_obj_t obj = hwloc_get_numanode_obj_by_os_index(topology.get(), static_cast<unsigned>(node));
  std::vector<int> cpus;
  for (hwloc_obj_t pu = nullptr;
       (pu = hwloc_get_next_obj_inside_cpuset_by_type(topology.get(), obj->cpuset, HWLOC_OBJ_PU, pu)) != nullptr;) {
    cpus.push_back(static_cast<int>(pu->os_index));
  }
  return cpus;
}

std::string node_list(const std::vector<int>& nodes) {
  std::string text;
  for (int node : nodes) text.append(text.empty() ? "" : ",").append(std::to_string(node));
  return text;
}

}  // namespace

std::vector<int> numa_nodes(const Topology& topology) {
  std::vector<int> nodes;
  for (int i = 0; i < topology.count(HWLOC_OBJ_NUMANODE); ++i) {
    nodes.push_back(static_cast<int>(topology.object(HWLOC_OBJ_NUMANODE, i)->os_index));
  }
  return nodes;
}

std::vector<NodePair> plan_node_pairs(const Topology& topology, const std::vector<int>& selected) {
  const std::vector<int> all = numa_nodes(topology);
  for (int node : selected) {
    if (std::find(all.begin(), all.end(), node) == all.end()) {
      throw std::invalid_argument("NUMA node " + std::to_string(node) + " does not exist (this machine's nodes: " +
                                  node_list(all) + ")");
    }
  }
  const std::vector<int>& nodes = selected.empty() ? all : selected;
  std::vector<NodePair> pairs;
  for (int cpu_node : nodes) {
    std::vector<int> cpus = cpus_of_node(topology, cpu_node);
    if (cpus.empty()) continue;
    for (int mem_node : nodes) pairs.push_back({cpu_node, mem_node, cpus, {}});
    if (all.size() == 1) pairs.push_back({cpu_node, all.front() + 1, cpus, "1 NUMA node"});
  }
  return pairs;
}

}  // namespace flynn::numa
