// How many OpenMP threads each MIMD benchmark runs with, and the proof that they ran where the
// binding put them.
#pragma once

#include <sys/types.h>

#include <vector>

#include "harness/options.h"
#include "harness/topology.h"

namespace flynn::mimd {

// 1, 2, 4, ... up to the cores hwloc finds (and that count itself), then 2x cores: the one
// documented oversubscription, which shows time-slicing. OMP_NUM_THREADS, when set, takes the
// place of the core count; --flynn_threads=LIST replaces the list. A zero, negative, malformed,
// repeated or too large count (over kMaxThreadsPerPu per PU) is a std::invalid_argument.
std::vector<int> thread_counts(const Topology& topology, Options& options);

struct BindingCheck {
  int threads_seen = 0;      // omp_get_num_threads() inside the region
  int threads_in_place = 0;  // threads whose sched_getcpu() is one of their place's CPUs
};

// Runs one parallel region of `threads` threads; each checks with sched_getcpu() that it runs
// inside its OpenMP place.
BindingCheck check_binding(int threads);

// The thread ids of the OpenMP team of `threads` threads, in thread-number order. libgomp keeps
// its pool, so the next regions of that size run on these same threads: their counters are
// opened by id (perf::TeamCounters), one group per team member.
std::vector<pid_t> team_thread_ids(int threads);

}  // namespace flynn::mimd

#include <benchmark/benchmark.h>

namespace flynn::mimd {

// Checks the binding before a benchmark's timed loop and reports `omp_threads` and
// `threads_in_place_pct`. Returns false (and marks the benchmark failed) when OpenMP did not
// give the thread count asked for.
bool report_threads(benchmark::State& state, int threads);

}  // namespace flynn::mimd
