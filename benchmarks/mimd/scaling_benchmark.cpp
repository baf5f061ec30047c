// Strong scaling (fixed total work) and weak scaling (fixed work per thread) of a compute-bound,
// four memory-bound (STREAM) and one mixed kernel, with the threads' binding verified.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "mimd/compute.h"
#include "mimd/mimd_benchmarks.h"
#include "mimd/stream.h"
#include "mimd/threads.h"

namespace flynn::mimd {
namespace {

enum class Scaling { strong, weak };

// The compute kernel's array per core: 32 Ki floats (128 KiB) stay in each core's L2, so the
// kernel is bound by arithmetic, not memory. Eight passes per region make fork/join negligible.
constexpr std::size_t kComputeElementsPerCore = 32 << 10;
constexpr int kComputePasses = 8;

// STREAM's arrays, mapped fresh and first-touched by the thread count that will use them.
class StreamBuffers {
 public:
  StreamBuffers(std::size_t n, int threads) : n_(n), threads_(threads), bytes_(3 * n * sizeof(double)) {
    memory_ = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory_ == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap STREAM arrays");
    auto* base = static_cast<double*>(memory_);
    arrays_ = {base, base + n, base + 2 * n, n};
    stream_first_touch(arrays_, threads);
  }
  ~StreamBuffers() { munmap(memory_, bytes_); }
  StreamBuffers(const StreamBuffers&) = delete;
  StreamBuffers& operator=(const StreamBuffers&) = delete;

  bool fits(std::size_t n, int threads) const { return n == n_ && threads == threads_; }
  const StreamArrays& arrays() const { return arrays_; }

 private:
  std::size_t n_;
  int threads_;
  std::size_t bytes_;
  void* memory_ = nullptr;
  StreamArrays arrays_{};
};

// Consecutive benchmarks with the same size and thread count share one set of arrays; first
// touch (hundreds of ms at DRAM sizes) happens once per set, never inside a timed loop.
const StreamArrays& stream_arrays(std::size_t n, int threads) {
  static std::unique_ptr<StreamBuffers> cached;
  if (!cached || !cached->fits(n, threads)) {
    cached.reset();
    cached = std::make_unique<StreamBuffers>(n, threads);
  }
  return cached->arrays();
}

struct Work {
  double flops = 0;
  double bytes = 0;
};

void report_rates(benchmark::State& state, Work per_iteration) {
  state.counters["flops_per_second"] = per_second_per_iteration(per_iteration.flops);
  if (per_iteration.bytes > 0) state.counters["bytes_per_second"] = per_second_per_iteration(per_iteration.bytes);
}

// Every iteration is one parallel region: cpu_migrations_per_region is 0 in a team bound one
// thread per single-PU place, and ipc (where a PMU counts) is the compute kernel's per thread count.
void report_team(benchmark::State& state, const perf::Reading& counted) { perf::report(state, counted, "region", 1); }

void compute(benchmark::State& state, std::size_t n, int threads) {
  if (!report_threads(state, threads)) return;
  const std::vector<float> x(n, 0.5f);
  perf::TeamCounters counters(team_thread_ids(threads));
  counters.start();
  for (auto _ : state) benchmark::DoNotOptimize(parallel_poly(x.data(), n, kComputePasses, threads));
  report_team(state, counters.stop());
  report_rates(state, {compute_flops_per_element() * static_cast<double>(n) * kComputePasses, 0});
}

void stream_op(benchmark::State& state, const StreamTraits& traits, std::size_t n, int threads) {
  if (!report_threads(state, threads)) return;
  const StreamArrays& arrays = stream_arrays(n, threads);
  perf::TeamCounters counters(team_thread_ids(threads));
  counters.start();
  for (auto _ : state) {
    stream(traits.op, arrays, 3.0, threads);
    benchmark::ClobberMemory();
  }
  report_team(state, counters.stop());
  const auto elements = static_cast<double>(n);
  report_rates(state, {traits.flops_per_element * elements, traits.bytes_per_element * elements});
}

void mixed_op(benchmark::State& state, std::size_t n, int threads) {
  if (!report_threads(state, threads)) return;
  const StreamArrays& arrays = stream_arrays(n, threads);
  perf::TeamCounters counters(team_thread_ids(threads));
  counters.start();
  for (auto _ : state) {
    mixed(arrays, threads);
    benchmark::ClobberMemory();
  }
  report_team(state, counters.stop());
  const auto elements = static_cast<double>(n);
  report_rates(state, {kMixedFlopsPerElement * elements, kMixedBytesPerElement * elements});
}

void add(std::string_view kernel, Scaling scaling, int threads, auto run) {
  const auto name = BenchmarkName("mimd", kernel, scaling == Scaling::strong ? "strong" : "weak").param("threads", threads);
  benchmark::RegisterBenchmark(name.str().c_str(), run)->UseRealTime();
}

}  // namespace

void register_scaling_benchmarks(const Topology& topology, const std::vector<int>& thread_counts,
                                 std::uint64_t stream_array_bytes) {
  const auto cores = static_cast<std::size_t>(std::max(1, topology.count(HWLOC_OBJ_CORE)));
  const std::size_t stream_elements = stream_array_bytes / sizeof(double);
  for (Scaling scaling : {Scaling::strong, Scaling::weak}) {
    for (int threads : thread_counts) {
      // Strong: the whole machine's problem at every count. Weak: one core's share per thread.
      const std::size_t share = scaling == Scaling::strong ? cores : static_cast<std::size_t>(threads);
      const std::size_t compute_n = kComputeElementsPerCore * share;
      const std::size_t stream_n = stream_elements / cores * share;
      add("compute", scaling, threads, [=](benchmark::State& s) { compute(s, compute_n, threads); });
      for (const StreamTraits& traits : kStreamOps) {
        add(traits.token, scaling, threads, [=](benchmark::State& s) { stream_op(s, traits, stream_n, threads); });
      }
      add("mixed", scaling, threads, [=](benchmark::State& s) { mixed_op(s, stream_n, threads); });
    }
  }
}

}  // namespace flynn::mimd
