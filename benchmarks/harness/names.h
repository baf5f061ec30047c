// The one builder of benchmark names: <area>/<kernel>/<variant>[/<token>...][/<key>:<value>...],
// every token in [a-z0-9_], so --benchmark_filter regexes such as '/avx2/' or '/bytes:4096/'
// match exactly what they say.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flynn {

class BenchmarkName {
 public:
  // Throws std::invalid_argument on a token outside [a-z0-9_]+.
  BenchmarkName(std::string_view area, std::string_view kernel, std::string_view variant);
  // A plain token (e.g. a data type); only before the first key:value.
  BenchmarkName& token(std::string_view value);
  BenchmarkName& param(std::string_view key, std::string_view value);
  BenchmarkName& param(std::string_view key, std::int64_t value);
  const std::string& str() const { return name_; }

 private:
  std::string name_;
  bool has_params_ = false;
};

bool is_name_token(std::string_view text);

}  // namespace flynn
