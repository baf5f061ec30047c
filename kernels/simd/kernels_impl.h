// The kernels' bodies, included only by the kernels_<isa>.cpp files that instantiate them. Each
// member has two branches: the plain loop a programmer writes (scalar and autovec, which differ
// only in their translation unit's flags) and the xsimd loop one writes by hand, with as many
// independent accumulators as a reduction needs to hide the add/FMA latency.
#pragma once

#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>

#include "simd/kernels.h"

namespace flynn::simd {
// Internal linkage on purpose: every kernels_<isa>.cpp compiles these helpers with other
// instruction-set flags, and one shared (weak) copy picked by the linker could put AVX-512 code
// into the scalar path. Arrays are plain C arrays for the same reason (no shared std::array code).
namespace {

template <class Arch>
constexpr bool kPlainLoop = std::is_same_v<Arch, scalar> || std::is_same_v<Arch, autovec>;

// Independent accumulators of the xsimd reductions: FMA latency 4 x 2 pipes on current x86.
constexpr std::size_t kReductionChains = 8;

struct PolyCoefficients {
  double highest_first[kPolyDegree + 1];
};

// 1/k!, highest degree first for Horner: exp's Taylor polynomial stays in [0.3, 2.8] on [-1, 1].
constexpr PolyCoefficients kPoly = [] {
  PolyCoefficients p{};
  double factorial = 1;
  for (int k = 0; k <= kPolyDegree; ++k) {
    if (k > 0) factorial *= k;
    p.highest_first[kPolyDegree - k] = 1 / factorial;
  }
  return p;
}();

template <class V>
struct Element {
  using type = V;
};
template <class T, class A>
struct Element<xsimd::batch<T, A>> {
  using type = T;
};

// a * b + c: one FMA where the instruction set has it, otherwise a multiply and an add.
template <class T>
T madd(T a, T b, T c) {
  return a * b + c;
}
template <class T, class A>
xsimd::batch<T, A> madd(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b, const xsimd::batch<T, A>& c) {
  return xsimd::fma(a, b, c);
}

template <class V, class T>
V poly_at(V x) {
  V p(static_cast<T>(kPoly.highest_first[0]));
#pragma GCC unroll 16
  for (int k = 1; k <= kPolyDegree; ++k) p = madd(p, x, V(static_cast<T>(kPoly.highest_first[k])));
  return p;
}

// `Chains` independent chains in registers; V is T or a batch (every lane runs the same chain).
template <int Chains, class V>
V run_chains(V seed, std::size_t rounds) {
  using T = typename Element<V>::type;
  const V half(T(0.5)), one(T(1));
  V x[Chains];
#pragma GCC unroll 16
  for (int c = 0; c < Chains; ++c) x[c] = seed + V(static_cast<T>(c));
  for (std::size_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 16
    for (int c = 0; c < Chains; ++c) x[c] = madd(x[c], half, one);
  }
  V total = x[0];
#pragma GCC unroll 16
  for (int c = 1; c < Chains; ++c) total = total + x[c];
  return total;
}

template <class V, std::size_t... I>
V run_chains_of(V seed, std::size_t rounds, int chains, std::index_sequence<I...>) {
  V result = V(std::numeric_limits<typename Element<V>::type>::quiet_NaN());
  ((chains == kFmaChains[I] ? (result = run_chains<kFmaChains[I]>(seed, rounds), true) : false) || ...);
  return result;
}

}  // namespace

template <class Arch, class T>
std::size_t Kernels<Arch, T>::lanes() noexcept {
  if constexpr (std::is_same_v<Arch, scalar>) {
    return 1;
  } else if constexpr (std::is_same_v<Arch, autovec>) {
    return 16 / sizeof(T);
  } else {
    return xsimd::batch<T, Arch>::size;
  }
}

template <class Arch, class T>
T Kernels<Arch, T>::fma_peak(T seed, std::size_t rounds, int chains) noexcept {
  using Indexes = std::make_index_sequence<kFmaChains.size()>;
  if constexpr (kPlainLoop<Arch>) {
    return run_chains_of(seed, rounds, chains, Indexes{});
  } else {
    using B = xsimd::batch<T, Arch>;
    // Lanes hold equal values, so the lane sum over a power-of-two lane count divides exactly.
    return xsimd::hadd(run_chains_of(B(seed), rounds, chains, Indexes{})) / static_cast<T>(B::size);
  }
}

template <class Arch, class T>
T Kernels<Arch, T>::triad(T* a, const T* b, const T* c, T s, std::size_t n) noexcept {
  std::size_t i = 0;
  if constexpr (!kPlainLoop<Arch>) {
    using B = xsimd::batch<T, Arch>;
    const B vs(s);
    for (; i + B::size <= n; i += B::size) {
      madd(vs, B::load_unaligned(c + i), B::load_unaligned(b + i)).store_unaligned(a + i);
    }
  }
  for (; i < n; ++i) a[i] = madd(s, c[i], b[i]);
  return n == 0 ? T(0) : a[n - 1];
}

template <class Arch, class T>
T Kernels<Arch, T>::dot(const T* x, const T* y, std::size_t n) noexcept {
  std::size_t i = 0;
  T total = 0;
  if constexpr (!kPlainLoop<Arch>) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t L = B::size;
    B acc[kReductionChains];
    for (auto& chain : acc) chain = B(T(0));
    for (; i + kReductionChains * L <= n; i += kReductionChains * L) {
#pragma GCC unroll 16
      for (std::size_t k = 0; k < kReductionChains; ++k) {
        acc[k] = madd(B::load_unaligned(x + i + k * L), B::load_unaligned(y + i + k * L), acc[k]);
      }
    }
    for (; i + L <= n; i += L) acc[0] = madd(B::load_unaligned(x + i), B::load_unaligned(y + i), acc[0]);
    for (std::size_t k = 1; k < kReductionChains; ++k) acc[0] = acc[0] + acc[k];
    total = xsimd::hadd(acc[0]);
  }
  for (; i < n; ++i) total = madd(x[i], y[i], total);
  return total;
}

