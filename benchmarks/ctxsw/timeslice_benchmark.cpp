// Time-slicing: K busy threads that never block share one CPU, so every switch they see is a
// preemption, and the scheduler's slice follows from how often that happens.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cstdint>
#include <latch>
#include <thread>
#include <vector>

#include "common/spin.h"
#include "ctxsw/ctxsw_benchmarks.h"
#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "harness/switch_counts.h"

namespace flynn::ctxsw {
namespace {

// A work unit is 1024 dependent xorshift steps (a few microseconds); 8192 units are 10-30 ms
// per thread and iteration on current CPUs: several scheduler slices (a few ms each), so
// preemption shows even with one iteration.
constexpr std::uint64_t kStepsPerUnit = 1024;
constexpr std::uint64_t kUnitsPerIteration = 8192;

void timeslice(benchmark::State& state, int threads) {
  const Topology& topology = Topology::machine();
  const std::vector<int> cpus = topology.cpus();
  const int busy_cpu = cpus.front();
  // The coordinator sleeps in the barrier on another CPU where there is one, so it takes no slice.
  const ScopedBinding binding(topology, cpus.size() > 1 ? cpus[1] : busy_cpu);

  std::barrier sync(threads + 1);
  std::atomic<bool> stop{false};
  std::vector<SwitchCounts> during_work(static_cast<std::size_t>(threads));
  std::vector<std::uint64_t> results(static_cast<std::size_t>(threads));
  // Each worker is bound and has said its thread id before the counters open.
  std::vector<pid_t> worker_ids(static_cast<std::size_t>(threads));
  std::latch bound(threads);
  std::vector<std::thread> workers;
  for (std::size_t i = 0; i < during_work.size(); ++i) {
    workers.emplace_back([&, i] {
      bind_current_thread(topology, busy_cpu);
      worker_ids[i] = gettid();
      bound.count_down();
      for (;;) {
        sync.arrive_and_wait();
        if (stop.load()) return;
        const SwitchCounts before = SwitchCounts::of_this_thread();
        results[i] += spin(i + 1, kUnitsPerIteration * kStepsPerUnit);
        during_work[i] = during_work[i] + (SwitchCounts::of_this_thread() - before);
        sync.arrive_and_wait();
      }
    });
  }
  bound.wait();
  // The workers' own groups, one per thread (the coordinator, asleep in the barrier on another
  // CPU, is not counted). A preemption every few ms makes the per-thread groups' swap at each
  // switch negligible. Read at the loop's ends only.
  perf::TeamCounters counters(worker_ids);
  counters.start();
  for (auto _ : state) {
    sync.arrive_and_wait();  // start
    sync.arrive_and_wait();  // every worker finished its units
  }
  const perf::Reading counted = counters.stop();
  stop.store(true);
  sync.arrive_and_wait();
  for (auto& worker : workers) worker.join();

  std::int64_t preemptions = 0;
  for (const SwitchCounts& counts : during_work) preemptions += counts.involuntary;
  benchmark::DoNotOptimize(results.data());
  state.counters["busy_threads"] = threads;
  state.counters["work_units_per_second_per_thread"] = per_second_per_iteration(kUnitsPerIteration);
  state.counters["involuntary_switches_per_second"] = per_second(static_cast<double>(preemptions));
  // The one CPU is busy for the whole run, so run time / preemptions is the mean slice; with no
  // preemption there is no slice to report.
  if (preemptions > 0) state.counters["mean_time_slice_ns"] = ns_per_total_event(static_cast<double>(preemptions));
  // Per work unit, the benchmark's unit. The kernel's switch count covers the whole loop: every
  // preemption getrusage saw during the work, and the workers' sleeps in the barrier besides; a
  // worker bound to one CPU never migrates (cpu_migrations_per_work_unit 0), and task_clock_ns
  // per unit stays about constant while each thread's share of the CPU falls as 1/threads.
  perf::report(state, counted, "work_unit", static_cast<double>(kUnitsPerIteration) * threads);
}

}  // namespace

void register_timeslice_benchmarks(const Topology&) {
  for (int threads : {1, 2, 4, 8, 16}) {
    const auto name = BenchmarkName("ctxsw", "timeslice", "busy").param("threads", threads);
    benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
      timeslice(state, threads);
    })->UseRealTime();
  }
}

}  // namespace flynn::ctxsw
