#include "mpi/world.h"

#include <mpi.h>

#include <cstring>
#include <fstream>
#include <set>

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
    // The kernel's boot id; where it cannot be read, the host name stands for the machine.
    char boot[64] = {};
    std::string id;
    std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), id);
    if (id.empty()) id = "host:" + w.hosts[static_cast<std::size_t>(w.rank)];
    std::strncpy(boot, id.c_str(), sizeof boot - 1);
    std::vector<char> boots(static_cast<std::size_t>(w.size) * sizeof boot);
    MPI_Allgather(boot, sizeof boot, MPI_CHAR, boots.data(), sizeof boot, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < w.size; ++r) {
      const char* machine = boots.data() + static_cast<std::size_t>(r) * sizeof boot;
      w.machines.emplace_back(machine, strnlen(machine, sizeof boot));
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

std::string cpu_shortage(const std::vector<cpu_set_t>& masks, const std::vector<std::string>& hosts,
                         const std::vector<std::string>& machines, int ranks, int threads) {
  for (int r = 0; r < ranks; ++r) {
    const int own = CPU_COUNT(&masks[static_cast<std::size_t>(r)]);
    if (own < threads) {
      return "rank " + std::to_string(r) + " on " + hosts[static_cast<std::size_t>(r)] + " may run on " +
             std::to_string(own) + " CPU(s), fewer than its " + std::to_string(threads) + " threads";
    }
  }
  const int size = static_cast<int>(masks.size());
  for (int r = 0; r < size; ++r) {
    const std::string& machine = machines[static_cast<std::size_t>(r)];
    cpu_set_t together;
    CPU_ZERO(&together);
    int on_machine = 0, busy = 0;
    std::set<std::string> names;
    for (int q = 0; q < size; ++q) {
      if (machines[static_cast<std::size_t>(q)] != machine) continue;
      CPU_OR(&together, &together, &masks[static_cast<std::size_t>(q)]);
      ++on_machine;
      busy += q < ranks ? threads : 1;
      names.insert(hosts[static_cast<std::size_t>(q)]);
    }
    if (CPU_COUNT(&together) < busy) {
      std::string where;
      for (const std::string& name : names) where += (where.empty() ? "" : ", ") + name;
      return std::to_string(on_machine) + " ranks on " + where + (names.size() > 1 ? " (one machine)" : "") +
             " may run on " + std::to_string(CPU_COUNT(&together)) + " CPU(s) together, fewer than the " +
             std::to_string(busy) + " they keep busy (" + std::to_string(threads) +
             " thread(s) per working rank, 1 per waiting rank, which polls)";
    }
  }
  return {};
}

}  // namespace flynn::mpi
