// The one table of instruction-set tokens used in names and in the context. Tokens are ours,
// never a library's display name, so '/avx/' cannot also match '/avx512f/'.
#pragma once

#include <xsimd/xsimd.hpp>

#include <array>
#include <string_view>

namespace flynn {

struct IsaToken {
  std::string_view token;
  bool (*supported)(const xsimd::detail::supported_arch& cpu);
};

inline constexpr std::array kIsaTokens = {
    IsaToken{"sse2", [](const xsimd::detail::supported_arch& cpu) { return cpu.sse2 != 0; }},
    IsaToken{"sse4_2", [](const xsimd::detail::supported_arch& cpu) { return cpu.sse4_2 != 0; }},
    // xsimd 8.1 reads the AVX bit from CPUID leaf 0x80000001 instead of leaf 1, so its cpu.avx is 0
    // on every CPU; GCC's check reads leaf 1 and also asks whether the OS saves the ymm state.
    IsaToken{"avx",
             []([[maybe_unused]] const xsimd::detail::supported_arch& cpu) {
#if defined(__x86_64__) || defined(__i386__)
               return __builtin_cpu_supports("avx") != 0;
#else
               return cpu.avx != 0;
#endif
             }},
    // "avx2" means AVX2 with FMA3, as every AVX2 CPU has and xsimd's fma3<avx2> needs.
    IsaToken{"avx2", [](const xsimd::detail::supported_arch& cpu) { return cpu.fma3_avx2 != 0; }},
    IsaToken{"avx512f", [](const xsimd::detail::supported_arch& cpu) { return cpu.avx512f != 0; }},
    IsaToken{"neon64", [](const xsimd::detail::supported_arch& cpu) { return cpu.neon64 != 0; }},
};

}  // namespace flynn
