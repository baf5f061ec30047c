#include <gtest/gtest.h>

#include "harness/clock.h"

namespace flynn {
namespace {

TEST(Clock, EstimateIsAPlausibleCoreClock) {
  const double hz = estimated_clock_hz();
  // From a slow VM core in a power-saving state to the fastest turbo clocks shipped.
  EXPECT_GT(hz, 0.5e9);
  EXPECT_LT(hz, 7e9);
  EXPECT_EQ(estimated_clock_hz(), hz) << "the estimate is measured once and cached";
}

}  // namespace
}  // namespace flynn
