#include "numa/buffers.h"

#include <algorithm>
#include <new>

namespace flynn::numa {
namespace {

// One page of 4 KiB holds 64 lines: the group the page-local chase stays in.
constexpr std::size_t kLinesPerPage = 4096 / memory::kLineBytes;
// google/multichase's defaults, for the same reasons: a 256 B stride skips the adjacent-line
// prefetcher's 128 B pairs and the next-line prefetcher's neighbour, and 256 KiB (64 pages) is
// what an L1 DTLB of 64 entries covers, so a group pays its TLB misses once, not once per load.
constexpr std::size_t kGroupStrideLines = 256 / memory::kLineBytes;
constexpr std::size_t kTlbGroupLines = (256 << 10) / memory::kLineBytes;
constexpr std::uint64_t kSeed = 0x5eed;

std::optional<PageCount> placement_of(const Region& region, int node) {
  if (node == Region::kAnyNode) return std::nullopt;
  return count_pages_on_node(region.data(), region.bytes(), node);
}

}  // namespace

ChaseBuffer& chase_buffer(const ChaseKey& key) {
  static LastBuilt<ChaseKey, ChaseBuffer> last;
  return last.get(key, [&] {
    Region region(key.bytes, key.pages, key.node);
    const std::size_t count = key.bytes / memory::kLineBytes;
    auto* nodes = new (region.data()) memory::ChaseNode[count];
    std::size_t cycle = count;
    switch (key.layout) {
      case Layout::random:
        memory::link_random_cycle(nodes, count, kSeed);
        break;
      case Layout::within_pages:
        memory::link_random_within_groups(nodes, count, kLinesPerPage, 1, kSeed);
        break;
      case Layout::page_groups:
        memory::link_random_within_groups(nodes, count, kTlbGroupLines, kGroupStrideLines, kSeed);
        cycle = memory::strided_nodes(count, kGroupStrideLines);
        break;
    }
    std::optional<PageCount> placement = placement_of(region, key.node);
    std::optional<double> thp = key.pages == PageKind::hugetlb ? std::nullopt : thp_percent(region);
    return std::unique_ptr<ChaseBuffer>(new ChaseBuffer{std::move(region), cycle, placement, thp, nodes});
  });
}

const StreamBuffer& stream_buffer(const StreamKey& key, Team& team) {
  static LastBuilt<StreamKey, StreamBuffer> last;
  return last.get(key, [&] {
    auto buffer = std::unique_ptr<StreamBuffer>(new StreamBuffer{
        Region(key.bytes, PageKind::normal, key.node), std::nullopt, key.bytes / sizeof(double) / key.arrays});
    team.run([&](std::size_t member) {
      const Slice slice = Slice::of(buffer->per_array, team.size(), member);
      for (std::size_t a = 0; a < key.arrays; ++a) std::fill(buffer->array(a) + slice.begin, buffer->array(a) + slice.end, 1.0);
    });
    buffer->placement = placement_of(buffer->region, key.node);
    return buffer;
  });
}

}  // namespace flynn::numa
