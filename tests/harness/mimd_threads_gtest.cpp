// Thread counts, their validation, binding, and the EPCC overhead arithmetic.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
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

// 64 threads per PU at most: 10^6 threads crashed inside GOMP_parallel.
TEST(ThreadCounts, BoundedByThePusAndNeverRepeated) {
  unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(counts_for("core:2 pu:1", {{"threads", "128"}}), (std::vector<int>{128}));
  for (const char* bad : {"129", "1000000", "99999999999", "1,1", "2,4,2"}) {
    EXPECT_THROW(counts_for("core:2 pu:1", {{"threads", bad}}), std::invalid_argument) << "--flynn_threads=" << bad;
  }
  EXPECT_EQ(counts_for("core:2 pu:2", {{"threads", "256"}}), (std::vector<int>{256}));  // 4 PUs
  setenv("OMP_NUM_THREADS", "129", 1);
  EXPECT_THROW(counts_for("core:2 pu:1"), std::invalid_argument);
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
  // subtraction the overhead would read 3 ms. A loaded machine only ever lengthens a sleep, so
  // the least overhead of a few samples is the one to bound; one sample overshot 2 ms while the
  // project was building on both cores.
  constexpr int kConstructs = 5;
  auto work = [] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); };
  double least_overhead_us = 1e300;
  double least_reference_us = 1e300;
  for (int sample_index = 0; sample_index < 5; ++sample_index) {
    const OverheadSample sample = time_overhead(
        kConstructs,
        [&] {
          for (int i = 0; i < kConstructs; ++i) work(), std::this_thread::sleep_for(std::chrono::milliseconds(1));
        },
        [&] {
          for (int i = 0; i < kConstructs; ++i) work();
        });
    least_overhead_us = std::min(least_overhead_us, sample.overhead_us());
    least_reference_us = std::min(least_reference_us, sample.reference_us());
  }
  EXPECT_GT(least_overhead_us, 900.0);
  EXPECT_LT(least_overhead_us, 2000.0);
  EXPECT_GT(least_reference_us, 1900.0);
}

}  // namespace
}  // namespace flynn::mimd
