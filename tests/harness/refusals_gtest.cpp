#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "harness/free_memory.h"
#include "harness/output_file.h"

namespace flynn {
namespace {

std::string memory_error(std::uint64_t needed, std::uint64_t available) {
  try {
    require_memory("--flynn_max_bytes", 1 << 20, needed, available, "free memory", "one working set");
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(FreeMemory, RefusesMoreThanThereIsNamingTheFlagToLower) {
  EXPECT_EQ(memory_error(100, 100), "");
  const std::string message = memory_error(101, 100);
  EXPECT_NE(message.find("--flynn_max_bytes=1048576 needs 101 bytes (one working set)"), std::string::npos) << message;
  EXPECT_NE(message.find("lower --flynn_max_bytes"), std::string::npos) << message;
}

TEST(FreeMemory, ThisMachineHasSome) { EXPECT_GT(available_memory_bytes(), std::uint64_t{1} << 20); }

std::string flags_error(std::vector<std::string> flags) {
  flags.insert(flags.begin(), "bin");
  std::vector<char*> argv;
  for (std::string& flag : flags) argv.push_back(flag.data());
  argv.push_back(nullptr);
  try {
    check_benchmark_flags(static_cast<int>(flags.size()), argv.data());
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(BenchmarkFlags, RefusesWhatWouldMeasureNothing) {
  EXPECT_EQ(flags_error({"--benchmark_filter=^simd/", "--benchmark_repetitions=3", "--benchmark_format=json"}), "");
  EXPECT_EQ(flags_error({"--benchmark_filter=-/avx2/"}), "");  // a negative filter
  EXPECT_NE(flags_error({"--benchmark_filter=("}).find("--benchmark_filter"), std::string::npos);
  EXPECT_NE(flags_error({"--benchmark_filter=-("}).find("--benchmark_filter"), std::string::npos);
  EXPECT_NE(flags_error({"--benchmark_repetitions=0"}).find("--benchmark_repetitions"), std::string::npos);
  EXPECT_NE(flags_error({"--benchmark_repetitions=-3"}).find("--benchmark_repetitions"), std::string::npos);
  EXPECT_NE(flags_error({"--benchmark_format=xml"}).find("--benchmark_format"), std::string::npos);
  EXPECT_NE(flags_error({"--benchmark_out_format=xml"}).find("--benchmark_out_format"), std::string::npos);
  // The last occurrence wins, as in the library.
  EXPECT_EQ(flags_error({"--benchmark_format=xml", "--benchmark_format=csv"}), "");
  EXPECT_NE(flags_error({"--benchmark_format=csv", "--benchmark_format=xml"}), "");
}

}  // namespace
}  // namespace flynn
