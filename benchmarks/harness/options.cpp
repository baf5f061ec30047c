#include "harness/options.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace flynn {
namespace {

constexpr std::string_view kPrefix = "--flynn_";

}  // namespace

std::uint64_t parse_bytes(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15 || text.size() - digits > 1) return 0;
  std::uint64_t value = std::stoull(text.substr(0, digits));
  if (digits < text.size()) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K': value <<= 10; break;
      case 'M': value <<= 20; break;
      case 'G': value <<= 30; break;
      default: return 0;
    }
  }
  return value;
}

Options Options::extract(int& argc, char** argv) {
  std::map<std::string, std::string> values;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with(kPrefix)) {
      argv[kept++] = argv[i];
      continue;
    }
    const auto equals = arg.find('=');
    if (equals == std::string_view::npos) {
      throw std::invalid_argument("flag " + std::string(arg) + " needs a value (" + std::string(arg) + "=...)");
    }
    values[std::string(arg.substr(kPrefix.size(), equals - kPrefix.size()))] = std::string(arg.substr(equals + 1));
  }
  argc = kept;
  argv[argc] = nullptr;
  return Options(std::move(values));
}

std::uint64_t Options::take_bytes(const std::string& key, std::uint64_t fallback) {
  taken_.push_back(key);
  const auto found = values_.find(key);
  if (found == values_.end()) return fallback;
  const std::uint64_t bytes = parse_bytes(found->second);
  if (bytes == 0) {
    throw std::invalid_argument("--flynn_" + key + " must be a positive number of bytes (e.g. 4096, 64K, 1G), got '" +
                                found->second + "'");
  }
  return bytes;
}

std::vector<int> Options::take_int_list(const std::string& key, std::vector<int> fallback) {
  taken_.push_back(key);
  const auto found = values_.find(key);
  if (found == values_.end()) return fallback;
  std::vector<int> list;
  std::string_view rest = found->second;
  for (;;) {
    const auto comma = rest.find(',');
    const std::string item(rest.substr(0, comma));
    const bool digits_only = !item.empty() && item.size() <= 9 &&
                             std::all_of(item.begin(), item.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (!digits_only) {
      throw std::invalid_argument("--flynn_" + key + " must be a comma-separated list of non-negative integers, got '" +
                                  found->second + "'");
    }
    list.push_back(std::stoi(item));
    if (comma == std::string_view::npos) return list;
    rest.remove_prefix(comma + 1);
  }
}

void Options::require_all_taken() const {
  for (const auto& [key, value] : values_) {
    if (std::find(taken_.begin(), taken_.end(), key) == taken_.end()) {
      throw std::invalid_argument("unrecognized flag --flynn_" + key);
    }
  }
}

}  // namespace flynn
