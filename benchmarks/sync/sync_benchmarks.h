// flynn_sync: shared state (sync/) and I/O-bound vs CPU-bound work (io/).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "harness/topology.h"

namespace flynn::sync {

// The CPUs to pin thread i of a team to (i modulo the size): one PU of every core before any
// core's second PU, so a team of at most `cores` threads never shares a core.
std::vector<int> spread_cpus(const Topology& topology);

// Thread counts 1, 2, 4, ... up to 2x the CPUs, with the CPU count and its double included.
std::vector<int> counter_thread_counts(int cpus);

// sync/counter/<strategy>/threads:<t>/placement:spread
void register_counter_benchmarks(const Topology& topology, std::uint64_t increments_per_thread);
// sync/line_handoff/cas/cpu_a:<a>/cpu_b:<b> for every pair a < b of `cpus`
void register_handoff_benchmarks(const std::vector<int>& cpus);

struct IoSettings {
  std::chrono::microseconds delay;  // the server's response delay
  std::uint64_t pages;              // K: pages fetched (and CPU tasks run) per iteration
  std::vector<int> threads;         // client / worker thread counts
};
// io/fetch/blocking/threads:<t>, io/fetch/epoll/connections:<c>/threads:1, io/tasks/spin/threads:<t>
void register_io_benchmarks(const IoSettings& settings);

}  // namespace flynn::sync
