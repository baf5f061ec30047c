// How long one load takes from each level of the memory hierarchy: a chase over working sets from
// 4 KiB to past the last-level cache, per page size, and the same chase while other cores stream.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string_view>
#include <thread>

#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "memory/chase.h"
#include "memory/stream.h"
#include "numa/buffers.h"
#include "numa/numa_benchmarks.h"
#include "numa/team.h"

namespace flynn::numa {
namespace {

// Enough loads per iteration (16 us in L1, a few ms in DRAM) that the loop's bookkeeping vanishes.
constexpr std::uint64_t kLoadsPerIteration = 1 << 14;
constexpr std::uint64_t kMaxWarmUpLoads = 1 << 20;
// The smallest working set: one 4 KiB page, well inside every L1.
constexpr std::uint64_t kMinBytes = 4096;
// The streams read in pieces of 64 KiB (microseconds each), checking the chase's phase between them.
constexpr std::size_t kStreamPieceDoubles = (64 << 10) / sizeof(double);

struct ChaseVariant {
  std::string_view name;
  PageKind pages;
  Layout layout;
};

constexpr std::array kChaseVariants = {
    ChaseVariant{"normal_pages", PageKind::normal, Layout::random},
    ChaseVariant{"thp", PageKind::thp, Layout::random},
    ChaseVariant{"hugetlb", PageKind::hugetlb, Layout::random},
    // Normal pages, but each page's lines visited together: the TLB misses once per 64 loads.
    ChaseVariant{"within_pages", PageKind::normal, Layout::within_pages},
    // DRAM latency as google/multichase measures it: one line per 256 B, every one of a 256 KiB
    // group before the next group, so neither page walks nor prefetched neighbours lower or raise it.
    ChaseVariant{"page_groups", PageKind::normal, Layout::page_groups},
};

// 4 KiB doubling up to max_bytes, and max_bytes itself when it is not a power of two.
std::vector<std::uint64_t> sweep(std::uint64_t max_bytes) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t bytes = kMinBytes; bytes <= max_bytes; bytes *= 2) sizes.push_back(bytes);
  if (sizes.back() != max_bytes) sizes.push_back(max_bytes);
  return sizes;
}

}  // namespace

void timed_chase(benchmark::State& state, ChaseBuffer& buffer, std::atomic<ChasePhase>* phase) {
  // A lap over the cycle first brings the working set into the level that can hold it. The lap
  // stops at 1M loads (64 MiB of lines): the walk resumes across calls, so Google Benchmark's
  // sizing calls, whose timings it discards, warm a larger set, and a gigabyte's lap would take
  // seconds of TLB misses on every call.
  const memory::ChaseNode* p = memory::chase(buffer.position, std::min<std::uint64_t>(buffer.nodes, kMaxWarmUpLoads));
  // minor_faults_per_load must be 0: every page was first touched when the buffer was placed.
  perf::ThreadCounters counters;
  if (phase != nullptr) phase->store(ChasePhase::timing);
  counters.start();
  for (auto _ : state) p = memory::chase(p, kLoadsPerIteration);
  const perf::Reading counted = counters.stop();
  if (phase != nullptr) phase->store(ChasePhase::done);
  buffer.position = p;
  state.counters["ns_per_load"] = ns_per_event(kLoadsPerIteration);
  state.counters["cycles_per_load"] = cycles_per_event(kLoadsPerIteration);
  state.counters["bytes"] = static_cast<double>(buffer.region.bytes());
  if (buffer.thp_pct) state.counters["thp_pct"] = *buffer.thp_pct;
  perf::report(state, counted, "load", static_cast<double>(kLoadsPerIteration));
}

