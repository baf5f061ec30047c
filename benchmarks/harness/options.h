// The areas' own command-line flags, `--flynn_<key>=<value>`, taken out of argv before Google
// Benchmark parses it. An area takes the keys it knows; any key left untaken is an unknown flag.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace flynn {

class Options {
 public:
  // Removes every --flynn_* argument from argv (adjusting argc). Throws std::invalid_argument for
  // one without "=value".
  static Options extract(int& argc, char** argv);
  static Options from(std::map<std::string, std::string> values) { return Options(std::move(values)); }

  // A size in bytes: a positive integer with an optional K, M or G suffix (powers of 1024).
  // Throws std::invalid_argument naming the flag when the value is not one.
  std::uint64_t take_bytes(const std::string& key, std::uint64_t fallback);
  // A comma-separated list of non-negative integers ("0,1" or "1,2,4"). Throws
  // std::invalid_argument naming the flag when an element is not one.
  std::vector<int> take_int_list(const std::string& key, std::vector<int> fallback);
  // Throws std::invalid_argument naming the first flag no area took.
  void require_all_taken() const;

 private:
  explicit Options(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  std::map<std::string, std::string> values_;
  std::vector<std::string> taken_;
};

std::uint64_t parse_bytes(const std::string& text);  // 0 when `text` is not a positive size

}  // namespace flynn
