// CPU-bound work for the time-slicing benchmark: it never blocks, so every switch it suffers is
// an involuntary preemption by the scheduler.
#pragma once

#include <cstdint>

namespace flynn::ctxsw {

// One unit is 1024 steps of a dependent xorshift chain (a few ns each, no memory traffic).
inline constexpr std::uint64_t kStepsPerWorkUnit = 1024;

// Runs `units` work units from `seed`; the result depends on every step.
std::uint64_t busy_work(std::uint64_t seed, std::uint64_t units);

// The same chain, one step at a time: the reference the unit test compares with.
std::uint64_t xorshift_step(std::uint64_t x);

}  // namespace flynn::ctxsw
