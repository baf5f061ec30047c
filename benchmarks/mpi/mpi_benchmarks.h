// The families of flynn_mpi, each registered on every rank alike (the same names, in the same
// order), so that every rank runs the same benchmark at the same time.
#pragma once

#include <cstdint>
#include <vector>

#include "mpi/world.h"

namespace flynn::mpi {

// OSU's window: enough messages in flight to fill the pipe, one acknowledgement per window.
constexpr int kWindow = 64;

// The sizes of the point-to-point benchmarks: 0 (pingpong only) and 1 B, doubling, to max_bytes.
std::vector<std::uint64_t> point_to_point_sizes(std::uint64_t max_bytes, bool with_zero);
// The sizes of the collectives: 8 B, x4, to the smaller of 1 MiB and max_bytes.
std::vector<std::uint64_t> collective_sizes(std::uint64_t max_bytes);
// The rank counts of the collectives: 2, 4, 8, ... below `size`, and `size`.
std::vector<int> collective_rank_counts(int size);

void register_point_to_point_benchmarks(const World& world, std::uint64_t max_bytes);
void register_pair_benchmarks(const World& world);
void register_collective_benchmarks(const World& world, std::uint64_t max_bytes);
// Ranks x OpenMP threads, `thread_counts` being rank 0's (every rank must register the same).
void register_hybrid_benchmarks(const World& world, const std::vector<int>& thread_counts);

}  // namespace flynn::mpi
