// How every rank of flynn_mpi runs the same Google Benchmark loop. Each process of a plain Google
// Benchmark binary picks its own iteration counts from its own clock, so a loop with a collective
// in it deadlocks (or a ping-pong waits for a partner that stopped). Here each iteration is timed
// by hand, the maximum over ranks is what every rank gives state.SetIterationTime (UseManualTime),
// so every rank's run loop sees the same times and decides the same counts; a skip or an error on
// one rank becomes the same SkipWithError on all; and arguments that differ across ranks (a filter
// given to one rank only) are refused before anything runs.
#pragma once

#include <benchmark/benchmark.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flynn::mpi {

// What one rank did in one iteration: the seconds it timed (0 for a rank that only answers, so
// that the initiator's round trip is the figure) and, when a check failed, why.
struct Step {
  double seconds = 0;
  std::string error;
};

// The decision, apart from MPI so it can be tested with injected times: the time every rank
// reports for an iteration is the largest any rank timed.
double agreed_seconds(const std::vector<double>& per_rank_seconds);

// MPI_Allreduce(MPI_MAX) of `seconds` over `comm`.
double max_over_ranks(double seconds, MPI_Comm comm);
// The error of the lowest rank that has one, on every rank of `comm`; empty when none has.
std::string agreed_error(const std::string& local_error, MPI_Comm comm);

// The loop of every MPI benchmark: `body(iteration)` runs one iteration on this rank and returns
// its Step (iteration 0 is an untimed warm-up); the iteration's time is the maximum over `comm`, and the first error on any rank
// ends the benchmark on all with that error. Call from a benchmark registered with
// UseManualTime(), on every rank of `comm`.
template <class Body>
void run_agreed(benchmark::State& state, MPI_Comm comm, Body&& body) {
  // Iteration 0 warms up, untimed (OSU's skip): the first rendezvous of a large message sets up
  // the connection and registers the buffers, and one cold 64 MiB window would be the whole run.
  if (const std::string error = agreed_error(body(0).error, comm); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::uint64_t iteration = 1;
  for (auto _ : state) {
    const Step step = body(iteration++);
    state.SetIterationTime(max_over_ranks(step.seconds, comm));
    if (const std::string error = agreed_error(step.error, comm); !error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
}

// A fingerprint of what decides which benchmarks run and how: every argument in order (each
// one's end marked, so "ab","c" and "a","bc" differ) and every BENCHMARK_* / FLYNN_* variable of
// `environment` (a null-terminated array as environ).
std::uint64_t arguments_fingerprint(int argc, char** argv, char** environment);
// Whether every rank of `comm` has the same fingerprint (MPI_Allreduce MIN and MAX).
bool same_on_all_ranks(std::uint64_t fingerprint, MPI_Comm comm);

}  // namespace flynn::mpi
