// The buffers the memory benchmarks measure, built outside the timed loop and kept while the same
// benchmark asks again: Google Benchmark calls a benchmark function several times (to size its
// iteration count, and per repetition), and a gigabyte must not be rebuilt for each call.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "memory/chase.h"
#include "numa/region.h"
#include "numa/team.h"

namespace flynn::numa {

// Keeps the last value built and returns it again for the same key; a new key frees the old value
// before building the new one, so at most one of each kind of buffer is alive.
template <class Key, class Value>
class LastBuilt {
 public:
  template <class Make>
  Value& get(const Key& key, Make make) {
    if (value_ == nullptr || !(key_ == key)) {
      value_.reset();
      value_ = make();
      key_ = key;
    }
    return *value_;
  }

 private:
  Key key_{};
  std::unique_ptr<Value> value_;
};

// The order of the chase (memory/chase.h): random over every line; every line of a 4 KiB page
// before the next page; or one line per 256 B of a 256 KiB group before the next group.
enum class Layout { random, within_pages, page_groups };

struct ChaseKey {
  std::size_t bytes = 0;
  PageKind pages = PageKind::normal;
  Layout layout = Layout::random;
  int node = Region::kAnyNode;
  bool operator==(const ChaseKey&) const = default;
};

struct ChaseBuffer {
  Region region;
  std::size_t nodes;  // in the cycle: one lap is this many loads
  std::optional<PageCount> placement;  // where the pages went, when the key names a node
  std::optional<double> thp_pct;       // not for hugetlb, which is huge by construction
  // Where the last walk stopped: the next one continues from there, so its loads go to the lines
  // visited longest ago, as in one long walk, instead of again to those the last call just cached.
  const memory::ChaseNode* position;
};

// The chase buffer for `key`, linked (and so first touched) by the calling thread. Throws
// RegionUnavailable when the system lacks the pages.
ChaseBuffer& chase_buffer(const ChaseKey& key);

struct StreamKey {
  std::size_t bytes = 0;
  int node = Region::kAnyNode;
  std::size_t arrays = 1;  // equal arrays the kernel walks, each split evenly over the team
  std::vector<int> cpus;   // the team that first touches it, with the split its kernel uses
  bool operator==(const StreamKey&) const = default;
};

struct StreamBuffer {
  Region region;
  std::optional<PageCount> placement;
  std::size_t per_array;
  // Array `a` of the key's arrays.
  double* array(std::size_t a) const { return reinterpret_cast<double*>(region.data()) + a * per_array; }
};

// `key.bytes` of doubles, first touched by `team` (whose CPUs are key.cpus) with the split the
// kernels use, so first touch places every page where its reader runs (as STREAM does).
const StreamBuffer& stream_buffer(const StreamKey& key, Team& team);

}  // namespace flynn::numa
