// What each area's binary provides to the shared main.
#pragma once

#include "harness/options.h"
#include "harness/topology.h"

namespace flynn {

// Registers the area's benchmarks (benchmark::RegisterBenchmark) for this machine, taking the
// area's own flags from `options`. Throws std::invalid_argument for bad input, which main turns
// into one line on stderr and exit 2.
void register_area_benchmarks(const Topology& topology, Options& options);

}  // namespace flynn
