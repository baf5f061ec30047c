#include "numa/buffers.h"

#include <algorithm>
#include <new>

namespace flynn::numa {
namespace {

// One page of 4 KiB holds 64 lines: the group the page-local chase stays in.
constexpr std::size_t kLinesPerPage = 4096 / memory::kLineBytes;
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
    if (key.layout == Layout::random) {
      memory::link_random_cycle(nodes, count, kSeed);
    } else {
      memory::link_random_within_groups(nodes, count, kLinesPerPage, kSeed);
    }
    std::optional<PageCount> placement = placement_of(region, key.node);
    std::optional<double> thp = key.pages == PageKind::hugetlb ? std::nullopt : thp_percent(region);
    return std::unique_ptr<ChaseBuffer>(new ChaseBuffer{std::move(region), count, placement, thp, nodes});
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
