// The bandwidth kernels against plain loops, on sizes around their unrolling.
#include <gtest/gtest.h>

#include <cstddef>
#include <numeric>
#include <vector>

#include "memory/stream.h"

namespace flynn::memory {
namespace {

constexpr std::size_t kAwkwardSizes[] = {0, 1, 7, 8, 9, 15, 16, 17, 1000, 1023};

// Small integers, so every summation order gives the exact same double.
std::vector<double> ramp(std::size_t n, double offset) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i % 97) + offset;
  return v;
}

TEST(ReadSum, EqualsAccumulate) {
  for (std::size_t n : kAwkwardSizes) {
    const std::vector<double> a = ramp(n, 1);
    EXPECT_EQ(read_sum(a.data(), n), std::accumulate(a.begin(), a.end(), 0.0)) << n;
  }
}

TEST(Triad, EqualsThePlainLoop) {
  for (std::size_t n : kAwkwardSizes) {
    const std::vector<double> b = ramp(n, 2), c = ramp(n, 5);
    std::vector<double> a(n + 1, -1.0);  // one past the end must stay untouched
    triad(a.data(), b.data(), c.data(), 3.0, n);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(a[i], b[i] + 3.0 * c[i]) << "n " << n << " i " << i;
    EXPECT_EQ(a[n], -1.0) << n;
  }
}

TEST(StreamTraits, BytesPerElement) {
  EXPECT_EQ(kReadTraits.bytes_per_element(), 8u);
  EXPECT_EQ(kTriadTraits.bytes_per_element(), 24u);  // STREAM's count for triad
}

}  // namespace
}  // namespace flynn::memory
