#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "harness/area.h"
#include "harness/environment.h"
#include "mimd/mimd_benchmarks.h"
#include "mimd/threads.h"

namespace flynn {
namespace {

// STREAM's rule: each array at least 4x the last-level cache, so no level of cache holds it.
// Capped at 256 MiB per array: a virtual CPU may report its host's whole L3 (508 MB seen here),
// which would ask for 6 GB of arrays.
constexpr std::uint64_t kStreamArrayCap = 256ull << 20;

std::uint64_t default_stream_array_bytes(const Topology& topology) {
  std::uint64_t last_level = 0;
  for (int level = 1; level <= 5; ++level) last_level = std::max(last_level, topology.cache_bytes(level));
  return std::min(std::max<std::uint64_t>(4 * last_level, 64ull << 20), kStreamArrayCap);
}

}  // namespace

void register_area_benchmarks(const Topology& topology, Options& options) {
  // Validated first, so bad input is refused before the binary re-executes itself.
  const std::vector<int> threads = mimd::thread_counts(topology, options);
  // Threads bound one per core, packed (a user's own OMP_PLACES / OMP_PROC_BIND win).
  ensure_environment({{"OMP_PLACES", "cores"}, {"OMP_PROC_BIND", "close"}});
  const std::uint64_t stream_bytes = options.take_bytes("stream_bytes", default_stream_array_bytes(topology));
  benchmark::AddCustomContext("omp_places", std::getenv("OMP_PLACES"));
  benchmark::AddCustomContext("omp_proc_bind", std::getenv("OMP_PROC_BIND"));
  benchmark::AddCustomContext("mimd_stream_array_bytes", std::to_string(stream_bytes));
  mimd::register_scaling_benchmarks(topology, threads, stream_bytes);
  mimd::register_schedule_benchmarks(threads);
  mimd::register_overhead_benchmarks(threads);
}

}  // namespace flynn
