// Cache-line hand-off latency between two CPUs: one word advanced in turn by a thread on each.
// On a multi-socket or chiplet machine the matrix of all pairs shows the topology.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "sync/handoff.h"
#include "sync/sync_benchmarks.h"

namespace flynn::sync {
namespace {

// 4096 round trips are about a millisecond at 100 ns per hand-off: long enough to dwarf the
// loop's start, short enough for Google Benchmark to pick the iteration count.
constexpr std::uint64_t kRounds = 4096;

void line_handoff(benchmark::State& state, int cpu_a, int cpu_b) {
  const Topology& topology = Topology::machine();
  const ScopedBinding binding(topology, cpu_a);
  BouncedLine line;
  std::atomic<bool> stop{false};
  std::atomic<bool> partner_failed{false};
  // The partner's thread id, set once it is bound (0 until then), for its own counters.
  std::atomic<pid_t> partner_id{0};
  std::thread partner([&] {
    try {
      bind_current_thread(topology, cpu_b);
    } catch (const std::exception&) {
      partner_failed.store(true);
      return;
    }
    partner_id.store(gettid());
    bounce(line, 1, std::numeric_limits<std::uint64_t>::max(), stop);
  });
  while (partner_id.load() == 0 && !partner_failed.load()) std::this_thread::yield();
  // Both sides' groups, by thread id: the two spin on their own CPUs, so there is no switch for
  // a per-thread group to slow down. Both are bound: cpu_migrations_per_handoff is 0.
  std::vector<pid_t> sides = {gettid()};
  if (!partner_failed.load()) sides.push_back(partner_id.load());
  perf::TeamCounters counters(sides);
  counters.start();
  bool failed = false;
  for (auto _ : state) {
    // Returns 0 only when the partner could not start: its side never moves the word.
    const std::uint64_t last = bounce(line, 0, kRounds, partner_failed);
    benchmark::DoNotOptimize(last);
    if (last == 0) {
      failed = true;
      break;
    }
  }
  const perf::Reading counted = counters.stop();
  stop.store(true);
  partner.join();
  if (failed) {
    state.SkipWithError(("cannot bind the partner to CPU " + std::to_string(cpu_b)).c_str());
    return;
  }
  // Each round is two hand-offs: the line comes to this core and goes back to the partner's.
  state.counters["ns_per_handoff"] = ns_per_event(2.0 * kRounds);
  // A cache line handed between two spinning CPUs: context_switches_per_handoff about 0.
  perf::report(state, counted, "handoff", 2.0 * kRounds);
}

}  // namespace

void register_handoff_benchmarks(const std::vector<int>& cpus) {
  // The bounce is symmetric (each side waits for the other), so (b, a) would repeat (a, b);
  // a == b has no hand-off at all. The plot mirrors the upper triangle.
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    for (std::size_t j = i + 1; j < cpus.size(); ++j) {
      const int a = cpus[i];
      const int b = cpus[j];
      const auto name = BenchmarkName("sync", "line_handoff", "cas").param("cpu_a", a).param("cpu_b", b);
      benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
        line_handoff(state, a, b);
      })->UseRealTime();
    }
  }
}

}  // namespace flynn::sync
