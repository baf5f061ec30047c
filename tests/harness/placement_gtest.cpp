// Placement plans on machines we do not have, through hwloc's synthetic topologies.
#include <gtest/gtest.h>

#include "harness/placement.h"

namespace flynn {
namespace {

TEST(PlanPair, TwoSocketsWithSmt) {
  const Topology topology = Topology::synthetic("pack:2 core:2 pu:2");
  const PairPlan same = plan_pair(topology, Placement::same_cpu);
  EXPECT_TRUE(same.possible());
  EXPECT_EQ(same.first, same.second);

  const PairPlan smt = plan_pair(topology, Placement::smt);
  ASSERT_TRUE(smt.possible());
  EXPECT_EQ(smt.first, 0);
  EXPECT_EQ(smt.second, 1);  // the second PU of core 0

  const PairPlan cross_core = plan_pair(topology, Placement::cross_core);
  ASSERT_TRUE(cross_core.possible());
  EXPECT_EQ(cross_core.first, 0);
  EXPECT_EQ(cross_core.second, 2);  // core 1 of package 0, not a sibling, not another socket

  const PairPlan cross_package = plan_pair(topology, Placement::cross_package);
  ASSERT_TRUE(cross_package.possible());
  EXPECT_EQ(cross_package.first, 0);
  EXPECT_EQ(cross_package.second, 4);
}

TEST(PlanPair, OneCoreMachineSkipsWithReasons) {
  const Topology topology = Topology::synthetic("pack:1 core:1 pu:1");
  EXPECT_TRUE(plan_pair(topology, Placement::same_cpu).possible());
  EXPECT_EQ(plan_pair(topology, Placement::smt).skip_reason, "no SMT siblings: every core has 1 PU");
  EXPECT_EQ(plan_pair(topology, Placement::cross_core).skip_reason, "no package has 2 cores");
  EXPECT_EQ(plan_pair(topology, Placement::cross_package).skip_reason, "1 package");
  const PairPlan unpinned = plan_pair(topology, Placement::unpinned);
  EXPECT_TRUE(unpinned.possible());
  EXPECT_EQ(unpinned.first, PairPlan::kAnyCpu);
}

TEST(PlanPair, OneCorePerPackageCrossesPackagesOnly) {
  const Topology topology = Topology::synthetic("pack:2 core:1 pu:1");
  EXPECT_FALSE(plan_pair(topology, Placement::cross_core).possible());
  EXPECT_TRUE(plan_pair(topology, Placement::cross_package).possible());
}

TEST(Topology, SyntheticCountsAndBadDescription) {
  const Topology topology = Topology::synthetic("pack:2 numa:2 core:4 pu:2");
  EXPECT_EQ(topology.count(HWLOC_OBJ_PACKAGE), 2);
  EXPECT_EQ(topology.count(HWLOC_OBJ_NUMANODE), 4);
  EXPECT_EQ(topology.count(HWLOC_OBJ_PU), 32);
  EXPECT_THROW(Topology::synthetic("bogus:x"), std::invalid_argument);
}

}  // namespace
}  // namespace flynn
