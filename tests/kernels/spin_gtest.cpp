#include <gtest/gtest.h>

#include "common/spin.h"

namespace flynn {
namespace {

TEST(Spin, MatchesTheStepByStepChain) {
  std::uint64_t x = 7 | 1;
  for (int s = 0; s < 3000; ++s) x = xorshift_step(x);
  EXPECT_EQ(spin(7, 3000), x);
}

TEST(Spin, ZeroStepsDoNothingAndZeroSeedStillMoves) {
  EXPECT_EQ(spin(4, 0), 5u);
  EXPECT_NE(spin(0, 1), 0u);
  EXPECT_NE(spin(0, 1), 1u);
}

}  // namespace
}  // namespace flynn
