// mpi/hybrid/poly: strong scaling of flynn_mimd's compute kernel (parallel_poly) over ranks x
// OpenMP threads. The same total work is split evenly over the first `ranks` ranks, each running
// its share on `threads` threads; an iteration lasts as long as the slowest rank. Each rank checks
// its team's binding as flynn_mimd does (mimd::check_binding), and the worst rank's share of
// threads in place is reported. A row whose ranks x threads exceed the CPUs those ranks may run on
// (a test host confined to one CPU, two ranks bound to a core each, four test hosts on a machine of
// two CPUs, where the waiting ranks' polling counts too) is skipped with the reason: its figure
// would measure time-slicing, not scaling (4 test hosts on 2 CPUs read 7.5x on 4 ranks).
#include <benchmark/benchmark.h>
#include <mpi.h>
#include <omp.h>
#include <sched.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "harness/counters.h"
#include "harness/names.h"
#include "mimd/compute.h"
#include "mimd/threads.h"
#include "mpi/agree.h"
#include "mpi/mpi_benchmarks.h"

namespace flynn::mpi {
namespace {

using Clock = std::chrono::steady_clock;

// flynn_mimd's compute sizes: 32 Ki floats per core stay in L2, eight passes per region make
// fork/join negligible. The total is fixed (strong scaling): 32 Ki elements per rank-thread of
// the largest configuration, so no share falls below a cache-resident array.
constexpr std::size_t kElementsPerWorker = 32 << 10;
constexpr int kPasses = 8;

// The CPUs a team of `threads` threads of this rank may run on: their OpenMP places' CPUs where
// OpenMP has places (libgomp then pins the initial thread, so the affinity mask no longer says what
// the rank was given), else the rank's affinity mask.
cpu_set_t team_cpus(int threads) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (omp_get_num_places() == 0) {
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) CPU_SET(0, &cpus);
    return cpus;
  }
#pragma omp parallel num_threads(threads)
  {
    const int place = omp_get_place_num();
    std::vector<int> ids(place >= 0 ? static_cast<std::size_t>(omp_get_place_num_procs(place)) : 0);
    if (place >= 0) omp_get_place_proc_ids(place, ids.data());
#pragma omp critical
    for (const int id : ids) CPU_SET(id, &cpus);
  }
  return cpus;
}

void hybrid(benchmark::State& state, int ranks, int threads, std::size_t total) {
  const World& w = world();
  const bool member = w.rank < ranks;
  // A waiting rank's CPUs count too: it polls in the agreement's collectives while the others work.
  const cpu_set_t mine = team_cpus(member ? threads : 1);
  std::vector<cpu_set_t> masks(static_cast<std::size_t>(w.size));
  MPI_Allgather(&mine, sizeof mine, MPI_BYTE, masks.data(), sizeof mine, MPI_BYTE, MPI_COMM_WORLD);
  if (const std::string shortage = cpu_shortage(masks, w.hosts, w.machines, ranks, threads); !shortage.empty()) {
    skip(state, shortage);
    return;
  }
  const std::size_t share = total / static_cast<std::size_t>(ranks);
  std::vector<float> x(member ? share : 0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f + 1e-6f * static_cast<float>(i % 1000);
  // The binding, before the loop, agreed: the worst rank's count of threads in place.
  // Without OpenMP places (OMP_PLACES unset) no thread has a place to be in: the binding is not
  // checked, and the row says so by leaving threads_in_place_pct out rather than reporting 0.
  int seen = threads, in_place = threads, places = 1;
  if (member) {
    const mimd::BindingCheck check = mimd::check_binding(threads);
    seen = check.threads_seen;
    in_place = check.threads_in_place;
    places = omp_get_num_places();
  }
  int worst_seen = 0, worst_in_place = 0, fewest_places = 0;
  MPI_Allreduce(&seen, &worst_seen, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&in_place, &worst_in_place, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&places, &fewest_places, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (worst_seen != threads) {
    state.SkipWithError(("OpenMP ran " + std::to_string(worst_seen) + " threads on some rank, asked for " +
                         std::to_string(threads)).c_str());
    return;
  }
  run_agreed(state, MPI_COMM_WORLD, [&](std::uint64_t) {
    Step step;
    if (!member) return step;
    const auto start = Clock::now();
    benchmark::DoNotOptimize(mimd::parallel_poly(x.data(), x.size(), kPasses, threads));
    step.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return step;
  });
  if (state.error_occurred()) return;
  state.counters["flops_per_second"] =
      per_second_per_iteration(static_cast<double>(share * ranks) * kPasses * mimd::compute_flops_per_element());
  state.counters["ranks"] = ranks;
  state.counters["omp_threads"] = threads;
  if (fewest_places > 0) state.counters["threads_in_place_pct"] = 100.0 * worst_in_place / threads;
}

}  // namespace

void register_hybrid_benchmarks(const World& w, const std::vector<int>& thread_counts) {
  std::vector<int> rank_counts{1};
  for (const int ranks : collective_rank_counts(w.size)) rank_counts.push_back(ranks);
  int most_threads = 1;
  for (const int threads : thread_counts) most_threads = std::max(most_threads, threads);
  const std::size_t total = kElementsPerWorker * static_cast<std::size_t>(w.size) * static_cast<std::size_t>(most_threads);
  for (const int ranks : rank_counts) {
    for (const int threads : thread_counts) {
      benchmark::RegisterBenchmark(
          BenchmarkName("mpi", "hybrid", "poly").param("ranks", ranks).param("threads", threads).str().c_str(), hybrid,
          ranks, threads, total)
          ->UseManualTime();
    }
  }
}

}  // namespace flynn::mpi
