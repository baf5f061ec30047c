// Every doorbell, between threads and between processes, completes N round trips in order.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "ctxsw/doorbell.h"
#include "ctxsw/partner.h"
#include "ctxsw/ping_pong.h"
#include "harness/shared_memory.h"

namespace flynn::ctxsw {
namespace {

constexpr std::uint64_t kRoundTrips = 2000;

template <class Bell>
struct Pair {
  Bell to_partner;
  Bell to_initiator;
  std::uint64_t answered = 0;
};

template <class Bell>
class PingPongTest : public ::testing::Test {};

using Bells = ::testing::Types<FutexBell, PipeBell, EventfdBell, CondvarBell, YieldBell>;
TYPED_TEST_SUITE(PingPongTest, Bells);

template <class Bell>
void expect_round_trips_in_order(Model model) {
  const SharedObject<Pair<Bell>> pair;
  std::vector<std::byte> mine(4096), theirs(4096);
  Partner partner(model, [&] { pair->answered = answer_until_stop(pair->to_partner, pair->to_initiator, theirs); });
  std::uint64_t in_order = 0;
  for (std::uint64_t k = 0; k < kRoundTrips; ++k) in_order += round_trip(pair->to_partner, pair->to_initiator, k, mine);
  pair->to_partner.ring(kStop);
  partner.join();
  EXPECT_EQ(in_order, kRoundTrips);
  EXPECT_EQ(pair->answered, kRoundTrips);
  // Every one of the 64 lines was touched once per round trip (wrapping at 256).
  EXPECT_EQ(static_cast<unsigned>(mine[0]), kRoundTrips % 256);
  EXPECT_EQ(static_cast<unsigned>(mine[4032]), kRoundTrips % 256);
}

TYPED_TEST(PingPongTest, ThreadsCompleteAllRoundTripsInOrder) { expect_round_trips_in_order<TypeParam>(Model::threads); }

TYPED_TEST(PingPongTest, ProcessesCompleteAllRoundTripsInOrder) {
  if (!TypeParam::kProcessShared) GTEST_SKIP() << "this bell is not process-shared";
  expect_round_trips_in_order<TypeParam>(Model::processes);
}

TYPED_TEST(PingPongTest, AloneReturnsTheMessageRung) {
  TypeParam bell;
  std::vector<std::byte> none;
  for (std::uint64_t k = 0; k < 100; ++k) EXPECT_EQ(ring_and_take(bell, k, none), ping_message(k));
}

TEST(PingMessage, StaysBelowStopAndEven) {
  for (std::uint64_t k : {0ull, 1ull, 1ull << 30, (1ull << 31) - 1, 1ull << 40}) {
    EXPECT_LT(ping_message(k), kStop);
    EXPECT_LT(ping_message(k) + 1, kStop);
    EXPECT_EQ(ping_message(k) % 2, 0u);
  }
}

TEST(Touch, ReturnsSumOfIncrementedLines) {
  std::vector<std::byte> bytes(256);
  EXPECT_EQ(touch(bytes), 4u);  // four lines, each now 1
  EXPECT_EQ(touch(bytes), 8u);
  EXPECT_EQ(static_cast<unsigned>(bytes[1]), 0u);  // only the first byte of a line is written
}

}  // namespace
}  // namespace flynn::ctxsw
