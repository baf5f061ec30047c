// The one main of every flynn binary: Google Benchmark's flags, nothing unknown let through,
// nothing that would measure nothing, the machine's description in the JSON context, and a
// --benchmark_out file that replaces an earlier one only when the run wrote all of it.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "harness/area.h"
#include "harness/console_reporter.h"
#include "harness/context.h"
#include "harness/environment.h"
#include "harness/output_file.h"
#include "harness/perf_counters.h"
#include "harness/topology.h"

int main(int argc, char** argv) {
  flynn::remember_command_line(argc, argv);
  std::unique_ptr<flynn::OutputFile> output;
  // The console display: nullptr is Google Benchmark's own, chosen by --benchmark_format.
  benchmark::BenchmarkReporter* display = nullptr;
  try {
    flynn::Options options = flynn::Options::extract(argc, argv);
    // The kernel's and the CPU's counters around each timed loop: auto (software events, and the
    // hardware ones where a PMU lets them open), software, none, or a list of events.
    const std::string counters = options.take_text("counters", "auto");
    if (counters == "list") {
      std::fputs(flynn::perf::list_text().c_str(), stdout);
      return 0;
    }
    flynn::perf::select(flynn::perf::Selection::parse(counters));
    flynn::check_benchmark_flags(argc, argv);
    // Google Benchmark is given the arguments with --benchmark_out naming a temporary file.
    output = std::make_unique<flynn::OutputFile>(argc, argv);
    int count = static_cast<int>(output->arguments().size()) - 1;
    char** arguments = output->arguments().data();
    benchmark::Initialize(&count, arguments);
    // A mistyped flag would otherwise be ignored and the run would silently measure the defaults.
    if (benchmark::ReportUnrecognizedArguments(count, arguments)) return 2;
    const flynn::Topology& topology = flynn::Topology::machine();
    flynn::register_area_benchmarks(topology, options);
    options.require_all_taken();
    flynn::add_machine_context(topology);
    flynn::perf::add_context();
    // Only now: registration may re-execute the binary (ensure_environment).
    output->create();
    // Counters in their own units on the console (ns_per_load=204.5 ns); the JSON is unchanged.
    display = flynn::display_reporter();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], error.what());
    return 2;
  }
  // 0 both for a filter that matches nothing and for one the library could not compile; the
  // latter was refused above.
  const std::size_t matched = benchmark::RunSpecifiedBenchmarks(display, output->reporter());
  benchmark::Shutdown();
  try {
    output->commit();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], error.what());
    return 2;
  }
  if (matched == 0) {
    std::fprintf(stderr, "%s: error: --benchmark_filter='%s' matches no benchmark (--benchmark_list_tests lists them)\n",
                 argv[0], benchmark::GetBenchmarkFilter().c_str());
    return 2;
  }
  return 0;
}
