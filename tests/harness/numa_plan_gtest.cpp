// The NUMA matrix's plan on machines we do not have (hwloc synthetic topologies and the XML of a
// two-socket server), and the placement check on this one.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <numeric>
#include <stdexcept>
#include <utility>
#include <vector>

#include "numa/plan.h"
#include "numa/region.h"

namespace flynn::numa {
namespace {

std::vector<int> range(int first, int count) {
  std::vector<int> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), first);
  return v;
}

std::vector<std::pair<int, int>> node_pairs(const std::vector<NodePair>& plan) {
  std::vector<std::pair<int, int>> pairs;
  for (const NodePair& pair : plan) pairs.emplace_back(pair.cpu_node, pair.mem_node);
  return pairs;
}

TEST(PlanNodePairs, OneNodeRunsTheLocalPairAndSkipsTheRemoteOne) {
  const std::vector<NodePair> plan = plan_node_pairs(Topology::synthetic("pack:1 numa:1 core:4 pu:1"));
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(node_pairs(plan), (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}}));
  EXPECT_TRUE(plan[0].skip_reason.empty());
  EXPECT_EQ(plan[0].cpus, range(0, 4));
  EXPECT_TRUE(plan[1].remote());
  EXPECT_EQ(plan[1].skip_reason, "1 NUMA node");
}

TEST(PlanNodePairs, TwoNodesGiveEveryPairWithEachNodesCpus) {
  const std::vector<NodePair> plan = plan_node_pairs(Topology::synthetic("pack:2 numa:1 core:4 pu:2"));
  EXPECT_EQ(node_pairs(plan), (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  for (const NodePair& pair : plan) {
    EXPECT_TRUE(pair.skip_reason.empty());
    EXPECT_EQ(pair.cpus, range(pair.cpu_node * 8, 8)) << "cpu node " << pair.cpu_node;
  }
}

TEST(PlanNodePairs, FourNodesSixteenPairsTwelveRemote) {
  const std::vector<NodePair> plan = plan_node_pairs(Topology::synthetic("pack:2 numa:2 core:2 pu:1"));
  ASSERT_EQ(plan.size(), 16u);
  int remote = 0;
  for (const NodePair& pair : plan) {
    remote += pair.remote();
    EXPECT_EQ(pair.cpus, range(pair.cpu_node * 2, 2)) << "cpu node " << pair.cpu_node;
  }
  EXPECT_EQ(remote, 12);
}

TEST(PlanNodePairs, SelectedNodesOnlyAndUnknownNodesRefused) {
  const Topology topology = Topology::synthetic("pack:2 numa:2 core:2 pu:1");
  EXPECT_EQ(node_pairs(plan_node_pairs(topology, {1, 3})),
            (std::vector<std::pair<int, int>>{{1, 1}, {1, 3}, {3, 1}, {3, 3}}));
  EXPECT_THROW(plan_node_pairs(topology, {0, 7}), std::invalid_argument);
}

TEST(PlanNodePairs, TwoSocketServerXml) {
  const Topology topology = Topology::from_xml(FLYNN_TEST_DATA_DIR "/two_socket.xml");
  EXPECT_EQ(numa_nodes(topology), (std::vector<int>{0, 1}));
  const std::vector<NodePair> plan = plan_node_pairs(topology);
  EXPECT_EQ(node_pairs(plan), (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  EXPECT_EQ(plan[0].cpus, range(0, 16));   // 8 cores x 2 PUs on socket 0
  EXPECT_EQ(plan[2].cpus, range(16, 16));  // and on socket 1
}

// Placement: where this machine's kernel says the pages are.
TEST(CountPagesOnNode, AllTouchedPagesOfABoundRegionAreOnItsNode) {
  const Region region(1 << 20, PageKind::normal, 0);
  for (std::size_t i = 0; i < region.bytes(); i += 4096) region.data()[i] = std::byte{1};
  const PageCount count = count_pages_on_node(region.data(), region.bytes(), 0);
  EXPECT_EQ(count.pages, region.bytes() / static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(count.on_node, count.pages);
  EXPECT_EQ(count.percent(), 100.0);
}

TEST(CountPagesOnNode, UntouchedPagesAreNotOnTheNode) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const Region region(4 * page, PageKind::normal);
  region.data()[0] = std::byte{1};
  region.data()[2 * page] = std::byte{1};
  const PageCount count = count_pages_on_node(region.data(), 4 * page, 0);
  EXPECT_EQ(count.pages, 4u);
  EXPECT_EQ(count.on_node, 2u);
  EXPECT_EQ(count.percent(), 50.0);
  EXPECT_EQ(count_pages_on_node(region.data(), 4 * page, 1).on_node, 0u);  // no page is on another node
}

TEST(ThpPercent, NormalPagesAreNeverHuge) {
  const Region region(4 << 20, PageKind::normal);
  for (std::size_t i = 0; i < region.bytes(); i += 4096) region.data()[i] = std::byte{1};
  ASSERT_TRUE(thp_percent(region).has_value());
  EXPECT_EQ(*thp_percent(region), 0.0);
}

}  // namespace
}  // namespace flynn::numa
