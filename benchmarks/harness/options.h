// The areas' own command-line flags, `--flynn_<key>=<value>`, taken out of argv before Google
// Benchmark parses it. An area takes the keys it knows; any key left untaken is an unknown flag.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flynn {

// The largest size any flag takes: 16 TiB (2^44 bytes), more memory than any machine flynn runs
// on, and far below where the arithmetic on sizes (x3 arrays, rounding to lines) could wrap.
constexpr std::uint64_t kMaxFlagBytes = std::uint64_t{1} << 44;
// A thread count beyond 64 threads per PU measures the scheduler's queue, not the benchmark, and
// thousands of threads exhaust the stacks (GOMP_parallel crashed at 10^6). 64x also covers the
// io benchmarks' 64 threads on a 1-CPU machine.
constexpr int kMaxThreadsPerPu = 64;

// What a list flag may hold. Duplicates are always refused: they would register one benchmark
// name twice.
struct ListRule {
  int min_value = 0;
  int max_value = std::numeric_limits<int>::max();
  std::string max_reason;        // why max_value, for the message ("64x the 2 PUs")
  std::size_t min_items = 1;
  std::string min_items_reason;  // why min_items ("a hand-off needs two CPUs")
};

// The rule for a list of thread counts on a machine with `pus` PUs: 1 to kMaxThreadsPerPu * pus.
ListRule thread_count_rule(int pus);

class Options {
 public:
  // Removes every --flynn_* argument from argv (adjusting argc). Throws std::invalid_argument for
  // one without "=value".
  static Options extract(int& argc, char** argv);
  static Options from(std::map<std::string, std::string> values) { return Options(std::move(values)); }

  // A size in bytes: a positive integer with an optional K, M or G suffix (powers of 1024), at
  // most kMaxFlagBytes. Throws std::invalid_argument naming the flag when the value is not one.
  std::uint64_t take_bytes(const std::string& key, std::uint64_t fallback);
  // The flag's text as given, or `fallback`; the caller checks it.
  std::string take_text(const std::string& key, std::string fallback);
  // A comma-separated list of integers ("0,1" or "1,2,4") that keeps `rule`. Throws
  // std::invalid_argument naming the flag when an element is not one, is out of range or
  // repeated, or when the list is shorter than the rule asks. The fallback is not checked.
  std::vector<int> take_int_list(const std::string& key, std::vector<int> fallback, const ListRule& rule = {});
  // Throws std::invalid_argument naming the first flag no area took.
  void require_all_taken() const;

 private:
  explicit Options(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  std::map<std::string, std::string> values_;
  std::vector<std::string> taken_;
};

// parse_bytes' answer for a well-formed size above kMaxFlagBytes (or above 2^64).
constexpr std::uint64_t kBytesTooLarge = std::numeric_limits<std::uint64_t>::max();
// The size `text` gives: 0 when it is not a positive size, kBytesTooLarge when it is above
// kMaxFlagBytes. Never wraps: every step is overflow-checked.
std::uint64_t parse_bytes(std::string_view text);

}  // namespace flynn
