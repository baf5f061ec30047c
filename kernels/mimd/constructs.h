// The OpenMP constructs whose fixed cost EPCC's syncbench measures, each with the reference loop
// that does the same delay work without the construct. Overhead = (test - reference) / reps.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace flynn::mimd {

enum class Construct { parallel, for_loop, parallel_for, barrier, single, critical, lock, atomic, reduction };

struct ConstructInfo {
  Construct construct;
  std::string_view token;
};

inline constexpr std::array<ConstructInfo, 9> kConstructs = {{
    {Construct::parallel, "parallel"},
    {Construct::for_loop, "for"},
    {Construct::parallel_for, "parallel_for"},
    {Construct::barrier, "barrier"},
    {Construct::single, "single"},
    {Construct::critical, "critical"},
    {Construct::lock, "lock"},
    {Construct::atomic, "atomic"},
    {Construct::reduction, "reduction"},
}};

// EPCC's delay: work the compiler cannot remove, about 0.1 us at `delay_steps` = 64.
void delay(std::uint64_t delay_steps);

// `reps` instances of the construct on `threads` threads, as syncbench writes them. Returns the
// number of construct instances the threads saw (e.g. atomic increments), for the tests.
std::uint64_t run_construct(Construct construct, int threads, int reps, std::uint64_t delay_steps);

// syncbench's reference for the construct: the same delays (or increments) with no construct.
std::uint64_t run_reference(Construct construct, int reps, std::uint64_t delay_steps);

}  // namespace flynn::mimd
