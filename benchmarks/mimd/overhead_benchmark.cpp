// The fixed cost of each OpenMP construct per thread count, by EPCC syncbench's method.
#include <benchmark/benchmark.h>

#include "harness/names.h"
#include "harness/perf_counters.h"
#include "mimd/constructs.h"
#include "mimd/epcc.h"
#include "mimd/mimd_benchmarks.h"
#include "mimd/threads.h"

namespace flynn::mimd {
namespace {

// syncbench's defaults: a delay of about 0.1 us inside each construct, and enough constructs
// per timing (here 512) that the timer's resolution is irrelevant.
constexpr std::uint64_t kDelaySteps = 64;
constexpr int kConstructsPerTiming = 512;

// How many construct bodies run_construct() reports: one per thread and construct, one per
// construct for those a single thread executes (single, critical, lock, atomic), EPCC's sharing.
std::uint64_t expected_count(Construct construct, int threads) {
  switch (construct) {
    case Construct::single: return kConstructsPerTiming;
    case Construct::critical:
    case Construct::lock:
    case Construct::atomic: return static_cast<std::uint64_t>(kConstructsPerTiming / threads * threads);
    default: return static_cast<std::uint64_t>(kConstructsPerTiming) * static_cast<std::uint64_t>(threads);
  }
}

// The parallel regions one run_construct() opens: one per construct where the construct is the
// region itself, else one around all of them.
int regions_per_timing(Construct construct) {
  switch (construct) {
    case Construct::parallel:
    case Construct::parallel_for:
    case Construct::reduction: return kConstructsPerTiming;
    default: return 1;
  }
}

void overhead(benchmark::State& state, Construct construct, int threads) {
  if (!report_threads(state, threads)) return;
  OverheadSample total;
  std::uint64_t wrong_counts = 0;
  // One group per team member (the master among them, which also runs the reference loop).
  perf::TeamCounters counters(team_thread_ids(threads));
  counters.start();
  for (auto _ : state) {
    total += time_overhead(
        kConstructsPerTiming,
        [&] { wrong_counts += run_construct(construct, threads, kConstructsPerTiming, kDelaySteps) != expected_count(construct, threads); },
        [&] { benchmark::DoNotOptimize(run_reference(construct, kConstructsPerTiming, kDelaySteps)); });
  }
  const perf::Reading counted = counters.stop();
  if (wrong_counts != 0) return state.SkipWithError("a construct ran its body the wrong number of times");
  state.counters["overhead_us"] = total.overhead_us();
  state.counters["reference_us"] = total.reference_us();
  // Per construct, the unit of overhead_us (each iteration times kConstructsPerTiming of them and
  // as many reference delays); the migrations also per parallel region, the proof the trust
  // reading checks: 0 in a bound team.
  perf::report(state, counted, "construct", kConstructsPerTiming);
  if (counted.has(perf::Event::cpu_migrations) && state.iterations() > 0) {
    state.counters["cpu_migrations_per_region"] =
        counted[perf::Event::cpu_migrations] /
        (static_cast<double>(state.iterations()) * regions_per_timing(construct));
  }
}

}  // namespace

void register_overhead_benchmarks(const std::vector<int>& thread_counts) {
  for (int threads : thread_counts) {
    for (const ConstructInfo& info : kConstructs) {
      const auto name = BenchmarkName("mimd", "overhead", info.token).param("threads", threads);
      const Construct construct = info.construct;
      benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& s) { overhead(s, construct, threads); })
          ->UseRealTime();
    }
  }
}

}  // namespace flynn::mimd
