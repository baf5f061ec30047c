// The ranks of flynn_mpi and the hosts they run on, and which pairs the point-to-point
// benchmarks measure.
#pragma once

#include <sched.h>

#include <string>
#include <vector>

namespace flynn::mpi {

struct World {
  int rank = 0;
  int size = 1;
  std::vector<std::string> hosts;  // MPI_Get_processor_name of every rank, by rank
  // Every rank's kernel, by rank: its boot id (/proc/sys/kernel/random/boot_id). Hosts that are
  // network namespaces or containers of one machine share it, and with it the machine's CPUs.
  std::vector<std::string> machines;
};

// Collective over MPI_COMM_WORLD on its first call (every rank must make it).
const World& world();

// "same_host" or "cross_host": the name token of a pair's placement.
std::string placement(const std::vector<std::string>& hosts, int a, int b);

struct Pair {
  int a = 0;
  int b = 1;
};

// The pairs the point-to-point benchmarks measure: rank 0 with the lowest other rank on its own
// host, and rank 0 with the lowest rank on another host, where such ranks exist. So a run on two
// hosts with two ranks each measures both placements, and each cross-host pair has hosts that
// really differ.
std::vector<Pair> point_to_point_pairs(const std::vector<std::string>& hosts);

// Why `threads` threads on each of the first `ranks` ranks would share CPUs, or empty: a rank's
// team may run on fewer CPUs than its threads, or the ranks of one machine (`machines`) on fewer,
// together, than they keep busy. Every rank counts there, the idle ones too: a rank waiting in a
// collective polls (Open MPI's default), one CPU each. `masks` holds every rank's CPUs (a member's
// team, an idle rank's own), by rank; every rank decides from the same masks, so all skip alike.
std::string cpu_shortage(const std::vector<cpu_set_t>& masks, const std::vector<std::string>& hosts,
                         const std::vector<std::string>& machines, int ranks, int threads);

}  // namespace flynn::mpi
