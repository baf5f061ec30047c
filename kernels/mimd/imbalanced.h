// An imbalanced loop: iteration i costs cost[i] dependent steps, under whatever schedule
// omp_set_schedule() chose (schedule(runtime)), so one kernel serves every schedule.
#pragma once

#include <cstdint>
#include <cstddef>
#include <vector>

#include <omp.h>

#include "common/spin.h"

namespace flynn::mimd {

// Triangular cost (iteration i costs about i steps) and random cost with a fixed seed, both
// averaging `mean_steps` per iteration.
std::vector<std::uint32_t> triangular_cost(std::size_t n, std::uint32_t mean_steps);
std::vector<std::uint32_t> random_cost(std::size_t n, std::uint32_t mean_steps, std::uint64_t seed);

// Runs every iteration once; each thread calls finished(thread_number) when it has no
// iteration left (before waiting for the others), so the caller can time its busy part.
// Returns the wrapping sum of every iteration's result: exact whatever the schedule.
template <class Finished>
std::uint64_t imbalanced_loop(const std::vector<std::uint32_t>& cost, int threads, Finished finished) {
  std::uint64_t sum = 0;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(cost.size());
#pragma omp parallel num_threads(threads) reduction(+ : sum)
  {
#pragma omp for schedule(runtime) nowait
    for (std::ptrdiff_t i = 0; i < n; ++i) sum += spin(static_cast<std::uint64_t>(i), cost[static_cast<std::size_t>(i)]);
    finished(omp_get_thread_num());
  }
  return sum;
}

}  // namespace flynn::mimd
