#include "harness/names.h"

#include <stdexcept>

namespace flynn {
namespace {

std::string_view checked(std::string_view text) {
  if (!is_name_token(text)) {
    throw std::invalid_argument("benchmark name token '" + std::string(text) + "' is not [a-z0-9_]+");
  }
  return text;
}

}  // namespace

bool is_name_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

BenchmarkName::BenchmarkName(std::string_view area, std::string_view kernel, std::string_view variant) {
  name_.append(checked(area)).append("/").append(checked(kernel)).append("/").append(checked(variant));
}

BenchmarkName& BenchmarkName::token(std::string_view value) {
  if (has_params_) throw std::invalid_argument("plain token '" + std::string(value) + "' after a key:value in " + name_);
  name_.append("/").append(checked(value));
  return *this;
}

BenchmarkName& BenchmarkName::param(std::string_view key, std::string_view value) {
  name_.append("/").append(checked(key)).append(":").append(checked(value));
  has_params_ = true;
  return *this;
}

BenchmarkName& BenchmarkName::param(std::string_view key, std::int64_t value) {
  if (value < 0) throw std::invalid_argument("negative value for " + std::string(key) + " in " + name_);
  return param(key, std::to_string(value));
}

}  // namespace flynn
