// The console display of every flynn binary: Google Benchmark's own table, with each counter
// printed in the unit its name gives (`ns_per_load=204.5 ns`, `flops_per_second=218 G/s`)
// instead of the library's default, which appends "s" to every inverted rate and so shows the
// nanoseconds of `ns_per_load` as seconds. Only the display changes: the JSON (--benchmark_out,
// --benchmark_format=json) is Google Benchmark's reporter with the same values.
#pragma once

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

namespace flynn {

// How a counter's value is shown: its unit and whether a decimal (k, M, G: 1000) or binary
// (Ki, Mi, Gi: 1024) prefix scales it. An empty unit with no prefix is a plain number.
struct CounterUnit {
  enum class Prefix { none, decimal, binary };
  std::string_view unit;
  Prefix prefix = Prefix::none;
  bool operator==(const CounterUnit&) const = default;
};

// The unit of a counter, from its name alone (the house rule: the unit is in the name), by one
// table of name prefixes and suffixes. A name the table does not know is a plain number with a
// decimal prefix, as Google Benchmark prints it.
CounterUnit unit_of(std::string_view counter_name);

// `value` in `unit`, e.g. "204.5 ns", "218 G/s", "12.3 GB/s", "99.8 %", "1 GiB".
std::string format_in_unit(double value, const CounterUnit& unit);

// The counter `name` with `value` as the console shows it: format_in_unit(value, unit_of(name)).
inline std::string format_counter(std::string_view name, double value) { return format_in_unit(value, unit_of(name)); }

class UnitConsoleReporter : public benchmark::ConsoleReporter {
 public:
  explicit UnitConsoleReporter(OutputOptions options = OO_Defaults) : benchmark::ConsoleReporter(options) {}

 protected:
  // The library's row (name, times, iterations) as it prints it, then the counters in their units.
  void PrintRunData(const Run& run) override;

 private:
  friend benchmark::BenchmarkReporter* display_reporter();
  // The colour and tabular options the library chose for its own console reporter from
  // --benchmark_color and --benchmark_counters_tabular, which it keeps to itself.
  static OutputOptions options_of(const benchmark::ConsoleReporter& library_reporter) {
    return library_reporter.*(&UnitConsoleReporter::output_options_);
  }
};

// The display reporter to pass to RunSpecifiedBenchmarks: a UnitConsoleReporter with the
// library's console options when --benchmark_format is console (the default), else the library's
// own reporter for that format. Call after benchmark::Initialize.
benchmark::BenchmarkReporter* display_reporter();

}  // namespace flynn
