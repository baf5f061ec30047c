#include <gtest/gtest.h>

#include <stdexcept>

#include "harness/names.h"

namespace flynn {
namespace {

TEST(BenchmarkName, BuildsAreaKernelVariantTokensAndParams) {
  EXPECT_EQ(BenchmarkName("ctxsw", "pipe", "threads").param("placement", "same_cpu").param("bytes", 4096).str(),
            "ctxsw/pipe/threads/placement:same_cpu/bytes:4096");
  EXPECT_EQ(BenchmarkName("simd", "triad", "avx2").token("f32").param("bytes", 0).str(), "simd/triad/avx2/f32/bytes:0");
}

TEST(BenchmarkName, RejectsTokensOutsideTheGrammar) {
  EXPECT_THROW(BenchmarkName("Ctxsw", "pipe", "threads"), std::invalid_argument);
  EXPECT_THROW(BenchmarkName("ctxsw", "", "threads"), std::invalid_argument);
  EXPECT_THROW(BenchmarkName("ctxsw", "fma3+avx2", "x"), std::invalid_argument);
  EXPECT_THROW(BenchmarkName("a", "b", "c").param("key", "a/b"), std::invalid_argument);
  EXPECT_THROW(BenchmarkName("a", "b", "c").param("key", -1), std::invalid_argument);
}

TEST(BenchmarkName, RejectsPlainTokenAfterParam) {
  EXPECT_THROW(BenchmarkName("a", "b", "c").param("k", 1).token("f32"), std::invalid_argument);
}

}  // namespace
}  // namespace flynn
