// mpi/hybrid/poly: strong scaling of flynn_mimd's compute kernel (parallel_poly) over ranks x
// OpenMP threads. The same total work is split evenly over the first `ranks` ranks, each running
// its share on `threads` threads; an iteration lasts as long as the slowest rank. Each rank checks
// its team's binding as flynn_mimd does (mimd::check_binding), and the worst rank's share of
// threads in place is reported.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>
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

void hybrid(benchmark::State& state, int ranks, int threads, std::size_t total) {
  const World& w = world();
  const bool member = w.rank < ranks;
  const std::size_t share = total / static_cast<std::size_t>(ranks);
  std::vector<float> x(member ? share : 0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f + 1e-6f * static_cast<float>(i % 1000);
  // The binding, before the loop, agreed: the worst rank's count of threads in place.
  int seen = threads, in_place = threads;
  if (member) {
    const mimd::BindingCheck check = mimd::check_binding(threads);
    seen = check.threads_seen;
    in_place = check.threads_in_place;
  }
  int worst_seen = 0, worst_in_place = 0;
  MPI_Allreduce(&seen, &worst_seen, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&in_place, &worst_in_place, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
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
  state.counters["threads_in_place_pct"] = 100.0 * worst_in_place / threads;
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
