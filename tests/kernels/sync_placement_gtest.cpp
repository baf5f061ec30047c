#include <gtest/gtest.h>

#include <vector>

#include "sync/sync_benchmarks.h"

namespace flynn::sync {
namespace {

TEST(SyncPlacement, SpreadTakesOnePuOfEveryCoreFirst) {
  // Synthetic PUs are numbered in order: core 0 holds 0 and 1, core 1 holds 2 and 3, ...
  EXPECT_EQ(spread_cpus(Topology::synthetic("pack:1 core:2 pu:2")), (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(spread_cpus(Topology::synthetic("pack:2 core:2 pu:1")), (std::vector<int>{0, 1, 2, 3}));
}

TEST(SyncPlacement, ThreadCountsGoToTwiceTheCpus) {
  EXPECT_EQ(counter_thread_counts(1), (std::vector<int>{1, 2}));
  EXPECT_EQ(counter_thread_counts(2), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(counter_thread_counts(6), (std::vector<int>{1, 2, 4, 6, 8, 12}));
}

}  // namespace
}  // namespace flynn::sync
