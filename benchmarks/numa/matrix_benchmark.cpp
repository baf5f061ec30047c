// The NUMA matrix: for every (CPU node, memory node) pair, the chase's latency and the read and
// triad bandwidth of all the CPU node's CPUs, with the memory's placement verified after first
// touch, so a figure labelled remote is remote.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

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

// Below this share of pages on the asked-for node the figure describes a mix of nodes: an error.
constexpr double kMinPagesOnNodePct = 99.0;

// Reports where the pages are; false (and an error) when too few are on the asked-for node.
bool placement_verified(benchmark::State& state, const std::optional<PageCount>& placement, int node) {
  const double pct = placement->percent();
  state.counters["pages_on_node_pct"] = pct;
  if (pct >= kMinPagesOnNodePct) return true;
  char message[96];
  std::snprintf(message, sizeof message, "placement failed: only %.1f%% of pages on node %d", pct, node);
  state.SkipWithError(message);
  return false;
}

void matrix_latency(benchmark::State& state, const NodePair& pair, std::uint64_t bytes) {
  if (!pair.skip_reason.empty()) return skip(state, pair.skip_reason);
  const ScopedBinding binding(Topology::machine(), pair.cpus.front());
  ChaseBuffer& buffer = chase_buffer({bytes, PageKind::normal, Layout::random, pair.mem_node});
  if (!placement_verified(state, buffer.placement, pair.mem_node)) return;
  // timed_chase opens the counters around its loop: minor_faults_per_load 0, llc_misses_per_load.
  timed_chase(state, buffer);
}

struct BandwidthKernel {
  std::string_view name;
  memory::StreamTraits traits;
  // One member's share [begin, end) of every array.
  double (*run)(const StreamBuffer& buffer, Slice slice);
};

constexpr std::array kBandwidthKernels = {
    BandwidthKernel{"read", memory::kReadTraits,
                    [](const StreamBuffer& b, Slice s) { return memory::read_sum(b.array(0) + s.begin, s.end - s.begin); }},
    BandwidthKernel{"triad", memory::kTriadTraits,
                    [](const StreamBuffer& b, Slice s) {
                      memory::triad(b.array(0) + s.begin, b.array(1) + s.begin, b.array(2) + s.begin, 3.0,
                                    s.end - s.begin);
                      return b.array(0)[s.begin];
                    }},
};

void matrix_bandwidth(benchmark::State& state, const BandwidthKernel& kernel, const NodePair& pair,
                      std::uint64_t bytes) {
  if (!pair.skip_reason.empty()) return skip(state, pair.skip_reason);
  Team team(Topology::machine(), pair.cpus);
  const StreamBuffer& buffer = stream_buffer({bytes, pair.mem_node, kernel.traits.arrays, pair.cpus}, team);
  if (!placement_verified(state, buffer.placement, pair.mem_node)) return;
  std::vector<double> results(team.size());
  // One group per member, opened by thread id (each says its own, outside the timed loop).
  std::vector<pid_t> member_ids(team.size());
  team.run([&](std::size_t member) { member_ids[member] = gettid(); });
  perf::TeamCounters counters(member_ids);
  counters.start();
  for (auto _ : state) {
    team.run([&](std::size_t member) { results[member] += kernel.run(buffer, Slice::of(buffer.per_array, team.size(), member)); });
  }
  const perf::Reading counted = counters.stop();
  benchmark::DoNotOptimize(results.data());
  const auto bytes_per_iteration = static_cast<double>(buffer.per_array * kernel.traits.bytes_per_element());
  state.counters["threads"] = static_cast<double>(team.size());
  state.counters["bytes_per_second"] = per_second_per_iteration(bytes_per_iteration);
  // Per byte moved, the figure's unit: minor_faults_per_byte is 0, every page was first touched
  // when the buffer was placed; a member bound to one CPU never migrates.
  perf::report(state, counted, "byte", bytes_per_iteration);
}

}  // namespace

void register_matrix_benchmarks(const Topology&, const std::vector<NodePair>& pairs, std::uint64_t bytes) {
  const auto name = [](std::string_view kernel, std::string_view variant, const NodePair& pair) {
    return BenchmarkName("numa", kernel, variant).param("cpu_node", pair.cpu_node).param("mem_node", pair.mem_node).str();
  };
  for (const NodePair& pair : pairs) {
    benchmark::RegisterBenchmark(name("matrix_latency", "chase", pair).c_str(), [=](benchmark::State& state) {
      matrix_latency(state, pair, bytes);
    });
  }
  for (const BandwidthKernel& kernel : kBandwidthKernels) {
    for (const NodePair& pair : pairs) {
      benchmark::RegisterBenchmark(name("matrix_bandwidth", kernel.name, pair).c_str(), [=](benchmark::State& state) {
        matrix_bandwidth(state, kernel, pair, bytes);
      })->UseRealTime();
    }
  }
}

}  // namespace flynn::numa
