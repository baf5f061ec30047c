#include "harness/clock.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace flynn {
namespace {

// An integer add has one cycle of latency on every x86 core since the P6 (and on current Arm
// cores), so a chain of dependent adds runs at exactly one add per cycle whatever the core's width.
constexpr int kAddsPerStep = 100;

// The empty asm makes every add's result opaque, so the compiler can neither fold the chain into
// one multiply nor break it; the step is a register operand, not an immediate, because some
// cores (Golden Cove) fold chains of add-immediate at rename and would run faster than 1 per cycle.
std::uint64_t add_chain(std::uint64_t steps, std::uint64_t step) {
  std::uint64_t x = 0;
  for (std::uint64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 128
    for (int i = 0; i < kAddsPerStep; ++i) {
      x += step;
      asm volatile("" : "+r"(x));
    }
  }
  return x;
}

double measure_once(std::uint64_t steps, std::uint64_t step) {
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t result = add_chain(steps, step);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  asm volatile("" : : "r"(result));
  return static_cast<double>(steps) * kAddsPerStep / elapsed.count();
}

double measure() {
  // Many short tries (~2 ms each at 3 GHz) rather than a few long ones: on a shared machine a
  // 20 ms try is rarely left alone, a 2 ms one often is, and the best try is the undisturbed one.
  constexpr std::uint64_t kSteps = 60'000;
  constexpr int kTries = 30;
  // The step is not a compile-time constant, so the chain cannot become steps * kAddsPerStep * 1.
  volatile std::uint64_t step_source = 1;
  const std::uint64_t step = step_source;
  measure_once(10 * kSteps, step);  // warm-up: lets the core leave a low-power state
  double best = 0;
  // An interrupt or a preemption only ever makes a try slower.
  for (int attempt = 0; attempt < kTries; ++attempt) best = std::max(best, measure_once(kSteps, step));
  return best;
}

}  // namespace

double estimated_clock_hz() {
  static const double hz = measure();
  return hz;
}

}  // namespace flynn
