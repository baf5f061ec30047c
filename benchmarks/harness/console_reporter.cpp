#include "harness/console_reporter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace flynn {
namespace {

enum class Match { prefix, suffix, infix, whole };

struct UnitRule {
  std::string_view affix;
  Match match;
  CounterUnit unit;
};

using Prefix = CounterUnit::Prefix;

// The one table of units, first match wins. Times stay in the unit the name gives (a figure
// named ns is read in ns, even at 3,000,000); rates take SI prefixes (1e9), as the counters are
// computed; sizes take binary ones, since the sweeps are powers of two.
constexpr std::array kUnitRules = {
    UnitRule{"ns_per_", Match::prefix, {"ns", Prefix::none}},
    UnitRule{"cycles_per_", Match::prefix, {"cycles", Prefix::none}},
    // bytes_per_second, stream_bytes_per_second
    UnitRule{"bytes_per_second", Match::infix, {"B/s", Prefix::decimal}},
    // flops_per_second, tasks_per_second, work_units_per_second_per_thread
    UnitRule{"_per_second", Match::infix, {"/s", Prefix::decimal}},
    UnitRule{"_pct", Match::suffix, {"%", Prefix::none}},
    UnitRule{"_ns", Match::suffix, {"ns", Prefix::none}},
    UnitRule{"_us", Match::suffix, {"us", Prefix::none}},
    UnitRule{"_ms", Match::suffix, {"ms", Prefix::none}},
    UnitRule{"_bytes", Match::suffix, {"B", Prefix::binary}},
    UnitRule{"bytes", Match::whole, {"B", Prefix::binary}},
};

bool matches(std::string_view name, const UnitRule& rule) {
  switch (rule.match) {
    case Match::prefix: return name.starts_with(rule.affix);
    case Match::suffix: return name.ends_with(rule.affix);
    case Match::infix: return name.find(rule.affix) != std::string_view::npos;
    case Match::whole: return name == rule.affix;
  }
  return false;
}

std::string printf_string(const char* format, double value) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), format, value);
  return text.data();
}

}  // namespace

CounterUnit unit_of(std::string_view counter_name) {
  for (const UnitRule& rule : kUnitRules) {
    if (matches(counter_name, rule)) return rule.unit;
  }
  return {"", Prefix::decimal};
}

std::string format_in_unit(double value, const CounterUnit& unit) {
  static constexpr std::array<std::string_view, 7> kDecimal = {"", "k", "M", "G", "T", "P", "E"};
  static constexpr std::array<std::string_view, 7> kBinary = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  std::string_view prefix;
  if (unit.prefix != Prefix::none && std::isfinite(value)) {
    const double base = unit.prefix == Prefix::binary ? 1024 : 1000;
    const auto& prefixes = unit.prefix == Prefix::binary ? kBinary : kDecimal;
    std::size_t power = 0;
    while (std::fabs(value) >= base && power + 1 < prefixes.size()) {
      value /= base;
      ++power;
    }
    prefix = prefixes[power];
  }
  // Four significant digits, the most a noisy timing carries; large unscaled figures in full
  // rather than in exponent notation.
  std::string text = printf_string(std::fabs(value) >= 1e4 ? "%.0f" : "%.4g", value);
  if (unit.unit.empty()) return text.append(prefix);
  return text.append(" ").append(prefix).append(unit.unit);
}

void UnitConsoleReporter::PrintRunData(const Run& run) {
  if (run.error_occurred || run.counters.empty()) return benchmark::ConsoleReporter::PrintRunData(run);
  // The library's row without counters or label, captured and cut before its newline (which in
  // colour comes before the colour reset), so the times and iterations print exactly as it prints them.
  Run row = run;
  row.counters.clear();
  row.report_label.clear();
  std::ostream& out = GetOutputStream();
  std::ostringstream captured;
  SetOutputStream(&captured);
  benchmark::ConsoleReporter::PrintRunData(row);
  SetOutputStream(&out);
  std::string text = captured.str();
  if (const std::size_t newline = text.rfind('\n'); newline != std::string::npos) text.erase(newline, 1);
  out << text;
  // The coefficient-of-variation aggregate holds a fraction whatever the counter's name.
  const bool fraction = run.run_type == Run::RT_Aggregate && run.aggregate_unit == benchmark::kPercentage;
  for (const auto& [name, counter] : run.counters) {
    const std::string value = fraction ? format_in_unit(100 * counter.value, {"%", Prefix::none})
                                       : format_counter(name, counter.value);
    if (output_options_ & OO_Tabular) {
      // The library's header gives each counter column max(10, name length) characters.
      out << ' ' << std::setw(static_cast<int>(std::max<std::size_t>(10, name.size()))) << value;
    } else {
      out << ' ' << name << '=' << value;
    }
  }
  if (!run.report_label.empty()) out << ' ' << run.report_label;
  out << '\n';
}

benchmark::BenchmarkReporter* display_reporter() {
  benchmark::BenchmarkReporter* library_reporter = benchmark::CreateDefaultDisplayReporter();
  // json and csv are other classes; only the console display changes.
  const auto* console = dynamic_cast<const benchmark::ConsoleReporter*>(library_reporter);
  if (console == nullptr) return library_reporter;
  static UnitConsoleReporter reporter(UnitConsoleReporter::options_of(*console));
  return &reporter;
}

}  // namespace flynn
