// The payloads of flynn_mpi's messages: a pattern that depends on a seed (the iteration, the
// sender, the slot) and on every byte's position, so that a lost, stale, shifted or torn message
// fails its check. Filled and checked outside the timed region.
#pragma once

#include <cstddef>
#include <cstdint>

namespace flynn::mpi {

// The seed of one message: distinct for each (iteration, sender, slot) a benchmark uses.
std::uint64_t message_seed(std::uint64_t iteration, std::uint64_t sender, std::uint64_t slot);

// Writes the pattern of `seed` over data[0, bytes).
void fill_payload(std::byte* data, std::size_t bytes, std::uint64_t seed);
// The index of the first byte of data[0, bytes) that is not the pattern of `seed`; `bytes` when
// every byte is.
std::size_t first_wrong_byte(const std::byte* data, std::size_t bytes, std::uint64_t seed);
// The reference: byte `index` of the pattern of `seed`.
std::byte payload_byte(std::uint64_t seed, std::size_t index);

// An allreduce (MPI_SUM over MPI_UINT64_T) whose answer is known: rank r contributes
// (seed + k) * (r + 1) at element k, so the sum over `ranks` ranks is (seed + k) * ranks * (ranks + 1) / 2
// (modulo 2^64, as MPI's unsigned sum wraps).
void fill_sum_contribution(std::uint64_t* data, std::size_t count, std::uint64_t seed, int rank);
// The index of the first element that is not that sum; `count` when all are.
std::size_t first_wrong_sum(const std::uint64_t* data, std::size_t count, std::uint64_t seed, int ranks);

}  // namespace flynn::mpi
