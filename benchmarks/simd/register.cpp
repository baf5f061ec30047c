// simd/<kernel>/<isa>/<dtype>/bytes:<working set> and simd/fma_peak/<isa>/<dtype>/chains:<n>:
// every kernel of kernels/simd for every compiled instruction set, over a working-set sweep from
// L1 to DRAM, with flops and bytes per second derived from the kernels' declared traits.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

#include "harness/area.h"
#include "harness/counters.h"
#include "harness/perf_counters.h"
#include "harness/free_memory.h"
#include "harness/names.h"
#include "simd/kernels.h"
#include "simd/variants.h"

namespace flynn::simd {
namespace {

// 4 KiB fits every L1d; x4 steps give two points per cache level on current x86.
constexpr std::uint64_t kMinBytes = 4 << 10;
constexpr std::uint64_t kBytesStep = 4;
// When hwloc knows no L2: the smallest L2 of current x86 cores.
constexpr std::uint64_t kFallbackL2Bytes = 256 << 10;
// ~1 us per iteration even at one chain (4-cycle FMA latency): far above the loop's overhead.
constexpr std::size_t kFmaRounds = 1024;
// Element counts are multiples of one cache line of f32 (one zmm), so every ISA's main loop
// covers the array; the tails are exercised by the unit tests instead.
constexpr std::size_t kElementMultiple = 16;

// The sweep must end in DRAM: 4x the last-level cache, at least 64 MiB. But never above 1 GiB by
// default: a VM that reports a 508 MB "L3" would otherwise need 2 GB of arrays per benchmark, and
// DRAM bandwidth shows long before that. --flynn_max_bytes overrides.
std::uint64_t default_max_bytes(const Topology& topology) {
  const std::uint64_t llc = std::max(topology.cache_bytes(3), topology.cache_bytes(2));
  return std::min<std::uint64_t>(std::max<std::uint64_t>(4 * llc, 64 << 20), 1 << 30);
}

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};

// One 64-byte-aligned buffer, kept while consecutive benchmarks ask for the same size and type
// (registration order makes them consecutive), filled outside any timed loop with values in
// [-1, 1): no denormals, no overflow, and poly's polynomial stays well-conditioned.
template <class T>
T* working_set(std::uint64_t bytes) {
  static std::unique_ptr<std::byte, FreeDeleter> data;
  static std::uint64_t held_bytes = 0;
  static std::size_t held_element = 0;
  if (held_bytes != bytes || held_element != sizeof(T)) {
    data.reset();  // before allocating: two 1 GiB buffers at once may not fit
    held_bytes = 0;
    data.reset(static_cast<std::byte*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
    if (!data) throw std::bad_alloc();
    T* values = reinterpret_cast<T*>(data.get());
    for (std::size_t i = 0; i < bytes / sizeof(T); ++i) {
      values[i] = static_cast<T>(static_cast<double>((i * 2654435761u) % 2048) / 1024.0 - 1.0);
    }
    held_bytes = bytes;
    held_element = sizeof(T);
  }
  return reinterpret_cast<T*>(data.get());
}

template <class T>
void run(benchmark::State& state, const KernelTraits& kernel, const Variant& variant, std::uint64_t bytes,
         int chains) {
  if (!runs_here(variant)) {
    skip(state, "CPU lacks " + std::string(variant.isa));
    return;
  }
  const KernelSet<T>& kernels = variant.kernels<T>();
  const auto lanes = static_cast<double>(kernels.lanes());
  perf::Reading counted;
  const auto timed = [&](auto call) {
    call();  // discarded warm-up, as STREAM does: first touch, caches and TLB in steady state
    perf::ThreadCounters counters;
    counters.start();
    for (auto _ : state) {
      T result = call();
      benchmark::DoNotOptimize(result);
      benchmark::ClobberMemory();
    }
    counted = counters.stop();
  };

  double elements = 0;  // per iteration, in the unit of kernel.flops_per_element
  if (kernel.id == KernelId::fma_peak) {
    elements = static_cast<double>(kFmaRounds) * chains * lanes;
    timed([&] { return kernels.fma_peak(T(1), kFmaRounds, chains); });
  } else {
    const int arrays = kernel.arrays_read + kernel.arrays_written;
    const std::size_t n = bytes / (arrays * sizeof(T)) / kElementMultiple * kElementMultiple;
    T* x = working_set<T>(bytes);
    T* y = x + n;
    T* z = y + n;
    switch (kernel.id) {
      case KernelId::triad: timed([&] { return kernels.triad(x, y, z, T(0.5), n); }); break;
      case KernelId::dot: timed([&] { return kernels.dot(x, y, n); }); break;
      case KernelId::sum: timed([&] { return kernels.sum(x, n); }); break;
      case KernelId::poly: timed([&] { return kernels.poly(x, n); }); break;
      case KernelId::fma_peak: break;
    }
    elements = static_cast<double>(n);
    state.counters["bytes_per_second"] = per_second_per_iteration(elements * arrays * sizeof(T));
  }
  const double flops = elements * kernel.flops_per_element;
  state.counters["flops_per_second"] = per_second_per_iteration(flops);
  state.counters["flops_per_cycle"] = per_cycle_per_iteration(flops);
  state.counters["lanes"] = lanes;
  // instructions_per_element near 1/lanes for a vector kernel (where a PMU counts): the ISA
  // confirmed at run time, as the disassembly test confirms it in the binary.
  perf::report(state, counted, "element", elements);
}

template <class T>
void register_dtype(std::uint64_t max_bytes, std::uint64_t poly_max_bytes) {
  const auto add = [](const KernelTraits& kernel, const Variant& variant, const BenchmarkName& name,
                      std::uint64_t bytes, int chains) {
    benchmark::RegisterBenchmark(name.str().c_str(), [&kernel, &variant, bytes, chains](benchmark::State& state) {
      run<T>(state, kernel, variant, bytes, chains);
    });
  };
  static_assert(kKernelTraits[0].id == KernelId::fma_peak);
  const KernelTraits& fma_peak = kKernelTraits[0];
  for (const Variant& variant : kVariants) {
    for (int chains : kFmaChains) {
      add(fma_peak, variant, BenchmarkName("simd", fma_peak.name, variant.isa).token(kDtype<T>).param("chains", chains),
          0, chains);
    }
  }
  // Size-major, so the benchmarks of one size share its buffer.
  for (std::uint64_t bytes = kMinBytes; bytes <= max_bytes; bytes *= kBytesStep) {
    for (const KernelTraits& kernel : kKernelTraits) {
      if (kernel.id == KernelId::fma_peak || (kernel.id == KernelId::poly && bytes > poly_max_bytes)) continue;
      for (const Variant& variant : kVariants) {
        const auto name = BenchmarkName("simd", kernel.name, variant.isa)
                              .token(kDtype<T>)
                              .param("bytes", static_cast<std::int64_t>(bytes));
        add(kernel, variant, name, bytes, 0);
      }
    }
  }
}

}  // namespace
}  // namespace flynn::simd

void flynn::register_area_benchmarks(const Topology& topology, Options& options) {
  // A default that does not fit (a small VM) is lowered to half the free memory; a size given
  // with the flag is refused instead.
  std::uint64_t fallback = simd::default_max_bytes(topology);
  if (const std::uint64_t available = available_memory_bytes(); available > 0) {
    fallback = std::min(fallback, std::max(simd::kMinBytes, available / 2));
  }
  const std::uint64_t max_bytes = options.take_bytes("max_bytes", fallback);
  // One working set is held at a time (working_set frees the last before allocating).
  require_free_memory("--flynn_max_bytes", max_bytes, (max_bytes + 63) / 64 * 64, "one working set of that size");
  // poly is compute-bound: beyond L2 it measures the same flops again at more cost.
  const std::uint64_t l2 = topology.cache_bytes(2);
  const std::uint64_t poly_max_bytes = std::min(max_bytes, l2 > 0 ? l2 : simd::kFallbackL2Bytes);
  simd::register_dtype<float>(max_bytes, poly_max_bytes);
  simd::register_dtype<double>(max_bytes, poly_max_bytes);
}
