// The core clock, estimated by the harness itself: flops_per_cycle needs cycles, and neither
// /proc/cpuinfo (the nominal or a momentary frequency) nor a VM's TSC gives the running clock.
#pragma once

namespace flynn {

// Cycles per second of the calling core, measured once (about 80 ms) and cached.
double estimated_clock_hz();

// How estimated_clock_hz() measures, for the results' context.
inline constexpr const char* kClockEstimateMethod = "dependent add chain, 1 cycle per add";

}  // namespace flynn
