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

// Links nodes[0..count) into one cycle that visits every line of a group of `group_lines`
// consecutive nodes (a page) in random order before moving to the next group, the groups in
// random order too (google/multichase's page-local chase). A TLB miss then costs once per group
// instead of once per load, which separates TLB cost from DRAM cost.
void link_random_within_groups(ChaseNode* nodes, std::size_t count, std::size_t group_lines, std::uint64_t seed);

// Follows `loads` dependent pointers from `start` and returns where it stopped, which depends on
// every load, so the compiler cannot drop any of them.
const ChaseNode* chase(const ChaseNode* start, std::uint64_t loads);

// A plain walk for tests: the node reached after `steps` hops, no unrolling.
inline const ChaseNode* chase_reference(const ChaseNode* start, std::uint64_t steps) {
  while (steps-- != 0) start = start->next;
  return start;
}

}  // namespace flynn::memory
