// CPU-bound work that never blocks and touches no memory: the delay in OpenMP overhead loops,
// the busy threads of the time-slicing benchmark, the cost of an imbalanced iteration.
#pragma once

#include <cstdint>

namespace flynn {

// One step of a xorshift chain: a few dependent ALU operations (about 6 cycles).
std::uint64_t xorshift_step(std::uint64_t x);

// Runs `steps` dependent steps from `seed`; the result depends on every step, so the compiler
// cannot shorten the chain.
std::uint64_t spin(std::uint64_t seed, std::uint64_t steps);

}  // namespace flynn
