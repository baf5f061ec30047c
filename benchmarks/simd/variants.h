// The compiled variants of the simd kernels, one row per instruction set, and whether this CPU
// runs them. Shared by the benchmarks and the tests, so both cover exactly the same code.
#pragma once

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "harness/isa.h"
#include "simd/kernels.h"

namespace flynn::simd {

template <class T>
struct KernelSet {
  std::size_t (*lanes)();
  T (*fma_peak)(T seed, std::size_t rounds, int chains);
  T (*triad)(T* a, const T* b, const T* c, T s, std::size_t n);
  T (*dot)(const T* x, const T* y, std::size_t n);
  T (*sum)(const T* x, std::size_t n);
  T (*poly)(const T* x, std::size_t n);
};

template <class Arch, class T>
constexpr KernelSet<T> kernel_set() {
  using K = Kernels<Arch, T>;
  return {&K::lanes, &K::fma_peak, &K::triad, &K::dot, &K::sum, &K::poly};
}

struct Variant {
  std::string_view isa;  // "scalar", "auto", or a token of harness/isa.h
  KernelSet<float> f32;
  KernelSet<double> f64;

  template <class T>
  const KernelSet<T>& kernels() const {
    if constexpr (std::is_same_v<T, float>) {
      return f32;
    } else {
      return f64;
    }
  }
};

template <class Arch>
constexpr Variant variant(std::string_view isa) {
  return {isa, kernel_set<Arch, float>(), kernel_set<Arch, double>()};
}

inline constexpr std::array kVariants = {
    variant<scalar>("scalar"),
    variant<autovec>("auto"),
    variant<xsimd::sse2>("sse2"),
    variant<xsimd::sse4_2>("sse4_2"),
    variant<xsimd::avx>("avx"),
    variant<xsimd::fma3<xsimd::avx2>>("avx2"),
    variant<xsimd::avx512f>("avx512f"),
};

template <class T>
inline constexpr std::string_view kDtype = std::is_same_v<T, float> ? "f32" : "f64";

// Whether this CPU can run the variant: the plain loops always (x86-64 baseline), an instruction
// set when harness/isa.h's table says the CPU has it.
inline bool runs_here(const Variant& variant) {
  if (variant.isa == "scalar" || variant.isa == "auto") return true;
  for (const IsaToken& isa : kIsaTokens) {
    if (isa.token == variant.isa) return isa.supported(xsimd::available_architectures());
  }
  throw std::logic_error("simd variant '" + std::string(variant.isa) + "' is not in harness/isa.h");
}

}  // namespace flynn::simd
