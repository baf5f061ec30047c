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
  for (const char* bad : {"", "0", "-5", "abc", "12X", "1.5G", "4KB", "0G", "G", "+4", " 4", "4 "}) {
    EXPECT_EQ(parse_bytes(bad), 0u) << bad;
  }
}

// The old parser took 15 digits and shifted: 17179869185G wrapped to 1 GiB, 16777217M was 16 TiB.
TEST(ParseBytes, RefusesWhatIsTooLargeInsteadOfWrapping) {
  EXPECT_EQ(parse_bytes("16384G"), kMaxFlagBytes);
  EXPECT_EQ(parse_bytes("16777216M"), kMaxFlagBytes);
  EXPECT_EQ(parse_bytes("17592186044416"), kMaxFlagBytes);
  for (const char* big : {"17179869185G", "16777217M", "16385G", "17592186044417", "17179869185K",
                          "99999999999999999999", "18446744073709551616", "184467440737095516160000G"}) {
    EXPECT_EQ(parse_bytes(big), kBytesTooLarge) << big;
  }
  Options options = Options::from({{"max_bytes", "17179869185G"}});
  try {
    options.take_bytes("max_bytes", 1);
    ADD_FAILURE() << "17179869185G was taken";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("too large"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("--flynn_max_bytes"), std::string::npos) << error.what();
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

std::string list_error(const std::string& value, const ListRule& rule = {}) {
  Options options = Options::from({{"key", value}});
  try {
    options.take_int_list("key", {}, rule);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(Options, IntListsRefuseDuplicatesOverflowAndRange) {
  EXPECT_NE(list_error("1,1").find("twice"), std::string::npos);
  EXPECT_NE(list_error("0,2,0").find("twice"), std::string::npos);
  EXPECT_NE(list_error("99999999999").find("out of range"), std::string::npos);
  EXPECT_NE(list_error("2147483648").find("out of range"), std::string::npos);
  EXPECT_EQ(list_error("2147483647"), "");
  const ListRule threads = thread_count_rule(2);
  EXPECT_EQ(threads.max_value, 128);
  EXPECT_EQ(list_error("128", threads), "");
  const std::string too_many = list_error("129", threads);
  EXPECT_NE(too_many.find("64x this machine's 2 PUs"), std::string::npos) << too_many;
  EXPECT_NE(list_error("0", threads).find("out of range"), std::string::npos);
}

TEST(Options, IntListsRefuseAListThatLeavesAFamilyEmpty) {
  ListRule pairs;
  pairs.min_items = 2;
  pairs.min_items_reason = "a hand-off needs two CPUs";
  const std::string one = list_error("0", pairs);
  EXPECT_NE(one.find("at least 2"), std::string::npos) << one;
  EXPECT_NE(one.find("--flynn_key"), std::string::npos) << one;
  EXPECT_EQ(list_error("0,1", pairs), "");
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
