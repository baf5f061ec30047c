// The ranks of flynn_mpi and the hosts they run on, and which pairs the point-to-point
// benchmarks measure.
#pragma once

#include <string>
#include <vector>

namespace flynn::mpi {

struct World {
  int rank = 0;
  int size = 1;
  std::vector<std::string> hosts;  // MPI_Get_processor_name of every rank, by rank
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

}  // namespace flynn::mpi