namespace {

void chase_latency(benchmark::State& state, const ChaseKey& key) {
  try {
    timed_chase(state, chase_buffer(key));
  } catch (const RegionUnavailable& unavailable) {
    skip(state, unavailable.what());
  }
}

// The first CPU of every core but the first CPU's: streams on SMT siblings of the chasing CPU would
// compete for its core, not for memory.
std::vector<int> one_cpu_per_core(const Topology& topology) {
  std::vector<int> cpus;
  for (int i = 0; i < topology.count(HWLOC_OBJ_CORE); ++i) {
    hwloc_obj_t core = topology.object(HWLOC_OBJ_CORE, i);
    hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(topology.get(), core->cpuset, HWLOC_OBJ_PU, 0);
    if (pu != nullptr) cpus.push_back(static_cast<int>(pu->os_index));
  }
  return cpus;
}

// The chase on cpus[0] while cpus[1..] each read their own slice of another buffer, as MLC's
// loaded-latency mode does.
void loaded_chase(benchmark::State& state, std::uint64_t bytes, const std::vector<int>& cpus) {
  Team team(Topology::machine(), cpus);
  const StreamBuffer& streams = stream_buffer({bytes, Region::kAnyNode, 1, cpus}, team);
  ChaseBuffer& chase = chase_buffer({bytes, PageKind::normal, Layout::random, Region::kAnyNode});
  std::atomic<ChasePhase> phase{ChasePhase::warming};
  std::atomic<std::uint64_t> streamed_bytes{0};
  std::atomic<std::size_t> streaming{0};
  team.run([&](std::size_t member) {
    if (member == 0) {
      // On a busy machine a stream thread may not have run yet: the chase starts under load only.
      while (streaming.load() != team.size() - 1) std::this_thread::yield();
      return timed_chase(state, chase, &phase);
    }
    // Member 0 chases; the streams split the buffer among themselves.
    const Slice slice = Slice::of(streams.per_array, team.size() - 1, member - 1);
    double sum = memory::read_sum(streams.array(0) + slice.begin, std::min(kStreamPieceDoubles, slice.end - slice.begin));
    ++streaming;
    std::uint64_t doubles = 0;
    // The streams load the memory during the warm-up too, but count only the pieces they read
    // while the chase was timed.
    for (std::size_t i = slice.begin; phase.load(std::memory_order_relaxed) != ChasePhase::done;
         i += kStreamPieceDoubles) {
      if (i >= slice.end) i = slice.begin;
      const std::size_t piece = std::min(kStreamPieceDoubles, slice.end - i);
      const bool timed = phase.load(std::memory_order_relaxed) == ChasePhase::timing;
      sum += memory::read_sum(streams.array(0) + i, piece);
      if (timed || phase.load(std::memory_order_relaxed) == ChasePhase::timing) doubles += piece;
    }
    benchmark::DoNotOptimize(sum);
    streamed_bytes += doubles * sizeof(double);
  });
  state.counters["stream_bytes_per_second"] = per_second(static_cast<double>(streamed_bytes.load()));
}

}  // namespace

void register_latency_benchmarks(const Topology& topology, std::uint64_t max_bytes) {
  for (const ChaseVariant& variant : kChaseVariants) {
    for (std::uint64_t bytes : sweep(max_bytes)) {
      const ChaseKey key{bytes, variant.pages, variant.layout, Region::kAnyNode};
      const auto name = BenchmarkName("numa", "chase", variant.name).param("bytes", static_cast<std::int64_t>(bytes));
      benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) { chase_latency(state, key); });
    }
  }
  const std::vector<int> cpus = one_cpu_per_core(topology);
  std::vector<std::size_t> stream_counts;
  for (std::size_t k = 1; k < cpus.size(); k *= 2) stream_counts.push_back(k);
  if (cpus.size() > 1 && stream_counts.back() != cpus.size() - 1) stream_counts.push_back(cpus.size() - 1);
  for (std::size_t streams : stream_counts.empty() ? std::vector<std::size_t>{1} : stream_counts) {
    const auto name = BenchmarkName("numa", "loaded_chase", "normal_pages")
                          .param("bytes", static_cast<std::int64_t>(max_bytes))
                          .param("streams", static_cast<std::int64_t>(streams));
    const std::vector<int> team(cpus.begin(), cpus.begin() + static_cast<std::ptrdiff_t>(std::min(cpus.size(), streams + 1)));
    benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
      if (team.size() < 2) return skip(state, "1 core: no other core to stream from");
      loaded_chase(state, max_bytes, team);
    })->UseRealTime();
  }
}

}  // namespace flynn::numa
