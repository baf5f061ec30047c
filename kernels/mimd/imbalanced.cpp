#include "mimd/imbalanced.h"

#include <random>

namespace flynn::mimd {

std::vector<std::uint32_t> triangular_cost(std::size_t n, std::uint32_t mean_steps) {
  std::vector<std::uint32_t> cost(n);
  for (std::size_t i = 0; i < n; ++i) cost[i] = static_cast<std::uint32_t>(2.0 * mean_steps * static_cast<double>(i) / static_cast<double>(n));
  return cost;
}

std::vector<std::uint32_t> random_cost(std::size_t n, std::uint32_t mean_steps, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_int_distribution<std::uint32_t> steps(0, 2 * mean_steps);
  std::vector<std::uint32_t> cost(n);
  for (auto& c : cost) c = steps(generator);
  return cost;
}

}  // namespace flynn::mimd
