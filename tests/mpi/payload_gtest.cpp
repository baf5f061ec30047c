#include "mpi/payload.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace flynn::mpi {
namespace {

// Awkward sizes: empty, below one word, word-straddling, a page and a byte.
const std::size_t kSizes[] = {0, 1, 7, 8, 9, 15, 63, 4097};

TEST(Payload, FillMatchesTheReferenceByteByByte) {
  for (std::size_t bytes : kSizes) {
    std::vector<std::byte> data(bytes);
    fill_payload(data.data(), bytes, 42);
    for (std::size_t i = 0; i < bytes; ++i) ASSERT_EQ(data[i], payload_byte(42, i)) << bytes << " " << i;
    EXPECT_EQ(first_wrong_byte(data.data(), bytes, 42), bytes);
  }
}

TEST(Payload, EveryWrongByteIsFoundAtItsIndex) {
  for (std::size_t bytes : kSizes) {
    std::vector<std::byte> data(bytes);
    for (std::size_t i = 0; i < bytes; ++i) {
      fill_payload(data.data(), bytes, 7);
      data[i] ^= std::byte{0x01};
      ASSERT_EQ(first_wrong_byte(data.data(), bytes, 7), i) << bytes;
    }
  }
}

TEST(Payload, AnotherSeedOrAShiftedBufferFails) {
  std::vector<std::byte> data(4097);
  fill_payload(data.data(), data.size(), message_seed(3, 0, 1));
  // Last iteration's message, another sender's, another slot's: a stale or misrouted buffer.
  EXPECT_LT(first_wrong_byte(data.data(), data.size(), message_seed(2, 0, 1)), 8u);
  EXPECT_LT(first_wrong_byte(data.data(), data.size(), message_seed(3, 1, 1)), 8u);
  EXPECT_LT(first_wrong_byte(data.data(), data.size(), message_seed(3, 0, 2)), 8u);
  // Off by one byte (a torn or shifted receive).
  EXPECT_LT(first_wrong_byte(data.data() + 1, data.size() - 1, message_seed(3, 0, 1)), 8u);
  // An all-zero buffer (nothing arrived).
  std::vector<std::byte> zeros(64);
  EXPECT_LT(first_wrong_byte(zeros.data(), zeros.size(), message_seed(3, 0, 1)), 8u);
}

TEST(Payload, SumOfContributionsIsTheClosedForm) {
  for (int ranks : {1, 2, 3, 4, 7}) {
    const std::size_t count = 33;
    std::vector<std::uint64_t> sum(count, 0), mine(count);
    for (int r = 0; r < ranks; ++r) {
      fill_sum_contribution(mine.data(), count, ~std::uint64_t{0} - 5, r);  // wraps, as MPI's sum does
      for (std::size_t k = 0; k < count; ++k) sum[k] += mine[k];
    }
    EXPECT_EQ(first_wrong_sum(sum.data(), count, ~std::uint64_t{0} - 5, ranks), count) << ranks;
    // One rank missing from the sum is caught.
    for (std::size_t k = 0; k < count; ++k) sum[k] -= mine[k];
    EXPECT_EQ(first_wrong_sum(sum.data(), count, ~std::uint64_t{0} - 5, ranks), 0u) << ranks;
  }
}

}  // namespace
}  // namespace flynn::mpi
