// The pointer chase: one node per cache line, each holding the address of the next, linked in a
// single cycle through every node so that each load depends on the one before it and the walk
// covers the whole working set before it repeats.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flynn::memory {

// 64 B: the line size of every x86 and most Arm server cores; one node per line means one miss
// per load once the working set leaves a cache level.
inline constexpr std::size_t kLineBytes = 64;

struct alignas(kLineBytes) ChaseNode {
  const ChaseNode* next;
};
static_assert(sizeof(ChaseNode) == kLineBytes);

// Links nodes[0..count) into one uniformly random cycle (Sattolo's algorithm), reproducible
// from `seed`. A random order defeats the stride and stream prefetchers.
void link_random_cycle(ChaseNode* nodes, std::size_t count, std::uint64_t seed);

// Links every `stride_lines`-th node of nodes[0..count) (nodes 0, stride_lines, 2 * stride_lines,
// ...) into one cycle that visits every such node of a group of `group_lines` consecutive nodes in
// random order before it moves to the next group, the groups in random order too; the last group
// may be partial. `group_lines` must be a multiple of `stride_lines`. The nodes between the
// strided ones are left untouched and never loaded.
// - group one 4 KiB page, stride 1 (within_pages): the TLB misses once per 64 loads, which
//   separates TLB cost from DRAM cost, but consecutive loads share DRAM rows and the adjacent-line
//   prefetcher's pairs, so the figure is below any DRAM latency.
// - group 256 KiB, stride 256 B (page_groups, google/multichase's default chase): 64 pages, which
//   the L1 DTLB of current cores covers, and one line in four, so neither the adjacent-line nor the
//   next-line prefetcher brings a line the chase loads next.
void link_random_within_groups(ChaseNode* nodes, std::size_t count, std::size_t group_lines, std::size_t stride_lines,
                               std::uint64_t seed);

// The number of nodes the cycle of link_random_within_groups(nodes, count, _, stride_lines, _)
// goes through: one lap is this many loads.
inline std::size_t strided_nodes(std::size_t count, std::size_t stride_lines) {
  return (count + stride_lines - 1) / stride_lines;
}

// Follows `loads` dependent pointers from `start` and returns where it stopped, which depends on
// every load, so the compiler cannot drop any of them.
const ChaseNode* chase(const ChaseNode* start, std::uint64_t loads);

// A plain walk for tests: the node reached after `steps` hops, no unrolling.
inline const ChaseNode* chase_reference(const ChaseNode* start, std::uint64_t steps) {
  while (steps-- != 0) start = start->next;
  return start;
}

}  // namespace flynn::memory
