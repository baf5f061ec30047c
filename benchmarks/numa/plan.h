// Which (CPU node, memory node) pairs the NUMA matrix measures and with which CPUs: a pure
// function of the topology, so plans for machines we do not have are checked in tests.
#pragma once

#include <string>
#include <vector>

#include "harness/topology.h"

namespace flynn::numa {

struct NodePair {
  int cpu_node = 0;          // operating-system index of the node whose CPUs run the kernel
  int mem_node = 0;          // operating-system index of the node that holds the memory
  std::vector<int> cpus;     // operating-system indexes of cpu_node's CPUs, in order
  std::string skip_reason;   // empty when the pair can be measured

  bool remote() const { return cpu_node != mem_node; }
};

// Every pair of the selected nodes (all when `selected` is empty) with a CPU node that has CPUs;
// memory-only nodes appear only as memory nodes. On a one-node machine the remote pair is still
// planned, towards node id (the only node + 1), and skipped with the reason "1 NUMA node", so
// results say why the remote column is empty. Throws std::invalid_argument naming a selected
// node the topology lacks.
std::vector<NodePair> plan_node_pairs(const Topology& topology, const std::vector<int>& selected = {});

// Operating-system indexes of the topology's NUMA nodes, in order.
std::vector<int> numa_nodes(const Topology& topology);

}  // namespace flynn::numa
