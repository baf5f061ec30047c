#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/area.h"
#include "harness/free_memory.h"
#include "mimd/threads.h"
#include "mpi/agree.h"
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
  // Every rank of a machine may hold its largest buffers at once: a window both ways
  // (bibandwidth), or an alltoall's send and receive buffers of one message per rank. A rank that
  // cannot is refused on every rank, with its name, before any loop: one rank alone would leave
  // the others waiting in the first benchmark's collectives.
  std::uint64_t on_machine = 0;
  for (const std::string& machine : world.machines) on_machine += machine == world.machines[static_cast<std::size_t>(world.rank)];
  const std::uint64_t per_rank = 2 * static_cast<std::uint64_t>(std::max(mpi::kWindow, world.size)) * max_bytes;
  std::string refusal;
  try {
    require_free_memory("--flynn_mpi_max_bytes", max_bytes, on_machine * per_rank,
                        std::to_string(on_machine) + " ranks on this machine, each with 2 x " +
                            std::to_string(std::max(mpi::kWindow, world.size)) + " messages of that size");
  } catch (const std::invalid_argument& error) {
    refusal = "rank " + std::to_string(world.rank) + " on " + world.hosts[static_cast<std::size_t>(world.rank)] +
              ": " + error.what();
  }
  if (const std::string agreed = mpi::agreed_error(refusal, MPI_COMM_WORLD); !agreed.empty()) {
    throw std::invalid_argument(agreed);
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
  // Its own keys: a merged result keeps flynn_mimd's omp_places (which it sets itself) for mimd.
  benchmark::AddCustomContext("mpi_omp_places", places != nullptr ? places : "unset");
  benchmark::AddCustomContext("mpi_omp_proc_bind", bind != nullptr ? bind : "unset");
  mpi::register_point_to_point_benchmarks(world, max_bytes);
  mpi::register_pair_benchmarks(world);
  mpi::register_collective_benchmarks(world, max_bytes);
  mpi::register_hybrid_benchmarks(world, threads);
}

}  // namespace flynn
