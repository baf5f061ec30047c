#include <gtest/gtest.h>

#include <stdexcept>

#include "harness/options.h"

namespace flynn {
namespace {

TEST(ParseBytes, AcceptsPositiveSizesWithSuffixes) {
  EXPECT_EQ(parse_bytes("4096"), 4096u);
  EXPECT_EQ(parse_bytes("64K"), 64u << 10);
  EXPECT_EQ(parse_bytes("3m"), 3u << 20);
  EXPECT_EQ(parse_bytes("1G"), 1u << 30);
}

TEST(ParseBytes, RejectsWhatIsNotAPositiveSize) {
  for (const char* bad : {"", "0", "-5", "abc", "12X", "1.5G", "4KB", "99999999999999999999"}) {
    EXPECT_EQ(parse_bytes(bad), 0u) << bad;
  }
}

TEST(Options, ExtractRemovesOnlyFlynnFlags) {
  char a0[] = "bin", a1[] = "--flynn_max_bytes=1M", a2[] = "--benchmark_filter=x", a3[] = "--flynn_other=2";
  char* argv[] = {a0, a1, a2, a3, nullptr};
  int argc = 4;
  Options options = Options::extract(argc, argv);
  ASSERT_EQ(argc, 2);
  EXPECT_STREQ(argv[1], "--benchmark_filter=x");
  EXPECT_EQ(options.take_bytes("max_bytes", 7), 1u << 20);
  EXPECT_THROW(options.require_all_taken(), std::invalid_argument);  // --flynn_other was not taken
  EXPECT_EQ(options.take_bytes("absent", 7), 7u);
}

TEST(Options, IntListsParseAndRejectJunk) {
  Options options = Options::from({{"nodes", "0,1,3"}, {"threads", "1,,2"}, {"neg", "-1"}});
  EXPECT_EQ(options.take_int_list("nodes", {}), (std::vector<int>{0, 1, 3}));
  EXPECT_THROW(options.take_int_list("threads", {}), std::invalid_argument);
  EXPECT_THROW(options.take_int_list("neg", {}), std::invalid_argument);
  EXPECT_EQ(options.take_int_list("absent", {2}), (std::vector<int>{2}));
}

TEST(Options, BadValuesAreErrors) {
  Options options = Options::from({{"max_bytes", "-1"}});
  EXPECT_THROW(options.take_bytes("max_bytes", 1), std::invalid_argument);
  char a0[] = "bin", a1[] = "--flynn_max_bytes";
  char* argv[] = {a0, a1, nullptr};
  int argc = 2;
  EXPECT_THROW(Options::extract(argc, argv), std::invalid_argument);
}

}  // namespace
}  // namespace flynn
