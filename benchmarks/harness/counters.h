// Counter helpers, so every area derives its figures the same way from Google Benchmark's own
// timing (real time where the benchmark says UseRealTime) instead of timing by hand.
#pragma once

#include <benchmark/benchmark.h>

#include "harness/clock.h"

namespace flynn {

// Nanoseconds per event when every iteration performs `events_per_iteration` events.
inline benchmark::Counter ns_per_event(double events_per_iteration) {
  // The library reports value * iterations / seconds; inverted, with the value scaled by 1e-9,
  // that is nanoseconds per event.
  return benchmark::Counter(events_per_iteration * 1e-9,
                            benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Nanoseconds per event for a total count over the whole timed run.
inline benchmark::Counter ns_per_total_event(double events) {
  return benchmark::Counter(events * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Events per second for a total count over the whole timed run.
inline benchmark::Counter per_second(double events) { return benchmark::Counter(events, benchmark::Counter::kIsRate); }

// Events per second when every iteration performs `events_per_iteration` events.
inline benchmark::Counter per_second_per_iteration(double events_per_iteration) {
  return benchmark::Counter(events_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

// Events per core cycle when every iteration performs `events_per_iteration` events: the rate
// scaled by the harness's own clock estimate (clock.h), so turbo and VM clocks are what they are.
inline benchmark::Counter per_cycle_per_iteration(double events_per_iteration) {
  return per_second_per_iteration(events_per_iteration / estimated_clock_hz());
}

// Core cycles per event when every iteration performs `events_per_iteration` events: ns_per_event
// times the harness's clock estimate (clock.h) / 1e9, as an inverted rate like ns_per_event.
inline benchmark::Counter cycles_per_event(double events_per_iteration) {
  return benchmark::Counter(events_per_iteration / estimated_clock_hz(),
                            benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// A skipped benchmark: Google Benchmark 1.7 has no "skip" state, so the reason travels as an
// error message with this prefix, which scripts/ read as "skipped", not "failed".
inline void skip(benchmark::State& state, const std::string& reason) {
  state.SkipWithError(("skipped: " + reason).c_str());
}

}  // namespace flynn
