#include "memory/chase.h"

#include <algorithm>
#include <random>
#include <utility>

namespace flynn::memory {
namespace {

// Sattolo's algorithm over the successor pointers of `count` nodes `stride` nodes apart: each
// starts pointing at itself, and swapping successors only with strictly earlier positions yields
// a single cycle through all of them, uniformly chosen among the (count-1)! cycles.
void sattolo(ChaseNode* first, std::size_t count, std::size_t stride, std::mt19937_64& rng) {
  for (std::size_t i = 0; i < count; ++i) first[i * stride].next = &first[i * stride];
  for (std::size_t i = count; i-- > 1;) {
    const std::size_t j = std::uniform_int_distribution<std::size_t>(0, i - 1)(rng);
    std::swap(first[i * stride].next, first[j * stride].next);
  }
}

}  // namespace

void link_random_cycle(ChaseNode* nodes, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  sattolo(nodes, count, 1, rng);
}

void link_random_within_groups(ChaseNode* nodes, std::size_t count, std::size_t group_lines, std::size_t stride_lines,
                               std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::size_t groups = (count + group_lines - 1) / group_lines;
  // First a cycle over the groups' first nodes; then each group becomes a random cycle of its own
  // strided nodes, cut just before its first node and spliced to the next group's first node.
  sattolo(nodes, groups, group_lines, rng);
  for (std::size_t g = 0; g < groups; ++g) {
    ChaseNode* head = nodes + g * group_lines;
    const ChaseNode* next_group = head->next;
    sattolo(head, strided_nodes(std::min(group_lines, count - g * group_lines), stride_lines), stride_lines, rng);
    ChaseNode* last = head;
    while (last->next != head) last = const_cast<ChaseNode*>(last->next);
    last->next = next_group;
  }
}

const ChaseNode* chase(const ChaseNode* start, std::uint64_t loads) {
  const ChaseNode* p = start;
  // Unrolled so the loop's own increment and branch stay out of the way of the load chain.
  for (; loads >= 8; loads -= 8) {
    p = p->next; p = p->next; p = p->next; p = p->next;
    p = p->next; p = p->next; p = p->next; p = p->next;
  }
  while (loads-- != 0) p = p->next;
  return p;
}

}  // namespace flynn::memory
