// N pinned threads increment one counter a fixed number of times each, with every strategy of
// kernels/sync/counter.h: what exactness costs, and what the race loses.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>

#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "sync/counter.h"
#include "sync/sync_benchmarks.h"
#include "sync/team.h"

namespace flynn::sync {
namespace {

void counter(benchmark::State& state, const StrategyTraits& traits, int threads, std::uint64_t increments,
             const std::vector<int>& cpus) {
  const Topology& topology = Topology::machine();
  const auto shared = std::make_unique<SharedCounter>();
  const auto size = static_cast<std::size_t>(threads);
  std::vector<PackedLine> packed((size + PackedLine::kSlots - 1) / PackedLine::kSlots);
  std::vector<PaddedSlot> padded(size);
  auto slot = [&](std::size_t i) -> std::atomic<std::uint64_t>& {
    if (traits.strategy == Strategy::packed_slots) return packed[i / PackedLine::kSlots].slots[i % PackedLine::kSlots];
    return padded[i].value;
  };
  std::vector<std::uint64_t> seen(size);
  std::vector<pid_t> member_ids(size);
  Team team(
      threads,
      [&](int i) {
        bind_current_thread(topology, cpus[static_cast<std::size_t>(i) % cpus.size()]);
        member_ids[static_cast<std::size_t>(i)] = gettid();
      },
      [&](int i) {
        const auto member = static_cast<std::size_t>(i);
        seen[member] += increment(traits.strategy, *shared, slot(member), increments);
      });

  std::uint64_t expected = 0;
  std::uint64_t observed = 0;
  // The members' own groups, by thread id (the coordinator only waits in the barrier): the
  // switches a lock's sleeps cost per increment, and no migration, each member being bound.
  perf::TeamCounters counters(member_ids);
  counters.start();
  for (auto _ : state) {
    shared->value.store(0, std::memory_order_relaxed);
    for (std::size_t i = 0; i < size; ++i) slot(i).store(0, std::memory_order_relaxed);
    team.run();
    expected += expected_total(size, increments);
    if (traits.per_thread) {
      for (std::size_t i = 0; i < size; ++i) observed += slot(i).load(std::memory_order_relaxed);
    } else {
      observed += shared->value.load(std::memory_order_relaxed);
    }
  }
  const perf::Reading counted = counters.stop();
  benchmark::DoNotOptimize(seen.data());
  if (const std::string error = team.error(); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  // The race may lose updates but can never invent one: each store writes 1 + a value that
  // was already in the counter. A safe strategy must be exact.
  if (observed > expected || (traits.exact && observed != expected)) {
    const std::string message = std::string(traits.token) + ": counted " + std::to_string(observed) + " of " +
                                std::to_string(expected) + " increments";
    state.SkipWithError(message.c_str());
    return;
  }
  state.counters["sync_threads"] = threads;
  state.counters["increments_per_thread"] = static_cast<double>(increments);
  state.counters["ns_per_increment"] = ns_per_event(static_cast<double>(expected_total(size, increments)));
  state.counters["lost_updates_pct"] =
      expected == 0 ? 0.0 : 100.0 * static_cast<double>(expected - observed) / static_cast<double>(expected);
  perf::report(state, counted, "increment", static_cast<double>(expected_total(size, increments)));
}

}  // namespace

void register_counter_benchmarks(const Topology& topology, std::uint64_t increments_per_thread) {
  const std::vector<int> cpus = spread_cpus(topology);
  for (const StrategyTraits& traits : kStrategies) {
    for (int threads : counter_thread_counts(static_cast<int>(cpus.size()))) {
      const auto name =
          BenchmarkName("sync", "counter", traits.token).param("threads", threads).param("placement", "spread");
      benchmark::RegisterBenchmark(name.str().c_str(), [=, &traits](benchmark::State& state) {
        counter(state, traits, threads, increments_per_thread, cpus);
      })->UseRealTime();
    }
  }
}

}  // namespace flynn::sync
