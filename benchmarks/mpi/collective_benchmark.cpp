// mpi/allreduce, mpi/bcast, mpi/alltoall, mpi/barrier over the first `ranks` ranks of the world,
// each with the min, mean and max over those ranks of the time each rank spent in the call (OSU
// prints only the mean). The algorithm is the library's choice (variant `library`), except
// allreduce's operation, which is part of its name.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "harness/counters.h"
#include "harness/names.h"
#include "mpi/agree.h"
#include "mpi/mpi_benchmarks.h"
#include "mpi/payload.h"

namespace flynn::mpi {
namespace {

using Clock = std::chrono::steady_clock;

enum class Kind { allreduce, bcast, alltoall, barrier };

// The communicator of the first `ranks` ranks (MPI_COMM_NULL on the others), made once per count
// at registration, which every rank does alike (MPI_Comm_split is collective).
MPI_Comm first_ranks(int ranks) {
  static std::map<int, MPI_Comm> made;
  if (auto found = made.find(ranks); found != made.end()) return found->second;
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, world().rank < ranks ? 0 : MPI_UNDEFINED, world().rank, &comm);
  made[ranks] = comm;
  return comm;
}

std::string wrong(const char* what, std::size_t index, std::uint64_t iteration, int rank) {
  return std::string(what) + ": element " + std::to_string(index) + " of iteration " + std::to_string(iteration) +
         " is wrong on rank " + std::to_string(rank);
}

void collective(benchmark::State& state, Kind kind, int ranks, std::uint64_t bytes) {
  const World& w = world();
  MPI_Comm comm = first_ranks(ranks);
  const bool member = comm != MPI_COMM_NULL;
  const int rank = w.rank;
  const int n = static_cast<int>(bytes);
  const std::size_t count = bytes / sizeof(std::uint64_t);
  std::vector<std::uint64_t> contribution, sum;
  std::vector<std::byte> out, in;
  if (member) {
    switch (kind) {
      case Kind::allreduce: contribution.resize(count); sum.resize(count); break;
      case Kind::bcast: in.resize(bytes); break;
      case Kind::alltoall: out.resize(bytes * ranks); in.resize(bytes * ranks); break;
      case Kind::barrier: break;
    }
  }
  double local_total = 0;
  run_agreed(state, MPI_COMM_WORLD, [&](std::uint64_t iteration) {
    Step step;
    if (!member) return step;
    const std::uint64_t seed = message_seed(iteration, 0, 0);
    Clock::time_point start;
    switch (kind) {
      case Kind::allreduce:
        fill_sum_contribution(contribution.data(), count, seed, rank);
        start = Clock::now();
        MPI_Allreduce(contribution.data(), sum.data(), static_cast<int>(count), MPI_UINT64_T, MPI_SUM, comm);
        step.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (const std::size_t i = first_wrong_sum(sum.data(), count, seed, ranks); i != count) {
          step.error = wrong("allreduce", i, iteration, rank);
        }
        break;
      case Kind::bcast:
        if (rank == 0) fill_payload(in.data(), bytes, seed);
        start = Clock::now();
        MPI_Bcast(in.data(), n, MPI_BYTE, 0, comm);
        step.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (const std::size_t i = first_wrong_byte(in.data(), bytes, seed); i != bytes) {
          step.error = wrong("bcast", i, iteration, rank);
        }
        break;
      case Kind::alltoall:
        for (int to = 0; to < ranks; ++to) {
          fill_payload(out.data() + bytes * to, bytes, message_seed(iteration, static_cast<std::uint64_t>(rank), to));
        }
        start = Clock::now();
        MPI_Alltoall(out.data(), n, MPI_BYTE, in.data(), n, MPI_BYTE, comm);
        step.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        for (int from = 0; from < ranks && step.error.empty(); ++from) {
          const auto block_seed = message_seed(iteration, static_cast<std::uint64_t>(from), static_cast<std::uint64_t>(rank));
          if (const std::size_t i = first_wrong_byte(in.data() + bytes * from, bytes, block_seed); i != bytes) {
            step.error = wrong("alltoall", bytes * from + i, iteration, rank);
          }
        }
        break;
      case Kind::barrier:
        start = Clock::now();
        MPI_Barrier(comm);
        step.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        break;
    }
    if (iteration > 0) local_total += step.seconds;  // not the warm-up
    return step;
  });
  if (state.error_occurred() || state.iterations() == 0) return;
  // Each member's mean time per call, then its min, mean and max over the members.
  const double mine = local_total / static_cast<double>(state.iterations());
  const double low_in = member ? mine : std::numeric_limits<double>::infinity();
  const double high_in = member ? mine : -std::numeric_limits<double>::infinity();
  const double sum_in = member ? mine : 0;
  double low = 0, high = 0, total = 0;
  MPI_Allreduce(&low_in, &low, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&high_in, &high, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(&sum_in, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  state.counters["ns_per_op"] = ns_per_event(1);
  state.counters["ns_per_op_min_rank"] = low * 1e9;
  state.counters["ns_per_op_mean_rank"] = total / ranks * 1e9;
  state.counters["ns_per_op_max_rank"] = high * 1e9;
  state.counters["ranks"] = ranks;
  if (kind != Kind::barrier) state.counters["message_bytes"] = static_cast<double>(bytes);
}

}  // namespace

std::vector<std::uint64_t> collective_sizes(std::uint64_t max_bytes) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t bytes = 8; bytes <= std::min<std::uint64_t>(max_bytes, 1 << 20); bytes *= 4) sizes.push_back(bytes);
  return sizes;
}

std::vector<int> collective_rank_counts(int size) {
  std::vector<int> counts;
  for (int ranks = 2; ranks < size; ranks *= 2) counts.push_back(ranks);
  if (size >= 2) counts.push_back(size);
  return counts;
}

void register_collective_benchmarks(const World& w, std::uint64_t max_bytes) {
  struct Family {
    const char* kernel;
    const char* variant;
    Kind kind;
  };
  const Family families[] = {{"allreduce", "sum_uint64", Kind::allreduce},
                             {"bcast", "library", Kind::bcast},
                             {"alltoall", "library", Kind::alltoall},
                             {"barrier", "library", Kind::barrier}};
  for (const Family& family : families) {
    for (const int ranks : collective_rank_counts(w.size)) {
      first_ranks(ranks);
      if (family.kind == Kind::barrier) {
        benchmark::RegisterBenchmark(BenchmarkName("mpi", family.kernel, family.variant).param("ranks", ranks).str().c_str(),
                                     collective, family.kind, ranks, std::uint64_t{0})
            ->UseManualTime();
        continue;
      }
      for (const std::uint64_t bytes : collective_sizes(max_bytes)) {
        benchmark::RegisterBenchmark(BenchmarkName("mpi", family.kernel, family.variant)
                                         .param("ranks", ranks)
                                         .param("bytes", static_cast<std::int64_t>(bytes))
                                         .str()
                                         .c_str(),
                                     collective, family.kind, ranks, bytes)
            ->UseManualTime();
      }
    }
  }
}

}  // namespace flynn::mpi
