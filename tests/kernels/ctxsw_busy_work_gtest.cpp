#include <gtest/gtest.h>

#include "ctxsw/busy_work.h"

namespace flynn::ctxsw {
namespace {

TEST(BusyWork, MatchesTheStepByStepChain) {
  std::uint64_t x = 7 | 1;
  for (std::uint64_t s = 0; s < 3 * kStepsPerWorkUnit; ++s) x = xorshift_step(x);
  EXPECT_EQ(busy_work(7, 3), x);
}

TEST(BusyWork, ZeroUnitsDoNothingAndZeroSeedStillMoves) {
  EXPECT_EQ(busy_work(4, 0), 5u);
  EXPECT_NE(busy_work(0, 1), 0u);
}

}  // namespace
}  // namespace flynn::ctxsw
