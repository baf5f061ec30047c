// An imbalanced loop under each OpenMP schedule: time, and load imbalance as max/mean of the
// threads' busy time (1 = perfectly balanced).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <string_view>
#include <vector>

#include "harness/names.h"
#include "harness/perf_counters.h"
#include "mimd/imbalanced.h"
#include "mimd/mimd_benchmarks.h"
#include "mimd/threads.h"

namespace flynn::mimd {
namespace {

// 4096 iterations of about 2000 steps (a few microseconds) each: tens of ms per loop, fine
// enough that dynamic scheduling can balance it and coarse enough that its bookkeeping shows.
constexpr std::size_t kIterations = 4096;
constexpr std::uint32_t kMeanSteps = 2000;
constexpr std::uint64_t kRandomSeed = 20261125;

struct Schedule {
  std::string_view token;
  omp_sched_t kind;
  std::array<int, 3> chunks;  // 0: the kind's default (static: one block per thread)
};

constexpr std::array<Schedule, 3> kSchedules = {{
    {"static", omp_sched_static, {0, 1, 64}},
    {"dynamic", omp_sched_dynamic, {1, 16, 64}},
    {"guided", omp_sched_guided, {1, 16, 64}},
}};

struct Cost {
  std::string_view token;
  std::vector<std::uint32_t> (*make)();
};

constexpr std::array<Cost, 2> kCosts = {{
    {"triangular", [] { return triangular_cost(kIterations, kMeanSteps); }},
    {"random", [] { return random_cost(kIterations, kMeanSteps, kRandomSeed); }},
}};

void imbalanced(benchmark::State& state, const Schedule& schedule, int chunk, const Cost& cost, int threads) {
  if (!report_threads(state, threads)) return;
  const std::vector<std::uint32_t> costs = cost.make();
  omp_set_schedule(schedule.kind, chunk);
  std::vector<double> busy(static_cast<std::size_t>(threads), 0.0);
  // One group per team member, as the scaling benchmarks count theirs.
  perf::TeamCounters counters(team_thread_ids(threads));
  counters.start();
  for (auto _ : state) {
    const double start = omp_get_wtime();
    benchmark::DoNotOptimize(imbalanced_loop(costs, threads, [&](int t) {
      busy[static_cast<std::size_t>(t)] += omp_get_wtime() - start;
    }));
  }
  // Every iteration is one parallel region: cpu_migrations_per_region is 0 in a bound team.
  perf::report(state, counters.stop(), "region", 1);
  const double mean = std::accumulate(busy.begin(), busy.end(), 0.0) / threads;
  state.counters["load_imbalance"] = *std::max_element(busy.begin(), busy.end()) / mean;
}

}  // namespace

void register_schedule_benchmarks(const std::vector<int>& thread_counts) {
  for (int threads : thread_counts) {
    if (threads == 1) continue;  // one thread is balanced by definition
    for (const Cost& cost : kCosts) {
      for (const Schedule& schedule : kSchedules) {
        for (int chunk : schedule.chunks) {
          const auto name = BenchmarkName("mimd", "schedule", schedule.token)
                                .param("cost", cost.token)
                                .param("chunk", chunk)
                                .param("threads", threads);
          benchmark::RegisterBenchmark(name.str().c_str(), [=, &schedule, &cost](benchmark::State& s) {
            imbalanced(s, schedule, chunk, cost, threads);
          })->UseRealTime();
        }
      }
    }
  }
}

}  // namespace flynn::mimd
