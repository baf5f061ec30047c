// The SISD-vs-SIMD kernels, each written once as a member of Kernels<Arch, T>: Arch is an xsimd
// architecture, or one of the two plain-loop tags below. Every Arch is explicitly instantiated in
// its own translation unit compiled with only that instruction set's flags (kernels_<isa>.cpp),
// so one binary carries all of them and the benchmark picks what the CPU has at run time.
#pragma once

#include <xsimd/xsimd.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace flynn::simd {

// A plain C++ loop compiled with auto-vectorisation off: the SISD column and the reference.
struct scalar {};
// The same plain loop, which GCC may vectorise at -O3 for the x86-64 baseline (SSE2 only).
struct autovec {};

enum class KernelId { fma_peak, triad, dot, sum, poly };

// Declared once per kernel (likwid-bench style); every counter is derived from these.
struct KernelTraits {
  KernelId id;
  std::string_view name;
  int arrays_read;
  int arrays_written;
  int flops_per_element;  // for fma_peak: per lane, chain and round
};

// Degree of poly's Horner polynomial: enough flops per byte loaded to be compute-bound in L1.
inline constexpr int kPolyDegree = 10;

inline constexpr std::array kKernelTraits = {
    KernelTraits{KernelId::fma_peak, "fma_peak", 0, 0, 2},
    KernelTraits{KernelId::triad, "triad", 2, 1, 2},
    KernelTraits{KernelId::dot, "dot", 2, 0, 2},
    KernelTraits{KernelId::sum, "sum", 1, 0, 1},
    KernelTraits{KernelId::poly, "poly", 1, 0, 2 * kPolyDegree + 1},
};

// Independent accumulator chains fma_peak is compiled for. A chain waits FMA latency (4 cycles
// on current x86) between steps, so 2 FMA pipes need 8 chains to stay busy; 12 shows the plateau.
inline constexpr std::array<int, 5> kFmaChains = {1, 2, 4, 8, 12};

template <class Arch, class T>
struct Kernels {
  // Elements per vector register (1 for scalar; for autovec the 16-byte SSE2 vector GCC may use).
  static std::size_t lanes() noexcept;
  // `chains` independent chains x = x * 0.5 + 1 (per lane), started at seed + chain index, for
  // `rounds` rounds, all in registers. Returns the sum of the chains (one lane's worth).
  // `chains` must be one of kFmaChains; any other count returns NaN.
  static T fma_peak(T seed, std::size_t rounds, int chains) noexcept;
  // a[i] = b[i] + s * c[i]; returns a[n - 1] (0 for n = 0): the stores are the result.
  static T triad(T* a, const T* b, const T* c, T s, std::size_t n) noexcept;
  // sum of x[i] * y[i]
  static T dot(const T* x, const T* y, std::size_t n) noexcept;
  // sum of x[i]
  static T sum(const T* x, std::size_t n) noexcept;
  // sum of p(x[i]), p the degree-kPolyDegree Taylor polynomial of exp, by Horner's rule
  static T poly(const T* x, std::size_t n) noexcept;
};

// The instantiations, each in its own translation unit (kernels_<isa>.cpp) with its own flags.
extern template struct Kernels<scalar, float>;
extern template struct Kernels<scalar, double>;
extern template struct Kernels<autovec, float>;
extern template struct Kernels<autovec, double>;
extern template struct Kernels<xsimd::sse2, float>;
extern template struct Kernels<xsimd::sse2, double>;
extern template struct Kernels<xsimd::sse4_2, float>;
extern template struct Kernels<xsimd::sse4_2, double>;
extern template struct Kernels<xsimd::avx, float>;
extern template struct Kernels<xsimd::avx, double>;
extern template struct Kernels<xsimd::fma3<xsimd::avx2>, float>;
extern template struct Kernels<xsimd::fma3<xsimd::avx2>, double>;
extern template struct Kernels<xsimd::avx512f, float>;
extern template struct Kernels<xsimd::avx512f, double>;

}  // namespace flynn::simd
