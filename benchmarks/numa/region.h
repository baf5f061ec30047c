// Memory for the memory benchmarks: anonymous mappings with a chosen page size, optionally bound
// to one NUMA node before anything touches them, and the kernel's own account afterwards of
// where the pages went and how many became huge pages.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>

namespace flynn::numa {

enum class PageKind { normal, thp, hugetlb };

// The system cannot provide the pages asked for (no hugetlb pages reserved, ...): a reason to
// skip, not a failure.
struct RegionUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Region {
 public:
  static constexpr int kAnyNode = -1;

  // Maps `bytes` (> 0) without touching them. normal: madvise(NOHUGEPAGE), so THP's "always" mode
  // cannot blur the baseline; thp: 2 MiB aligned and madvise(HUGEPAGE); hugetlb: MAP_HUGETLB,
  // throwing RegionUnavailable when the pool is empty. node >= 0 binds the pages there (mbind).
  Region(std::size_t bytes, PageKind pages, int node = kAnyNode);
  Region(Region&& other) noexcept;
  ~Region();
  Region& operator=(Region&&) = delete;

  std::byte* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

struct PageCount {
  std::size_t pages = 0;
  std::size_t on_node = 0;
  double percent() const { return pages == 0 ? 0.0 : 100.0 * static_cast<double>(on_node) / static_cast<double>(pages); }
};

// Asks the kernel where every base page of [data, data + bytes) lives (move_pages with no target).
// A page never touched has no node and counts as not on `node`.
PageCount count_pages_on_node(const void* data, std::size_t bytes, int node);

// Share of the region backed by transparent huge pages, from /proc/self/smaps (AnonHugePages of
// the region's own mapping, which the guard pages around it keep from merging with others);
// nothing when smaps cannot be read.
std::optional<double> thp_percent(const Region& region);

}  // namespace flynn::numa
