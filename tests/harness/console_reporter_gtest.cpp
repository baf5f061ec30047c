// The console shows each counter in the unit its name gives, never Google Benchmark's "s" glued
// to an inverted rate, and leaves the library's own columns (name, times, iterations) as they were.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "harness/console_reporter.h"

namespace flynn {
namespace {

using Prefix = CounterUnit::Prefix;

TEST(UnitOf, FromTheNamesPrefixOrSuffix) {
  EXPECT_EQ(unit_of("ns_per_load"), (CounterUnit{"ns", Prefix::none}));
  EXPECT_EQ(unit_of("ns_per_increment"), (CounterUnit{"ns", Prefix::none}));
  EXPECT_EQ(unit_of("cycles_per_load"), (CounterUnit{"cycles", Prefix::none}));
  EXPECT_EQ(unit_of("flops_per_second"), (CounterUnit{"/s", Prefix::decimal}));
  EXPECT_EQ(unit_of("work_units_per_second_per_thread"), (CounterUnit{"/s", Prefix::decimal}));
  EXPECT_EQ(unit_of("bytes_per_second"), (CounterUnit{"B/s", Prefix::decimal}));
  EXPECT_EQ(unit_of("stream_bytes_per_second"), (CounterUnit{"B/s", Prefix::decimal}));
  EXPECT_EQ(unit_of("pages_on_node_pct"), (CounterUnit{"%", Prefix::none}));
  EXPECT_EQ(unit_of("mean_time_slice_ns"), (CounterUnit{"ns", Prefix::none}));
  EXPECT_EQ(unit_of("overhead_us"), (CounterUnit{"us", Prefix::none}));
  EXPECT_EQ(unit_of("bytes"), (CounterUnit{"B", Prefix::binary}));
  EXPECT_EQ(unit_of("array_bytes"), (CounterUnit{"B", Prefix::binary}));
  // Counts and ratios carry no unit.
  for (const char* plain : {"threads", "lanes", "flops_per_cycle", "switches_per_op", "load_imbalance", "bytes_read"}) {
    EXPECT_EQ(unit_of(plain), (CounterUnit{"", Prefix::decimal})) << plain;
  }
}

TEST(FormatCounter, EachInItsUnit) {
  EXPECT_EQ(format_counter("ns_per_load", 204.5), "204.5 ns");
  EXPECT_EQ(format_counter("ns_per_increment", 37.5509), "37.55 ns");
  EXPECT_EQ(format_counter("flops_per_second", 218e9), "218 G/s");
  EXPECT_EQ(format_counter("bytes_per_second", 12.3e9), "12.3 GB/s");
  EXPECT_EQ(format_counter("thp_pct", 99.8), "99.8 %");
  EXPECT_EQ(format_counter("thp_pct", 0), "0 %");
  EXPECT_EQ(format_counter("bytes", 1 << 30), "1 GiB");
  EXPECT_EQ(format_counter("bytes", 4096), "4 KiB");
  EXPECT_EQ(format_counter("bytes", 1000), "1000 B");
  EXPECT_EQ(format_counter("cycles_per_load", 3.25), "3.25 cycles");
  EXPECT_EQ(format_counter("threads", 2), "2");
  EXPECT_EQ(format_counter("increments_per_thread", 1.5e6), "1.5M");
  // A time stays in its name's unit however large, and in full, not in exponent notation.
  EXPECT_EQ(format_counter("mean_time_slice_ns", 3'000'123), "3000123 ns");
  EXPECT_EQ(format_counter("ns_per_switch", 0.25), "0.25 ns");
  EXPECT_EQ(format_counter("bytes_per_second", 0.5), "0.5 B/s");
  EXPECT_EQ(format_counter("bytes_per_second", -2e6), "-2 MB/s");
  EXPECT_EQ(format_counter("ns_per_load", std::numeric_limits<double>::quiet_NaN()), "nan ns");
  EXPECT_EQ(format_counter("flops_per_second", std::numeric_limits<double>::infinity()), "inf /s");
}

// A finished run as the library hands it to the reporter: counters hold their final values.
benchmark::BenchmarkReporter::Run chase_run() {
  benchmark::BenchmarkReporter::Run run;
  run.run_name.function_name = "numa/chase/page_groups/bytes:4096";
  run.iterations = 1000;
  run.time_unit = benchmark::kNanosecond;
  run.real_accumulated_time = 2e-3;
  run.cpu_accumulated_time = 2e-3;
  run.counters["ns_per_load"] = benchmark::Counter(204.5, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  run.counters["bytes_per_second"] = benchmark::Counter(12.3e9, benchmark::Counter::kIsRate);
  run.counters["thp_pct"] = benchmark::Counter(99.8);
  return run;
}

std::string report(const std::vector<benchmark::BenchmarkReporter::Run>& runs, UnitConsoleReporter::OutputOptions options) {
  UnitConsoleReporter reporter(options);
  std::ostringstream out, err;
  reporter.SetOutputStream(&out);
  reporter.SetErrorStream(&err);
  // The name column as wide as the longest name, as the library sets it, so the header lines up.
  benchmark::BenchmarkReporter::Context context;
  context.name_field_width = runs.front().benchmark_name().size();
  reporter.ReportContext(context);
  reporter.ReportRuns(runs);
  return out.str();
}

std::string last_line(const std::string& text) {
  const std::size_t end = text.find_last_not_of('\n');
  const std::size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

TEST(UnitConsoleReporter, PrintsCountersInTheirUnitsAfterTheLibrarysColumns) {
  const std::string line = last_line(report({chase_run()}, UnitConsoleReporter::OO_None));
  EXPECT_EQ(line.rfind("numa/chase/page_groups/bytes:4096 ", 0), 0u) << line;
  EXPECT_NE(line.find("2000 ns"), std::string::npos) << line;  // time per iteration, as the library prints it
  EXPECT_NE(line.find(" 1000 "), std::string::npos) << line;   // iterations
  EXPECT_NE(line.find(" bytes_per_second=12.3 GB/s ns_per_load=204.5 ns thp_pct=99.8 %"), std::string::npos) << line;
  EXPECT_EQ(line.find("204.5s"), std::string::npos) << line;
  EXPECT_EQ(line.find("/s/s"), std::string::npos) << line;
}

TEST(UnitConsoleReporter, OneLinePerRunAndTheLabelLast) {
  benchmark::BenchmarkReporter::Run labelled = chase_run();
  labelled.report_label = "a label";
  const std::string text = report({chase_run(), labelled}, UnitConsoleReporter::OO_None);
  // Header (3 lines) and one line per run.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5) << text;
  EXPECT_NE(last_line(text).find("thp_pct=99.8 % a label"), std::string::npos) << text;
}

TEST(UnitConsoleReporter, InColourTheRowStillEndsInOneNewline) {
  const std::string text = report({chase_run()}, UnitConsoleReporter::OO_Color);
  const std::string line = last_line(text);
  EXPECT_NE(line.find("ns_per_load=204.5 ns"), std::string::npos) << line;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(UnitConsoleReporter, TabularColumnsAsWideAsTheLibrarysHeader) {
  const std::string text = report({chase_run()}, UnitConsoleReporter::OO_Tabular);
  // The header names each counter right-aligned in max(10, name length) columns; the values line up.
  const std::size_t header_begin = text.find("Benchmark");
  const std::string header = text.substr(header_begin, text.find('\n', header_begin) - header_begin);
  const std::string line = last_line(text);
  for (const char* name : {"bytes_per_second", "ns_per_load", "thp_pct"}) {
    const std::size_t end = header.find(name) + std::string(name).size();
    ASSERT_NE(header.find(name), std::string::npos) << header;
    ASSERT_GE(line.size(), end) << line;
    EXPECT_NE(line[end - 1], ' ') << name << " column: " << line;
    EXPECT_TRUE(end == line.size() || line[end] == ' ') << name << " column: " << line;
  }
  EXPECT_NE(line.find("204.5 ns"), std::string::npos) << line;
}

TEST(UnitConsoleReporter, CoefficientOfVariationAsAPercentage) {
  benchmark::BenchmarkReporter::Run cv = chase_run();
  cv.run_type = benchmark::BenchmarkReporter::Run::RT_Aggregate;
  cv.aggregate_name = "cv";
  cv.aggregate_unit = benchmark::kPercentage;
  cv.counters["ns_per_load"].value = 0.0123;
  EXPECT_NE(last_line(report({cv}, UnitConsoleReporter::OO_None)).find("ns_per_load=1.23 %"), std::string::npos);
}

TEST(UnitConsoleReporter, ErrorsAsTheLibraryPrintsThem) {
  benchmark::BenchmarkReporter::Run skipped = chase_run();
  skipped.error_occurred = true;
  skipped.error_message = "skipped: no huge pages";
  const std::string line = last_line(report({skipped}, UnitConsoleReporter::OO_None));
  EXPECT_NE(line.find("ERROR OCCURRED: 'skipped: no huge pages'"), std::string::npos) << line;
  EXPECT_EQ(line.find("ns_per_load"), std::string::npos) << line;
}

}  // namespace
}  // namespace flynn
