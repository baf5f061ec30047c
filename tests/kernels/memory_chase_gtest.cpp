// The chase must be one cycle through every node, or part of the working set is never loaded
// and the sweep measures a smaller one than its name says.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "memory/chase.h"

namespace flynn::memory {
namespace {

// Walks from node 0 and requires every node exactly once before returning to node 0.
void expect_one_cycle(const std::vector<ChaseNode>& nodes) {
  std::vector<bool> seen(nodes.size());
  const ChaseNode* p = nodes.data();
  for (std::size_t step = 0; step < nodes.size(); ++step) {
    const auto index = static_cast<std::size_t>(p - nodes.data());
    ASSERT_LT(index, nodes.size()) << "left the buffer at step " << step;
    ASSERT_FALSE(seen[index]) << "node " << index << " visited twice, at step " << step;
    seen[index] = true;
    p = p->next;
  }
  EXPECT_EQ(p, nodes.data()) << "did not return to the start after " << nodes.size() << " loads";
}

TEST(LinkRandomCycle, OneCycleThroughEveryNode) {
  for (std::size_t count : {1, 2, 3, 64, 1000, 4096}) {
    for (std::uint64_t seed : {1, 42}) {
      std::vector<ChaseNode> nodes(count);
      link_random_cycle(nodes.data(), count, seed);
      SCOPED_TRACE(testing::Message() << "count " << count << " seed " << seed);
      expect_one_cycle(nodes);
    }
  }
}

TEST(LinkRandomCycle, NotASequentialWalkAndReproducible) {
  std::vector<ChaseNode> a(1024), b(1024), c(1024);
  link_random_cycle(a.data(), a.size(), 7);
  link_random_cycle(b.data(), b.size(), 7);
  link_random_cycle(c.data(), c.size(), 8);
  std::size_t sequential = 0, same_as_b = 0, same_as_c = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sequential += a[i].next == &a[(i + 1) % a.size()];
    same_as_b += (a[i].next - a.data()) == (b[i].next - b.data());
    same_as_c += (a[i].next - a.data()) == (c[i].next - c.data());
  }
  EXPECT_LT(sequential, 16u);  // a prefetcher would follow a mostly sequential walk
  EXPECT_EQ(same_as_b, a.size());
  EXPECT_LT(same_as_c, 16u);
}

// Walks from node 0 and requires every `stride`-th node exactly once, and no other node, before
// returning to node 0; returns the node indices in the order visited.
std::vector<std::size_t> expect_one_strided_cycle(const std::vector<ChaseNode>& nodes, std::size_t stride) {
  const std::size_t length = strided_nodes(nodes.size(), stride);
  std::vector<bool> seen(nodes.size());
  std::vector<std::size_t> order;
  const ChaseNode* p = nodes.data();
  for (std::size_t step = 0; step < length; ++step) {
    const auto index = static_cast<std::size_t>(p - nodes.data());
    if (index >= nodes.size()) {
      ADD_FAILURE() << "left the buffer at step " << step;
      return order;
    }
    EXPECT_EQ(index % stride, 0u) << "node " << index << " is off the stride, at step " << step;
    if (seen[index]) {
      ADD_FAILURE() << "node " << index << " visited twice, at step " << step;
      return order;
    }
    seen[index] = true;
    order.push_back(index);
    p = p->next;
  }
  EXPECT_EQ(p, nodes.data()) << "did not return to the start after " << length << " loads";
  return order;
}

// The group of each node visited, with consecutive repeats collapsed: each group must appear once.
std::vector<std::size_t> groups_in_order(const std::vector<std::size_t>& order, std::size_t group) {
  std::vector<std::size_t> groups;
  for (std::size_t index : order) {
    if (groups.empty() || groups.back() != index / group) groups.push_back(index / group);
  }
  return groups;
}

TEST(LinkRandomWithinGroups, OneCycleThatFinishesEachGroupBeforeTheNext) {
  // Whole groups, a partial last group, one group, a group of one line.
  struct Case { std::size_t count, group; };
  for (const Case c : {Case{64 * 16, 64}, Case{64 * 5 + 17, 64}, Case{40, 64}, Case{1, 64}, Case{2, 1}, Case{9, 3}}) {
    std::vector<ChaseNode> nodes(c.count);
    link_random_within_groups(nodes.data(), c.count, c.group, 1, 3);
    SCOPED_TRACE(testing::Message() << "count " << c.count << " group " << c.group);
    const std::vector<std::size_t> order = expect_one_strided_cycle(nodes, 1);
    ASSERT_EQ(order.size(), c.count);
    // Starting from a group's first node, the walk enters each group exactly once.
    const std::vector<std::size_t> groups = groups_in_order(order, c.group);
    EXPECT_EQ(groups.size(), (c.count + c.group - 1) / c.group);
    EXPECT_EQ(std::set<std::size_t>(groups.begin(), groups.end()).size(), groups.size()) << "a group entered twice";
  }
}

// page_groups' shape, google/multichase's default: 256 KiB groups, one line per 256 B.
constexpr std::size_t kGroupLines = (256 << 10) / kLineBytes;
constexpr std::size_t kStrideLines = 256 / kLineBytes;

TEST(LinkRandomWithinGroups, StridedGroupsAreOneCycleOnTheStrideThatFinishesEachGroupFirst) {
  // Whole groups; a partial last group that is not a multiple of the stride either; less than
  // one group; less than one stride.
  for (std::size_t count : {kGroupLines * 8, kGroupLines * 5 + kStrideLines * 7 + 3, kGroupLines / 2 + 1, std::size_t{3}}) {
    SCOPED_TRACE(testing::Message() << "count " << count);
    std::vector<ChaseNode> nodes(count);
    // The nodes off the stride must stay as they were: the chase never loads them.
    const ChaseNode untouched{reinterpret_cast<const ChaseNode*>(std::uintptr_t{0xdead})};
    for (ChaseNode& node : nodes) node = untouched;
    link_random_within_groups(nodes.data(), count, kGroupLines, kStrideLines, 5);
    const std::vector<std::size_t> order = expect_one_strided_cycle(nodes, kStrideLines);
    ASSERT_EQ(order.size(), strided_nodes(count, kStrideLines));
    for (std::size_t i = 0; i < count; ++i) {
      if (i % kStrideLines != 0) {
        ASSERT_EQ(nodes[i].next, untouched.next) << "node " << i << " off the stride was linked";
      }
    }
    // Every hop is a whole number of 256 B strides.
    for (std::size_t step = 0; step < order.size(); ++step) {
      const auto* from = reinterpret_cast<const char*>(&nodes[order[step]]);
      const auto* to = reinterpret_cast<const char*>(nodes[order[step]].next);
      EXPECT_EQ(static_cast<std::size_t>(to > from ? to - from : from - to) % 256, 0u) << "hop " << step;
    }
    // Every strided line of a group is loaded before the walk leaves it: each group entered once.
    const std::vector<std::size_t> groups = groups_in_order(order, kGroupLines);
    EXPECT_EQ(groups.size(), (count + kGroupLines - 1) / kGroupLines);
    EXPECT_EQ(std::set<std::size_t>(groups.begin(), groups.end()).size(), groups.size()) << "a group entered twice";
    // Within a group, random: few hops go to a neighbouring stride, as a stride prefetcher would follow.
    std::size_t neighbours = 0;
    for (std::size_t step = 0; step + 1 < order.size(); ++step) {
      neighbours += order[step + 1] == order[step] + kStrideLines || order[step] == order[step + 1] + kStrideLines;
    }
    EXPECT_LT(neighbours, order.size() / 64 + 2) << "a mostly sequential walk within groups";
  }
}

TEST(LinkRandomWithinGroups, StridedGroupsAreVisitedInRandomOrder) {
  const std::size_t groups = 64;
  std::vector<ChaseNode> nodes(kGroupLines * groups);
  link_random_within_groups(nodes.data(), nodes.size(), kGroupLines, kStrideLines, 9);
  const std::vector<std::size_t> order = groups_in_order(expect_one_strided_cycle(nodes, kStrideLines), kGroupLines);
  ASSERT_EQ(order.size(), groups);
  std::size_t neighbours = 0;
  for (std::size_t i = 0; i + 1 < order.size(); ++i) neighbours += order[i + 1] == order[i] + 1 || order[i] == order[i + 1] + 1;
  // A random cycle of 64 has about two such steps; a walk in address order, up or down, 63.
  EXPECT_LT(neighbours, 10u) << "groups visited mostly in address order";
  // Another seed, another order.
  std::vector<ChaseNode> other(nodes.size());
  link_random_within_groups(other.data(), other.size(), kGroupLines, kStrideLines, 10);
  EXPECT_NE(groups_in_order(expect_one_strided_cycle(other, kStrideLines), kGroupLines), order);
}

TEST(Chase, MatchesThePlainWalk) {
  std::vector<ChaseNode> nodes(333);
  link_random_cycle(nodes.data(), nodes.size(), 11);
  for (std::uint64_t loads : {0, 1, 7, 8, 9, 333, 1000}) {
    EXPECT_EQ(chase(nodes.data(), loads), chase_reference(nodes.data(), loads)) << loads << " loads";
  }
}

}  // namespace
}  // namespace flynn::memory
