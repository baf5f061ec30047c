#include "mimd/threads.h"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "harness/options.h"

namespace flynn::mimd {
namespace {

int cores_or_omp_num_threads(const Topology& topology) {
  const char* requested = std::getenv("OMP_NUM_THREADS");
  if (requested == nullptr) return std::max(1, topology.count(HWLOC_OBJ_CORE));
  const std::string text = requested;
  const ListRule rule = thread_count_rule(static_cast<int>(topology.cpus().size()));
  const bool digits_only = !text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits_only || std::stoi(text) < rule.min_value || std::stoi(text) > rule.max_value) {
    throw std::invalid_argument("OMP_NUM_THREADS must be a thread count from 1 to " + std::to_string(rule.max_value) +
                                " (" + rule.max_reason + "), got '" + text + "'");
  }
  return std::stoi(text);
}

}  // namespace

std::vector<int> thread_counts(const Topology& topology, Options& options) {
  const int cores = cores_or_omp_num_threads(topology);
  std::vector<int> counts;
  for (int t = 1; t < cores; t *= 2) counts.push_back(t);
  counts.push_back(cores);
  counts.push_back(2 * cores);
  return options.take_int_list("threads", counts, thread_count_rule(static_cast<int>(topology.cpus().size())));
}

BindingCheck check_binding(int threads) {
  BindingCheck check;
#pragma omp parallel num_threads(threads)
  {
    const int place = omp_get_place_num();
    bool in_place = false;
    if (place >= 0) {
      std::vector<int> cpus(static_cast<std::size_t>(omp_get_place_num_procs(place)));
      omp_get_place_proc_ids(place, cpus.data());
      in_place = std::find(cpus.begin(), cpus.end(), sched_getcpu()) != cpus.end();
    }
#pragma omp atomic
    check.threads_in_place += in_place ? 1 : 0;
#pragma omp single
    check.threads_seen = omp_get_num_threads();
  }
  return check;
}

std::vector<pid_t> team_thread_ids(int threads) {
  std::vector<pid_t> tids(static_cast<std::size_t>(threads), 0);
#pragma omp parallel num_threads(threads)
  tids[static_cast<std::size_t>(omp_get_thread_num())] = gettid();
  return tids;
}

}  // namespace flynn::mimd

namespace flynn::mimd {

bool report_threads(benchmark::State& state, int threads) {
  const BindingCheck check = check_binding(threads);
  if (check.threads_seen != threads) {
    state.SkipWithError(("OpenMP ran " + std::to_string(check.threads_seen) + " threads, asked for " +
                         std::to_string(threads))
                            .c_str());
    return false;
  }
  state.counters["omp_threads"] = threads;
  state.counters["threads_in_place_pct"] = 100.0 * check.threads_in_place / threads;
  return true;
}

}  // namespace flynn::mimd
