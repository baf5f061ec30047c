// The one main of every flynn binary: Google Benchmark's flags, nothing unknown let through,
// and the machine's description in the JSON context.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>

#include "harness/area.h"
#include "harness/console_reporter.h"
#include "harness/context.h"
#include "harness/environment.h"
#include "harness/topology.h"

int main(int argc, char** argv) {
  flynn::remember_command_line(argc, argv);
  try {
    flynn::Options options = flynn::Options::extract(argc, argv);
    benchmark::Initialize(&argc, argv);
    // A mistyped flag would otherwise be ignored and the run would silently measure the defaults.
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    const flynn::Topology& topology = flynn::Topology::machine();
    flynn::register_area_benchmarks(topology, options);
    options.require_all_taken();
    flynn::add_machine_context(topology);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: error: %s\n", argv[0], error.what());
    return 2;
  }
  // Counters in their own units on the console (ns_per_load=204.5 ns); the JSON is unchanged.
  benchmark::RunSpecifiedBenchmarks(flynn::display_reporter());
  benchmark::Shutdown();
  return 0;
}
