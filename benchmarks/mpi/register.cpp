#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/area.h"
#include "mimd/threads.h"
#include "mpi/mpi_benchmarks.h"
#include "mpi/world.h"

namespace flynn {

void register_area_benchmarks(const Topology& topology, Options& options) {
  const mpi::World& world = mpi::world();
  // flynn_mimd's thread counts (--flynn_threads, OMP_NUM_THREADS, the cores) as rank 0 sees its
  // host: hosts of other sizes must still register the same benchmarks.
  std::vector<int> threads = mimd::thread_counts(topology, options);
  int count = static_cast<int>(threads.size());
  MPI_Bcast(&count, 1, MPI_INT, 0, MPI_COMM_WORLD);
  threads.resize(static_cast<std::size_t>(count));
  MPI_Bcast(threads.data(), count, MPI_INT, 0, MPI_COMM_WORLD);
  // 4 MiB: OSU's default largest message, past every eager/rendezvous switch of Open MPI's
  // transports. int: MPI counts are ints.
  const std::uint64_t max_bytes = options.take_bytes("mpi_max_bytes", 4u << 20);
  if (max_bytes > (std::uint64_t{1} << 30)) {
    throw std::invalid_argument("--flynn_mpi_max_bytes=" + std::to_string(max_bytes) +
                                " is above 1 GiB (64 such messages in flight per window)");
  }
  if (world.size < 2) {
    throw std::invalid_argument("flynn_mpi runs on 2 ranks or more (mpirun -np 2 flynn_mpi, or scripts/run --mpi); this run has 1");
  }
  int hosts = 0;
  for (int r = 0; r < world.size; ++r) {
    benchmark::AddCustomContext("mpi_host_rank_" + std::to_string(r), world.hosts[static_cast<std::size_t>(r)]);
    bool first = true;
    for (int q = 0; q < r; ++q) first = first && world.hosts[static_cast<std::size_t>(q)] != world.hosts[static_cast<std::size_t>(r)];
    hosts += first ? 1 : 0;
  }
  benchmark::AddCustomContext("mpi_ranks", std::to_string(world.size));
  benchmark::AddCustomContext("mpi_hosts", std::to_string(hosts));
  benchmark::AddCustomContext("mpi_window", std::to_string(mpi::kWindow));
  // The hybrid benchmarks' binding comes from the user's OpenMP settings and mpirun's --bind-to
  // (a rank bound to one core holds all its threads there); flynn_mpi cannot re-execute itself
  // under MPI to set them as flynn_mimd does.
  const char* places = std::getenv("OMP_PLACES");
  const char* bind = std::getenv("OMP_PROC_BIND");
  benchmark::AddCustomContext("omp_places", places != nullptr ? places : "unset");
  benchmark::AddCustomContext("omp_proc_bind", bind != nullptr ? bind : "unset");
  mpi::register_point_to_point_benchmarks(world, max_bytes);
  mpi::register_pair_benchmarks(world);
  mpi::register_collective_benchmarks(world, max_bytes);
  mpi::register_hybrid_benchmarks(world, threads);
}

}  // namespace flynn
