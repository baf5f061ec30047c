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
    IsaToken{"avx", [](const xsimd::detail::supported_arch& cpu) { return cpu.avx != 0; }},
    // "avx2" means AVX2 with FMA3, as every AVX2 CPU has and xsimd's fma3<avx2> needs.
    IsaToken{"avx2", [](const xsimd::detail::supported_arch& cpu) { return cpu.fma3_avx2 != 0; }},
    IsaToken{"avx512f", [](const xsimd::detail::supported_arch& cpu) { return cpu.avx512f != 0; }},
    IsaToken{"neon64", [](const xsimd::detail::supported_arch& cpu) { return cpu.neon64 != 0; }},
};

}  // namespace flynn
