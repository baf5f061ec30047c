#include <benchmark/benchmark.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "harness/area.h"
#include "sync/sync_benchmarks.h"

namespace flynn {
namespace {

// 2^20 increments per thread: a round takes milliseconds even at 1 ns per increment, so waking
// the team (tens of microseconds) stays out of the figure, and threads really overlap; a
// contended mutex round stays near 0.1 s.
constexpr int kDefaultIncrements = 1 << 20;
// 2 ms: a fast remote site's response time; long against the microseconds a fetch costs in CPU.
constexpr int kDefaultDelayUs = 2000;
constexpr int kDefaultPages = 256;
// Every pair of up to 16 CPUs: 120 pairs. 64 CPUs would be 2016 pairs, most of a run's time.
constexpr std::size_t kMaxHandoffCpus = 16;

int one_int(Options& options, const std::string& key, int fallback, int low, int high) {
  ListRule rule;
  rule.min_value = low;
  rule.max_value = high;
  const std::vector<int> values = options.take_int_list(key, {fallback}, rule);
  if (values.size() != 1) {
    throw std::invalid_argument("--flynn_" + key + " must be one integer from " + std::to_string(low) + " to " +
                                std::to_string(high));
  }
  return values[0];
}

std::vector<int> handoff_cpus(const Topology& topology, Options& options) {
  const std::vector<int> all = topology.cpus();
  std::vector<int> spaced;
  // Evenly spaced CPUs keep one per socket or chiplet in the sample on a big machine.
  for (std::size_t i = 0; i < std::min(all.size(), kMaxHandoffCpus); ++i) {
    spaced.push_back(all[i * all.size() / std::min(all.size(), kMaxHandoffCpus)]);
  }
  ListRule rule;
  rule.min_items = 2;
  rule.min_items_reason = "a hand-off needs two CPUs, and one CPU would register no hand-off benchmark";
  std::vector<int> chosen = options.take_int_list("handoff_cpus", spaced, rule);
  for (int cpu : chosen) {
    if (std::find(all.begin(), all.end(), cpu) == all.end()) {
      throw std::invalid_argument("--flynn_handoff_cpus: CPU " + std::to_string(cpu) + " is not one this process may use");
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace

void register_area_benchmarks(const Topology& topology, Options& options) {
  const int increments = one_int(options, "sync_increments", kDefaultIncrements, 1, 100'000'000);
  const int delay_us = one_int(options, "io_delay_us", kDefaultDelayUs, 0, 1'000'000);
  const int pages = one_int(options, "io_pages", kDefaultPages, 1, 1'000'000);
  const std::vector<int> cpus = handoff_cpus(topology, options);
  benchmark::AddCustomContext("sync_increments_per_thread", std::to_string(increments));
  benchmark::AddCustomContext("io_delay_us", std::to_string(delay_us));
  benchmark::AddCustomContext("io_pages", std::to_string(pages));
  sync::register_counter_benchmarks(topology, static_cast<std::uint64_t>(increments));
  sync::register_handoff_benchmarks(cpus);
  sync::register_io_benchmarks({std::chrono::microseconds(delay_us), static_cast<std::uint64_t>(pages),
                                {1, 2, 4, 8, 16, 32, 64}});
}

}  // namespace flynn
