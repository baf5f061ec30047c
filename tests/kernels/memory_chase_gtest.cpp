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

TEST(LinkRandomWithinGroups, OneCycleThatFinishesEachGroupBeforeTheNext) {
  // Whole groups, a partial last group, one group, a group of one line.
  struct Case { std::size_t count, group; };
  for (const Case c : {Case{64 * 16, 64}, Case{64 * 5 + 17, 64}, Case{40, 64}, Case{1, 64}, Case{2, 1}, Case{9, 3}}) {
    std::vector<ChaseNode> nodes(c.count);
    link_random_within_groups(nodes.data(), c.count, c.group, 3);
    SCOPED_TRACE(testing::Message() << "count " << c.count << " group " << c.group);
    expect_one_cycle(nodes);
    // Starting from a group's first node, the walk changes group exactly once per group.
    std::set<std::size_t> finished;
    const ChaseNode* p = nodes.data();
    for (std::size_t step = 0; step < c.count; ++step) {
      const std::size_t group = static_cast<std::size_t>(p - nodes.data()) / c.group;
      const std::size_t next_group = static_cast<std::size_t>(p->next - nodes.data()) / c.group;
      if (next_group != group) {
        EXPECT_TRUE(finished.insert(group).second) << "group " << group << " entered twice";
      }
      p = p->next;
    }
    const std::size_t groups = (c.count + c.group - 1) / c.group;
    EXPECT_EQ(finished.size(), groups == 1 ? 0 : groups);
  }
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
