// Thread counts, their validation, binding, and the EPCC overhead arithmetic.
#include <gtest/gtest.h>
#include <omp.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "mimd/epcc.h"
#include "mimd/threads.h"

namespace flynn::mimd {
namespace {

std::vector<int> counts_for(const char* synthetic, std::map<std::string, std::string> flags = {}) {
  Options options = Options::from(std::move(flags));
  return thread_counts(Topology::synthetic(synthetic), options);
}

TEST(ThreadCounts, PowersOfTwoToTheCoresThenOversubscribed) {
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(counts_for("pack:2 core:8 pu:2"), (std::vector<int>{1, 2, 4, 8, 16, 32}));
  EXPECT_EQ(counts_for("core:6 pu:1"), (std::vector<int>{1, 2, 4, 6, 12}));
  EXPECT_EQ(counts_for("core:1 pu:1"), (std::vector<int>{1, 2}));
  EXPECT_EQ(counts_for("core:2 pu:1", {{"threads", "3,1"}}), (std::vector<int>{3, 1}));
}

TEST(ThreadCounts, ZeroOrJunkIsAnError) {
  unsetenv("OMP_NUM_THREADS");
  EXPECT_THROW(counts_for("core:2 pu:1", {{"threads", "0"}}), std::invalid_argument);
  EXPECT_THROW(counts_for("core:2 pu:1", {{"threads", "-2"}}), std::invalid_argument);
  for (const char* bad : {"0", "-1", "two", ""}) {
    setenv("OMP_NUM_THREADS", bad, 1);
    EXPECT_THROW(counts_for("core:2 pu:1"), std::invalid_argument) << "OMP_NUM_THREADS=" << bad;
  }
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(counts_for("core:2 pu:1"), (std::vector<int>{1, 2, 3, 6}));  // above the cores: documented oversubscription
  unsetenv("OMP_NUM_THREADS");
}

// ctest runs this test with OMP_PLACES=cores and OMP_PROC_BIND=close (tests/CMakeLists.txt).
TEST(Binding, RequestedThreadsRunInsideTheirPlaces) {
  ASSERT_GT(omp_get_num_places(), 0) << "OMP_PLACES is not set for this test";
  for (int threads = 1; threads <= omp_get_num_places(); ++threads) {
    const BindingCheck check = check_binding(threads);
    EXPECT_EQ(check.threads_seen, threads);
    EXPECT_EQ(check.threads_in_place, threads);
  }
  EXPECT_EQ(check_binding(2 * omp_get_num_places() + 1).threads_seen, 2 * omp_get_num_places() + 1);
}

TEST(Overhead, SubtractsTheReferenceLoop) {
  const OverheadSample arithmetic{3.0, 1.0, 1000};
  EXPECT_DOUBLE_EQ(arithmetic.overhead_us(), 2000.0);
  EXPECT_DOUBLE_EQ(arithmetic.reference_us(), 1000.0);
  // A "construct" that costs a known 1 ms more than its 2 ms reference work. Without the
  // subtraction the overhead would read 3 ms; the bounds leave a loaded machine 1 ms of slack.
  constexpr int kConstructs = 5;
  auto work = [] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); };
  const OverheadSample sample = time_overhead(
      kConstructs,
      [&] {
        for (int i = 0; i < kConstructs; ++i) work(), std::this_thread::sleep_for(std::chrono::milliseconds(1));
      },
      [&] {
        for (int i = 0; i < kConstructs; ++i) work();
      });
  EXPECT_GT(sample.overhead_us(), 900.0);
  EXPECT_LT(sample.overhead_us(), 2000.0);
  EXPECT_GT(sample.reference_us(), 1900.0);
}

}  // namespace
}  // namespace flynn::mimd
