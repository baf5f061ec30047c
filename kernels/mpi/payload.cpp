#include "mpi/payload.h"

#include <cstring>

namespace flynn::mpi {
namespace {

// splitmix64's finaliser: every input bit reaches every output bit, so neighbouring words and
// neighbouring seeds differ everywhere.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::uint64_t word(std::uint64_t seed, std::size_t word_index) { return mix(seed + 0x9e3779b97f4a7c15ull * (word_index + 1)); }

}  // namespace

std::uint64_t message_seed(std::uint64_t iteration, std::uint64_t sender, std::uint64_t slot) {
  return mix(mix(mix(iteration) ^ sender) ^ (slot + 1));
}

std::byte payload_byte(std::uint64_t seed, std::size_t index) {
  return static_cast<std::byte>(word(seed, index / 8) >> (8 * (index % 8)));
}

void fill_payload(std::byte* data, std::size_t bytes, std::uint64_t seed) {
  const std::size_t words = bytes / 8;
  for (std::size_t w = 0; w < words; ++w) {
    const std::uint64_t value = word(seed, w);
    std::memcpy(data + 8 * w, &value, 8);  // little-endian x86-64: byte i of the word is payload_byte
  }
  for (std::size_t i = 8 * words; i < bytes; ++i) data[i] = payload_byte(seed, i);
}

std::size_t first_wrong_byte(const std::byte* data, std::size_t bytes, std::uint64_t seed) {
  const std::size_t words = bytes / 8;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t value;
    std::memcpy(&value, data + 8 * w, 8);
    if (value != word(seed, w)) {
      for (std::size_t i = 8 * w;; ++i) {
        if (data[i] != payload_byte(seed, i)) return i;
      }
    }
  }
  for (std::size_t i = 8 * words; i < bytes; ++i) {
    if (data[i] != payload_byte(seed, i)) return i;
  }
  return bytes;
}

void fill_sum_contribution(std::uint64_t* data, std::size_t count, std::uint64_t seed, int rank) {
  const auto factor = static_cast<std::uint64_t>(rank) + 1;
  for (std::size_t k = 0; k < count; ++k) data[k] = (seed + k) * factor;
}

std::size_t first_wrong_sum(const std::uint64_t* data, std::size_t count, std::uint64_t seed, int ranks) {
  const auto p = static_cast<std::uint64_t>(ranks);
  const std::uint64_t factor = p * (p + 1) / 2;
  for (std::size_t k = 0; k < count; ++k) {
    if (data[k] != (seed + k) * factor) return k;
  }
  return count;
}

}  // namespace flynn::mpi
