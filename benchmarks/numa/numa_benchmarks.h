#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "harness/topology.h"
#include "numa/buffers.h"
#include "numa/plan.h"

namespace flynn::numa {

enum class ChasePhase { warming, timing, done };

// The timed chase over `buffer` with its counters: ns_per_load, cycles_per_load, bytes and, where
// known, thp_pct. `phase`, when given, follows it, so work beside the chase can count its own
// share of the timed part alone.
void timed_chase(benchmark::State& state, ChaseBuffer& buffer, std::atomic<ChasePhase>* phase = nullptr);

// numa/chase/<pages>/bytes:<n> (the working-set sweep up to max_bytes) and
// numa/loaded_chase/normal_pages/bytes:<max_bytes>/streams:<k>
void register_latency_benchmarks(const Topology& topology, std::uint64_t max_bytes);
// numa/matrix_latency/chase/cpu_node:<a>/mem_node:<b> and
// numa/matrix_bandwidth/<read|triad>/cpu_node:<a>/mem_node:<b>, each over `bytes`
void register_matrix_benchmarks(const Topology& topology, const std::vector<NodePair>& pairs, std::uint64_t bytes);

}  // namespace flynn::numa
