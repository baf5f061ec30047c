// Every MIMD kernel gives the serial result for 1..N threads and every schedule.
#include <gtest/gtest.h>
#include <omp.h>

#include <vector>

#include "common/spin.h"
#include "mimd/compute.h"
#include "mimd/constructs.h"
#include "mimd/imbalanced.h"
#include "mimd/stream.h"
#include "simd/kernels.h"

namespace flynn::mimd {
namespace {

constexpr int kMaxThreads = 5;  // more than this machine's cores: oversubscription must be right too
constexpr std::size_t kN = 10007;  // prime: the static blocks are uneven

struct Arrays {
  std::vector<double> a = std::vector<double>(kN), b = std::vector<double>(kN), c = std::vector<double>(kN);
  StreamArrays view() { return {a.data(), b.data(), c.data(), kN}; }
};

TEST(Stream, EveryOpMatchesTheSerialLoopForEveryThreadCount) {
  for (int threads = 1; threads <= kMaxThreads; ++threads) {
    Arrays arrays;
    stream_first_touch(arrays.view(), threads);
    for (std::size_t i = 0; i < kN; ++i) arrays.b[i] = static_cast<double>(i) * 0.5, arrays.c[i] = 3.0 - static_cast<double>(i);
    for (const StreamTraits& traits : kStreamOps) {
      stream(traits.op, arrays.view(), 3.0, threads);
      for (std::size_t i = 0; i < kN; ++i) {
        const double b = arrays.b[i], c = arrays.c[i];
        const double expected = traits.op == StreamOp::copy    ? b
                                : traits.op == StreamOp::scale ? 3.0 * b
                                : traits.op == StreamOp::add   ? b + c
                                                               : b + 3.0 * c;
        ASSERT_EQ(arrays.a[i], expected) << traits.token << " threads " << threads << " i " << i;
      }
    }
    mixed(arrays.view(), threads);
    const double x = arrays.b[77];
    EXPECT_EQ(arrays.a[77], (((0.5 * x + 0.25) * x + 0.125) * x + 0.0625) * x + 0.03125 + arrays.c[77]);
  }
}

TEST(Stream, FirstTouchWritesTheStreamStartValues) {
  Arrays arrays;
  stream_first_touch(arrays.view(), 3);
  EXPECT_EQ(arrays.a[kN - 1], 0.0);
  EXPECT_EQ(arrays.b[kN / 2], 1.0);
  EXPECT_EQ(arrays.c[0], 2.0);
}

TEST(Compute, ParallelPolyMatchesTheScalarReference) {
  std::vector<float> x(kN);
  for (std::size_t i = 0; i < kN; ++i) x[i] = static_cast<float>(i % 200) / 100.0f - 1.0f;
  const double reference = 3.0 * simd::Kernels<simd::scalar, float>::poly(x.data(), kN);
  for (int threads = 1; threads <= kMaxThreads; ++threads) {
    // float partial sums in a different order: agree to float precision of the total
    EXPECT_NEAR(parallel_poly(x.data(), kN, 3, threads), reference, 1e-4 * reference) << threads << " threads";
  }
  EXPECT_EQ(compute_flops_per_element(), 2 * simd::kPolyDegree + 1);
}

TEST(Imbalanced, ChecksumIsExactForEveryScheduleAndThreadCount) {
  for (const auto& cost : {triangular_cost(999, 50), random_cost(999, 50, 7)}) {
    std::uint64_t serial = 0;
    for (std::size_t i = 0; i < cost.size(); ++i) serial += spin(i, cost[i]);
    for (omp_sched_t kind : {omp_sched_static, omp_sched_dynamic, omp_sched_guided}) {
      for (int chunk : {0, 1, 7, 64}) {
        omp_set_schedule(kind, chunk);
        for (int threads = 1; threads <= kMaxThreads; ++threads) {
          std::vector<int> finished(static_cast<std::size_t>(threads), 0);
          EXPECT_EQ(imbalanced_loop(cost, threads, [&](int t) { ++finished[static_cast<std::size_t>(t)]; }), serial);
          for (int count : finished) EXPECT_EQ(count, 1);
        }
      }
    }
  }
}

TEST(Imbalanced, CostShapes) {
  const auto triangle = triangular_cost(1000, 100);
  EXPECT_EQ(triangle.front(), 0u);
  EXPECT_GT(triangle.back(), 190u);
  const auto random = random_cost(1000, 100, 1);
  EXPECT_EQ(random, random_cost(1000, 100, 1));  // fixed seed, same cost
  std::uint64_t sum = 0;
  for (auto c : random) sum += c;
  EXPECT_NEAR(static_cast<double>(sum) / 1000, 100, 10);
}

TEST(Constructs, EachRunsItsBodyTheExpectedNumberOfTimes) {
  constexpr int kReps = 60;
  for (int threads = 1; threads <= 3; ++threads) {
    const auto t = static_cast<std::uint64_t>(threads);
    EXPECT_EQ(run_construct(Construct::parallel, threads, kReps, 1), kReps * t);
    EXPECT_EQ(run_construct(Construct::for_loop, threads, kReps, 1), kReps * t);
    EXPECT_EQ(run_construct(Construct::parallel_for, threads, kReps, 1), kReps * t);
    EXPECT_EQ(run_construct(Construct::barrier, threads, kReps, 1), kReps * t);
    EXPECT_EQ(run_construct(Construct::single, threads, kReps, 1), static_cast<std::uint64_t>(kReps));
    // Lost updates here would mean the construct did not exclude.
    EXPECT_EQ(run_construct(Construct::critical, threads, kReps, 1), kReps / t * t);
    EXPECT_EQ(run_construct(Construct::lock, threads, kReps, 1), kReps / t * t);
    EXPECT_EQ(run_construct(Construct::atomic, threads, kReps, 1), kReps / t * t);
    EXPECT_EQ(run_construct(Construct::reduction, threads, kReps, 1), kReps * t);
  }
  EXPECT_EQ(run_reference(Construct::parallel, kReps, 1), static_cast<std::uint64_t>(kReps));
}

}  // namespace
}  // namespace flynn::mimd
