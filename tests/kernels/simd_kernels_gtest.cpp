// Every compiled variant of every simd kernel (auto and each instruction set this CPU has) equals
// the scalar reference, and the reference equals a long-double computation, on random inputs of
// awkward lengths at every start offset within a vector.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "simd/variants.h"

namespace flynn::simd {
namespace {

constexpr std::size_t kLengths[] = {0, 1, 3, 17, 1001};
constexpr std::size_t kMaxOffset = 3;
constexpr float kSentinel = 42;

// Results may differ in summation order (lanes, accumulators) and in rounding (FMA or not): by
// at most about (n + roundings per term) unit roundoffs of the sum of |terms| on each side, so
// twice that bounds the difference (Higham, Accuracy and Stability, ch. 3 and 5).
template <class T>
long double tolerance(std::size_t n, long double abs_sum) {
  return 2.0L * static_cast<long double>(n + 2 * kPolyDegree + 2) * std::numeric_limits<T>::epsilon() * abs_sum +
         std::numeric_limits<T>::min();
}

template <class T>
void expect_close(T got, T reference, long double exact, long double abs_sum, std::size_t n) {
  const auto tol = static_cast<double>(tolerance<T>(n, abs_sum));
  EXPECT_NEAR(got, reference, tol) << "variant vs scalar reference";
  EXPECT_NEAR(reference, static_cast<double>(exact), tol) << "scalar reference vs long double";
}

struct Terms {
  long double exact = 0;
  long double abs_sum = 0;
};

// Horner's error scale for exp's Taylor polynomial: sum over k of |x|^k / k!.
long double poly_terms(long double x, long double* abs_scale) {
  long double value = 0, power = 1, factorial = 1;
  *abs_scale = 0;
  for (int k = 0; k <= kPolyDegree; ++k) {
    if (k > 0) factorial *= k;
    value += power / factorial;
    *abs_scale += std::fabs(power) / factorial;
    power *= x;
  }
  return value;
}

class SimdKernels : public ::testing::TestWithParam<Variant> {};

template <class T>
void check_array_kernels(const Variant& variant) {
  const KernelSet<T>& reference = kVariants[0].kernels<T>();
  const KernelSet<T>& kernels = variant.kernels<T>();
  std::mt19937 random(42);
  std::uniform_real_distribution<T> uniform(-1, 1);
  for (std::size_t n : kLengths) {
    for (std::size_t offset = 0; offset <= kMaxOffset; ++offset) {
      SCOPED_TRACE("n=" + std::to_string(n) + " offset=" + std::to_string(offset));
      std::vector<T> xv(n + kMaxOffset + 1), yv(xv.size()), a(xv.size(), kSentinel), a_ref(xv.size(), kSentinel);
      for (T& value : xv) value = uniform(random);
      for (T& value : yv) value = uniform(random);
      const T* x = xv.data() + offset;
      const T* y = yv.data() + offset;

      Terms sum, dot, poly;
      for (std::size_t i = 0; i < n; ++i) {
        sum.exact += x[i];
        sum.abs_sum += std::fabs(static_cast<long double>(x[i]));
        dot.exact += static_cast<long double>(x[i]) * y[i];
        dot.abs_sum += std::fabs(static_cast<long double>(x[i]) * y[i]);
        long double scale = 0;
        poly.exact += poly_terms(x[i], &scale);
        poly.abs_sum += scale;
      }
      expect_close<T>(kernels.sum(x, n), reference.sum(x, n), sum.exact, sum.abs_sum, n);
      expect_close<T>(kernels.dot(x, y, n), reference.dot(x, y, n), dot.exact, dot.abs_sum, n);
      expect_close<T>(kernels.poly(x, n), reference.poly(x, n), poly.exact, poly.abs_sum, n);

      const T s = T(0.75);
      kernels.triad(a.data() + offset, x, y, s, n);
      reference.triad(a_ref.data() + offset, x, y, s, n);
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i < offset || i >= offset + n) {
          EXPECT_EQ(a[i], T(kSentinel)) << "triad wrote outside its range at " << i;
          continue;
        }
        const long double exact = x[i - offset] + static_cast<long double>(s) * y[i - offset];
        const long double abs_sum = std::fabs(static_cast<long double>(x[i - offset])) +
                                    std::fabs(static_cast<long double>(s) * y[i - offset]);
        expect_close<T>(a[i], a_ref[i], exact, abs_sum, 1);
      }
    }
  }
}

template <class T>
void check_fma_peak(const Variant& variant) {
  const KernelSet<T>& reference = kVariants[0].kernels<T>();
  const KernelSet<T>& kernels = variant.kernels<T>();
  for (int chains : kFmaChains) {
    for (std::size_t rounds : {0, 1, 3, 100}) {
      SCOPED_TRACE("chains=" + std::to_string(chains) + " rounds=" + std::to_string(rounds));
      const T seed = T(0.3);
      Terms terms;
      for (int c = 0; c < chains; ++c) {
        long double x = static_cast<long double>(seed) + c;
        for (std::size_t r = 0; r < rounds; ++r) x = x * 0.5L + 1;
        terms.exact += x;
        terms.abs_sum += std::fabs(x);
      }
      expect_close<T>(kernels.fma_peak(seed, rounds, chains), reference.fma_peak(seed, rounds, chains), terms.exact,
                      terms.abs_sum, static_cast<std::size_t>(chains));
    }
  }
  EXPECT_TRUE(std::isnan(kernels.fma_peak(T(1), 1, 3))) << "3 chains are not compiled in";
}

TEST_P(SimdKernels, ArrayKernelsF32) {
  if (!runs_here(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam().isa;
  check_array_kernels<float>(GetParam());
}

TEST_P(SimdKernels, ArrayKernelsF64) {
  if (!runs_here(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam().isa;
  check_array_kernels<double>(GetParam());
}

TEST_P(SimdKernels, FmaPeakF32) {
  if (!runs_here(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam().isa;
  check_fma_peak<float>(GetParam());
}

TEST_P(SimdKernels, FmaPeakF64) {
  if (!runs_here(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam().isa;
  check_fma_peak<double>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Isa, SimdKernels, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant>& param) { return std::string(param.param.isa); });

}  // namespace
}  // namespace flynn::simd
