#pragma once

#include <cstdint>
#include <vector>

#include "harness/options.h"
#include "harness/topology.h"

namespace flynn::mimd {

// mimd/<compute|copy|scale|add|triad|mixed>/<strong|weak>/threads:<t>
void register_scaling_benchmarks(const Topology& topology, const std::vector<int>& threads,
                                 std::uint64_t stream_array_bytes);
// mimd/schedule/<static|dynamic|guided>/cost:<triangular|random>/chunk:<c>/threads:<t>
void register_schedule_benchmarks(const std::vector<int>& threads);
// mimd/overhead/<construct>/threads:<t>
void register_overhead_benchmarks(const std::vector<int>& threads);

}  // namespace flynn::mimd
