#include "common/spin.h"

namespace flynn {

std::uint64_t xorshift_step(std::uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

std::uint64_t spin(std::uint64_t seed, std::uint64_t steps) {
  // A zero seed is a fixed point of xorshift; the chain must move.
  std::uint64_t x = seed | 1;
  for (std::uint64_t s = 0; s < steps; ++s) x = xorshift_step(x);
  return x;
}

}  // namespace flynn
