#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "harness/area.h"
#include "harness/environment.h"
#include "harness/free_memory.h"
#include "mimd/mimd_benchmarks.h"
#include "mimd/threads.h"

namespace flynn {
namespace {

// STREAM's rule: each array at least 4x the last-level cache, so no level of cache holds it.
// Capped at 256 MiB per array: a virtual CPU may report its host's whole L3 (508 MB seen here),
// which would ask for 6 GB of arrays.
constexpr std::uint64_t kStreamArrayCap = 256ull << 20;
// The least a default lowered to fit memory goes: below this a "DRAM" array is a cache's.
constexpr std::uint64_t kMinFittedArrayBytes = 4ull << 20;

std::uint64_t default_stream_array_bytes(const Topology& topology) {
  std::uint64_t last_level = 0;
  for (int level = 1; level <= 5; ++level) last_level = std::max(last_level, topology.cache_bytes(level));
  return std::min(std::max<std::uint64_t>(4 * last_level, 64ull << 20), kStreamArrayCap);
}

// libgomp only warns about an OMP_PLACES it cannot parse and then runs without places, so every
// thread would count as "in place" and the run would record the bad value as if it applied.
// Without OMP_PROC_BIND a valid list still defines places, so none means libgomp refused it; with
// OMP_PROC_BIND set (false: no places; else libgomp silently falls back to one place per PU) the
// two cannot be told apart, so only the binary's first start, before it sets OMP_PROC_BIND, can
// check. A user's own OMP_PROC_BIND therefore skips the check.
void require_valid_places() {
  const char* places = std::getenv("OMP_PLACES");
  if (places != nullptr && std::getenv("OMP_PROC_BIND") == nullptr && omp_get_num_places() == 0) {
    throw std::invalid_argument(std::string("OMP_PLACES='") + places +
                                "' is not a place list libgomp accepts (e.g. cores, threads, {0},{1}); it defines no place");
  }
}

}  // namespace

void register_area_benchmarks(const Topology& topology, Options& options) {
  // Validated first, so bad input is refused before the binary re-executes itself.
  const std::vector<int> threads = mimd::thread_counts(topology, options);
  // Threads bound one per core, packed (a user's own OMP_PLACES / OMP_PROC_BIND win).
  require_valid_places();
  ensure_environment({{"OMP_PLACES", "cores"}, {"OMP_PROC_BIND", "close"}});
  // STREAM's three arrays are mapped at once; weak scaling gives each thread one core's share,
  // so above the core count the arrays grow with the threads.
  const auto cores = static_cast<std::uint64_t>(std::max(1, topology.count(HWLOC_OBJ_CORE)));
  const auto share = std::max(cores, static_cast<std::uint64_t>(*std::max_element(threads.begin(), threads.end())));
  // A default that does not fit (a small VM) is lowered to use at most half the free memory, and
  // recorded in the context; a size given with the flag is refused instead.
  std::uint64_t fallback = default_stream_array_bytes(topology);
  if (const std::uint64_t available = available_memory_bytes(); available > 0) {
    fallback = std::min(fallback, std::max(kMinFittedArrayBytes, available / 2 / 3 / share * cores));
  }
  const std::uint64_t stream_bytes = options.take_bytes("stream_bytes", fallback);
  const std::uint64_t array_bytes = stream_bytes / sizeof(double) / cores * share * sizeof(double);
  require_free_memory("--flynn_stream_bytes", stream_bytes, 3 * array_bytes,
                      "3 STREAM arrays of that size, scaled by " + std::to_string(share) + " threads / " +
                          std::to_string(cores) + " cores for weak scaling");
  benchmark::AddCustomContext("omp_places", std::getenv("OMP_PLACES"));
  benchmark::AddCustomContext("omp_proc_bind", std::getenv("OMP_PROC_BIND"));
  benchmark::AddCustomContext("mimd_stream_array_bytes", std::to_string(stream_bytes));
  mimd::register_scaling_benchmarks(topology, threads, stream_bytes);
  mimd::register_schedule_benchmarks(threads);
  mimd::register_overhead_benchmarks(threads);
}

}  // namespace flynn
