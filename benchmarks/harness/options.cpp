#include "harness/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <stdexcept>
#include <string_view>

namespace flynn {
namespace {

constexpr std::string_view kPrefix = "--flynn_";

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::uint64_t parse_bytes(std::string_view text) {
  int shift = 0;
  if (!text.empty() && !std::isdigit(static_cast<unsigned char>(text.back()))) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      default: return 0;
    }
    text.remove_suffix(1);
  }
  if (!all_digits(text)) return 0;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) return kBytesTooLarge;
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return 0;
  // Compared before shifting, so the shift cannot drop high bits.
  if (value > (kMaxFlagBytes >> shift)) return kBytesTooLarge;
  return value << shift;
}

ListRule thread_count_rule(int pus) {
  ListRule rule;
  rule.min_value = 1;
  rule.max_value = kMaxThreadsPerPu * std::max(1, pus);
  rule.max_reason = std::to_string(kMaxThreadsPerPu) + "x this machine's " + std::to_string(std::max(1, pus)) + " PUs";
  return rule;
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
  if (bytes == kBytesTooLarge) {
    throw std::invalid_argument("--flynn_" + key + "=" + found->second + " is too large: at most 16384G (2^44 bytes)");
  }
  if (bytes == 0) {
    throw std::invalid_argument("--flynn_" + key + " must be a positive number of bytes (e.g. 4096, 64K, 1G), got '" +
                                found->second + "'");
  }
  return bytes;
}

std::string Options::take_text(const std::string& key, std::string fallback) {
  taken_.push_back(key);
  const auto found = values_.find(key);
  return found == values_.end() ? fallback : found->second;
}

std::vector<int> Options::take_int_list(const std::string& key, std::vector<int> fallback, const ListRule& rule) {
  taken_.push_back(key);
  const auto found = values_.find(key);
  if (found == values_.end()) return fallback;
  const std::string flag = "--flynn_" + key;
  std::vector<int> list;
  std::set<int> seen;
  std::string_view rest = found->second;
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int value = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (!all_digits(item) || (error != std::errc() && error != std::errc::result_out_of_range)) {
      throw std::invalid_argument(flag + " must be a comma-separated list of non-negative integers, got '" +
                                  found->second + "'");
    }
    if (error == std::errc::result_out_of_range || value > rule.max_value || value < rule.min_value) {
      throw std::invalid_argument(flag + ": " + std::string(item) + " is out of range: each value must be from " +
                                  std::to_string(rule.min_value) + " to " + std::to_string(rule.max_value) +
                                  (rule.max_reason.empty() ? "" : " (" + rule.max_reason + ")"));
    }
    if (!seen.insert(value).second) {
      throw std::invalid_argument(flag + " lists " + std::to_string(value) +
                                  " twice, which would register the same benchmarks twice");
    }
    list.push_back(value);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (list.size() < rule.min_items) {
    throw std::invalid_argument(flag + " needs at least " + std::to_string(rule.min_items) + " values" +
                                (rule.min_items_reason.empty() ? "" : " (" + rule.min_items_reason + ")") + ", got '" +
                                found->second + "'");
  }
  return list;
}

void Options::require_all_taken() const {
  for (const auto& [key, value] : values_) {
    if (std::find(taken_.begin(), taken_.end(), key) == taken_.end()) {
      throw std::invalid_argument("unrecognized flag --flynn_" + key);
    }
  }
}

}  // namespace flynn
