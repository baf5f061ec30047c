#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "sync/counter.h"
#include "sync/handoff.h"

namespace flynn::sync {
namespace {

// Runs `threads` threads of `increments` each with one strategy; returns the total it reached.
std::uint64_t count_with(const StrategyTraits& traits, int threads, std::uint64_t increments) {
  const auto shared = std::make_unique<SharedCounter>();
  std::vector<PackedLine> packed(static_cast<std::size_t>(threads / PackedLine::kSlots + 1));
  std::vector<PaddedSlot> padded(static_cast<std::size_t>(threads));
  auto slot = [&](int i) -> std::atomic<std::uint64_t>& {
    const auto n = static_cast<std::size_t>(i);
    if (traits.strategy == Strategy::packed_slots) return packed[n / PackedLine::kSlots].slots[n % PackedLine::kSlots];
    return padded[n].value;
  };
  std::atomic<int> ready{0};
  std::vector<std::thread> team;
  for (int i = 0; i < threads; ++i) {
    team.emplace_back([&, i] {
      // Start together, so the threads really overlap.
      ready.fetch_add(1);
      while (ready.load() < threads) {
      }
      increment(traits.strategy, *shared, slot(i), increments);
    });
  }
  for (auto& t : team) t.join();
  if (!traits.per_thread) return shared->value.load();
  std::uint64_t sum = 0;
  for (int i = 0; i < threads; ++i) sum += slot(i).load();
  return sum;
}

TEST(SyncCounter, SafeStrategiesReachTheExactTotal) {
  for (const StrategyTraits& traits : kStrategies) {
    if (!traits.exact) continue;
    for (int threads : {1, 2, 3, 5, 8, 9}) {
      // 9 threads spill the packed slots onto a second line.
      EXPECT_EQ(count_with(traits, threads, 20000), expected_total(threads, 20000))
          << traits.token << " with " << threads << " threads";
    }
  }
}

TEST(SyncCounter, RacyNeverExceedsTheTotalAndIsExactAlone) {
  const StrategyTraits& racy = kStrategies[0];
  ASSERT_EQ(racy.strategy, Strategy::racy);
  EXPECT_EQ(count_with(racy, 1, 50000), 50000u);
  for (int round = 0; round < 5; ++round) {
    for (int threads : {2, 4, 8}) EXPECT_LE(count_with(racy, threads, 50000), expected_total(threads, 50000));
  }
}

TEST(SyncCounter, StrategyTokensAreUniqueNameTokens) {
  for (std::size_t i = 0; i < kStrategies.size(); ++i) {
    for (std::size_t j = i + 1; j < kStrategies.size(); ++j) EXPECT_NE(kStrategies[i].token, kStrategies[j].token);
  }
}

TEST(SyncHandoff, TwoSidesAlternateToTheExactCount) {
  BouncedLine line;
  std::atomic<bool> stop{false};
  std::uint64_t partner_last = 0;
  std::thread partner([&] { partner_last = bounce(line, 1, 1000, stop); });
  const std::uint64_t mine = bounce(line, 0, 1000, stop);
  partner.join();
  // Side 0 writes the odd values 1..1999, side 1 the even ones 2..2000.
  EXPECT_EQ(mine, 1999u);
  EXPECT_EQ(partner_last, 2000u);
  EXPECT_EQ(line.value.load(), 2000u);
}

TEST(SyncHandoff, StopsWhenThePartnerNeverComes) {
  BouncedLine line;
  line.value.store(1);  // side 0 waits for the partner's step, which never comes
  const std::atomic<bool> stop{true};
  EXPECT_EQ(bounce(line, 0, 10, stop), 0u);
}

}  // namespace
}  // namespace flynn::sync