template <class Arch, class T>
T Kernels<Arch, T>::sum(const T* x, std::size_t n) noexcept {
  std::size_t i = 0;
  T total = 0;
  if constexpr (!kPlainLoop<Arch>) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t L = B::size;
    B acc[kReductionChains];
    for (auto& chain : acc) chain = B(T(0));
    for (; i + kReductionChains * L <= n; i += kReductionChains * L) {
#pragma GCC unroll 16
      for (std::size_t k = 0; k < kReductionChains; ++k) acc[k] = acc[k] + B::load_unaligned(x + i + k * L);
    }
    for (; i + L <= n; i += L) acc[0] = acc[0] + B::load_unaligned(x + i);
    for (std::size_t k = 1; k < kReductionChains; ++k) acc[0] = acc[0] + acc[k];
    total = xsimd::hadd(acc[0]);
  }
  for (; i < n; ++i) total += x[i];
  return total;
}

template <class Arch, class T>
T Kernels<Arch, T>::poly(const T* x, std::size_t n) noexcept {
  std::size_t i = 0;
  T total = 0;
  if constexpr (!kPlainLoop<Arch>) {
    // One accumulator is enough: each element's 10 dependent FMAs are independent of the next
    // element's, so out-of-order execution overlaps them; the sum's add is not the bottleneck.
    using B = xsimd::batch<T, Arch>;
    B acc(T(0));
    for (; i + B::size <= n; i += B::size) acc = acc + poly_at<B, T>(B::load_unaligned(x + i));
    total = xsimd::hadd(acc);
  }
  for (; i < n; ++i) total += poly_at<T, T>(x[i]);
  return total;
}

}  // namespace flynn::simd
