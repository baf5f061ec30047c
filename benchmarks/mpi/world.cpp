#include "mpi/world.h"

#include <mpi.h>

#include <cstring>

namespace flynn::mpi {

const World& world() {
  static const World the_world = [] {
    World w;
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.size);
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int length = 0;
    MPI_Get_processor_name(name, &length);
    std::vector<char> all(static_cast<std::size_t>(w.size) * MPI_MAX_PROCESSOR_NAME);
    MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < w.size; ++r) {
      const char* host = all.data() + static_cast<std::size_t>(r) * MPI_MAX_PROCESSOR_NAME;
      w.hosts.emplace_back(host, strnlen(host, MPI_MAX_PROCESSOR_NAME));
    }
    return w;
  }();
  return the_world;
}

std::string placement(const std::vector<std::string>& hosts, int a, int b) {
  return hosts.at(static_cast<std::size_t>(a)) == hosts.at(static_cast<std::size_t>(b)) ? "same_host" : "cross_host";
}

std::vector<Pair> point_to_point_pairs(const std::vector<std::string>& hosts) {
  std::vector<Pair> pairs;
  const int size = static_cast<int>(hosts.size());
  for (const bool same : {true, false}) {
    for (int b = 1; b < size; ++b) {
      if ((hosts[static_cast<std::size_t>(b)] == hosts[0]) == same) {
        pairs.push_back({0, b});
        break;
      }
    }
  }
  return pairs;
}

}  // namespace flynn::mpi
