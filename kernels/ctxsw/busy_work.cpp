#include "ctxsw/busy_work.h"

namespace flynn::ctxsw {

std::uint64_t xorshift_step(std::uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

std::uint64_t busy_work(std::uint64_t seed, std::uint64_t units) {
  // A zero seed is a fixed point of xorshift; the chain must move.
  std::uint64_t x = seed | 1;
  for (std::uint64_t u = 0; u < units; ++u) {
    for (std::uint64_t s = 0; s < kStepsPerWorkUnit; ++s) x = xorshift_step(x);
  }
  return x;
}

}  // namespace flynn::ctxsw
