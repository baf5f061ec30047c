// mpi/pingpong, mpi/bandwidth, mpi/bibandwidth (OSU's osu_latency, osu_bw, osu_bibw) and the
// all-pairs mpi/pair_latency and mpi/pair_bandwidth (mpiGraph). Every rank runs every benchmark's
// loop; only the pair sends, the others take part in the agreement. Rank 0, the one that reports,
// counts the kernel's events (harness/perf_counters.h) over the timed part of each iteration.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "mpi/agree.h"
#include "mpi/mpi_benchmarks.h"
#include "mpi/payload.h"

namespace flynn::mpi {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string wrong_byte(const char* what, std::size_t index, std::uint64_t iteration, int from, int to) {
  return std::string(what) + ": byte " + std::to_string(index) + " of iteration " + std::to_string(iteration) +
         "'s message from rank " + std::to_string(from) + " to rank " + std::to_string(to) + " is wrong";
}

// The counts per message (context_switches_per_message, ...) on rank 0's thread, where rank 0 is
// one of the pair: each iteration's timed part is one interval (harness/perf_counters.h's
// IntervalCounters), so the payload's fill and check and the agreement's collectives stay out,
// summed over the timed iterations (the warm-up, iteration 0, left out). Opened once, before the
// loop; the one-shot groups of the other areas would lose the task clock over thousands of
// enable/disable cycles.
class MessageCounters {
 public:
  explicit MessageCounters(Pair pair) {
    if (world().rank == 0 && (pair.a == 0 || pair.b == 0)) {
      counters_.emplace();
      counters_->start();
    }
  }
  void start(std::uint64_t iteration) {
    if (counters_ && iteration > 0) counters_->begin();
  }
  void stop(std::uint64_t iteration) {
    if (counters_ && iteration > 0) counters_->end();
  }
  void report(benchmark::State& state, double messages_per_iteration) {
    if (counters_) perf::report(state, counters_->stop(), "message", messages_per_iteration);
  }

 private:
  std::optional<perf::IntervalCounters> counters_;
};

// Round trips that fit in 64 KiB of buffers make one iteration (64 of 8 B, 1 of 64 KiB and up):
// a small message's round trip is a few microseconds, and OSU times a loop of many, not one
// between two collectives. Each round trip has its own buffers, so every message is still checked,
// after the batch.
std::uint64_t round_trips_per_iteration(std::uint64_t bytes) {
  return std::clamp<std::uint64_t>((std::uint64_t{64} << 10) / std::max<std::uint64_t>(bytes, 1), 1, 64);
}

// Round trips timed by `a`; `b` echoes what it received, so `a`'s check covers both directions
// and `b` checks the way out.
void pingpong(benchmark::State& state, Pair pair, std::uint64_t bytes) {
  const World& w = world();
  const std::uint64_t batch = round_trips_per_iteration(bytes);
  std::vector<std::vector<std::byte>> out(batch, std::vector<std::byte>(bytes)), in(batch, std::vector<std::byte>(bytes));
  const int n = static_cast<int>(bytes);
  MessageCounters counters(pair);
  run_agreed(state, MPI_COMM_WORLD, [&](std::uint64_t iteration) {
    Step step;
    const auto seed = [&](std::uint64_t k) { return message_seed(iteration, static_cast<std::uint64_t>(pair.a), k); };
    if (w.rank == pair.a) {
      for (std::uint64_t k = 0; k < batch; ++k) fill_payload(out[k].data(), bytes, seed(k));
      counters.start(iteration);
      const auto start = Clock::now();
      for (std::uint64_t k = 0; k < batch; ++k) {
        MPI_Send(out[k].data(), n, MPI_BYTE, pair.b, 1, MPI_COMM_WORLD);
        MPI_Recv(in[k].data(), n, MPI_BYTE, pair.b, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
      step.seconds = seconds_since(start);
      counters.stop(iteration);
    } else if (w.rank == pair.b) {
      counters.start(iteration);
      for (std::uint64_t k = 0; k < batch; ++k) {
        MPI_Recv(in[k].data(), n, MPI_BYTE, pair.a, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(in[k].data(), n, MPI_BYTE, pair.a, 2, MPI_COMM_WORLD);
      }
      counters.stop(iteration);
    }
    if (w.rank == pair.a || w.rank == pair.b) {
      for (std::uint64_t k = 0; k < batch && step.error.empty(); ++k) {
        if (const std::size_t i = first_wrong_byte(in[k].data(), bytes, seed(k)); i != bytes) {
          step.error = w.rank == pair.a ? wrong_byte("pingpong echo", i, iteration, pair.b, pair.a)
                                        : wrong_byte("pingpong", i, iteration, pair.a, pair.b);
        }
      }
    }
    return step;
  });
  if (state.error_occurred()) return;
  // A round trip is two one-way messages.
  state.counters["ns_per_message"] = ns_per_event(2.0 * static_cast<double>(batch));
  state.counters["round_trips_per_iteration"] = static_cast<double>(batch);
  state.counters["message_bytes"] = static_cast<double>(bytes);
  counters.report(state, 2.0 * static_cast<double>(batch));
}

// A window of non-blocking sends from `a`, then one acknowledgement from `b`; timed by `a`.
void bandwidth(benchmark::State& state, Pair pair, std::uint64_t bytes) {
  const World& w = world();
  const int n = static_cast<int>(bytes);
  std::vector<std::vector<std::byte>> slots(kWindow, std::vector<std::byte>(bytes));
  std::array<MPI_Request, kWindow> requests{};
  char ack = 0;
  MessageCounters counters(pair);
  run_agreed(state, MPI_COMM_WORLD, [&](std::uint64_t iteration) {
    Step step;
    if (w.rank == pair.a) {
      for (int s = 0; s < kWindow; ++s) {
        fill_payload(slots[s].data(), bytes, message_seed(iteration, static_cast<std::uint64_t>(pair.a), s));
      }
      counters.start(iteration);
      const auto start = Clock::now();
      for (int s = 0; s < kWindow; ++s) MPI_Isend(slots[s].data(), n, MPI_BYTE, pair.b, 10 + s, MPI_COMM_WORLD, &requests[s]);
      MPI_Waitall(kWindow, requests.data(), MPI_STATUSES_IGNORE);
      MPI_Recv(&ack, 1, MPI_CHAR, pair.b, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      step.seconds = seconds_since(start);
      counters.stop(iteration);
    } else if (w.rank == pair.b) {
      counters.start(iteration);
      for (int s = 0; s < kWindow; ++s) MPI_Irecv(slots[s].data(), n, MPI_BYTE, pair.a, 10 + s, MPI_COMM_WORLD, &requests[s]);
      MPI_Waitall(kWindow, requests.data(), MPI_STATUSES_IGNORE);
      MPI_Send(&ack, 1, MPI_CHAR, pair.a, 9, MPI_COMM_WORLD);
      counters.stop(iteration);
      for (int s = 0; s < kWindow && step.error.empty(); ++s) {
        const auto seed = message_seed(iteration, static_cast<std::uint64_t>(pair.a), s);
        if (const std::size_t i = first_wrong_byte(slots[s].data(), bytes, seed); i != bytes) {
          step.error = wrong_byte("bandwidth", i, iteration, pair.a, pair.b);
        }
      }
    }
    return step;
  });
  if (state.error_occurred()) return;
  state.counters["bytes_per_second"] = per_second_per_iteration(static_cast<double>(kWindow) * static_cast<double>(bytes));
  state.counters["message_bytes"] = static_cast<double>(bytes);
  counters.report(state, kWindow);
}

// Both ranks send a window to each other at once; both time it.
void bibandwidth(benchmark::State& state, Pair pair, std::uint64_t bytes) {
  const World& w = world();
  const int n = static_cast<int>(bytes);
  std::vector<std::vector<std::byte>> out, in;
  std::array<MPI_Request, 2 * kWindow> requests{};
  const bool member = w.rank == pair.a || w.rank == pair.b;
  if (member) {
    out.assign(kWindow, std::vector<std::byte>(bytes));
    in.assign(kWindow, std::vector<std::byte>(bytes));
  }
  const int peer = w.rank == pair.a ? pair.b : pair.a;
  MessageCounters counters(pair);
  run_agreed(state, MPI_COMM_WORLD, [&](std::uint64_t iteration) {
    Step step;
    if (!member) return step;
    for (int s = 0; s < kWindow; ++s) {
      fill_payload(out[s].data(), bytes, message_seed(iteration, static_cast<std::uint64_t>(w.rank), s));
    }
    counters.start(iteration);
    const auto start = Clock::now();
    for (int s = 0; s < kWindow; ++s) MPI_Irecv(in[s].data(), n, MPI_BYTE, peer, 100 + s, MPI_COMM_WORLD, &requests[s]);
    for (int s = 0; s < kWindow; ++s) {
      MPI_Isend(out[s].data(), n, MPI_BYTE, peer, 100 + s, MPI_COMM_WORLD, &requests[kWindow + s]);
    }
    MPI_Waitall(2 * kWindow, requests.data(), MPI_STATUSES_IGNORE);
    step.seconds = seconds_since(start);
    counters.stop(iteration);
    for (int s = 0; s < kWindow && step.error.empty(); ++s) {
      const auto seed = message_seed(iteration, static_cast<std::uint64_t>(peer), s);
      if (const std::size_t i = first_wrong_byte(in[s].data(), bytes, seed); i != bytes) {
        step.error = wrong_byte("bibandwidth", i, iteration, peer, w.rank);
      }
    }
    return step;
  });
  if (state.error_occurred()) return;
  state.counters["bytes_per_second"] = per_second_per_iteration(2.0 * kWindow * static_cast<double>(bytes));
  state.counters["message_bytes"] = static_cast<double>(bytes);
  // Rank 0's thread sends and receives a window each way: both windows are its messages.
  counters.report(state, 2.0 * kWindow);
}

benchmark::internal::Benchmark* registered(const std::string& name, void (*run)(benchmark::State&, Pair, std::uint64_t),
                                           Pair pair, std::uint64_t bytes) {
  return benchmark::RegisterBenchmark(name.c_str(), run, pair, bytes)->UseManualTime();
}

}  // namespace

std::vector<std::uint64_t> point_to_point_sizes(std::uint64_t max_bytes, bool with_zero) {
  std::vector<std::uint64_t> sizes;
  if (with_zero) sizes.push_back(0);
  for (std::uint64_t bytes = 1; bytes <= max_bytes; bytes *= 2) sizes.push_back(bytes);
  return sizes;
}

void register_point_to_point_benchmarks(const World& w, std::uint64_t max_bytes) {
  const std::vector<Pair> pairs = point_to_point_pairs(w.hosts);
  struct Family {
    const char* kernel;
    const char* variant;
    bool windowed;
    void (*run)(benchmark::State&, Pair, std::uint64_t);
  };
  const Family families[] = {{"pingpong", "blocking", false, pingpong},
                             {"bandwidth", "nonblocking", true, bandwidth},
                             {"bibandwidth", "nonblocking", true, bibandwidth}};
  for (const Family& family : families) {
    for (const Pair& pair : pairs) {
      for (const std::uint64_t bytes : point_to_point_sizes(max_bytes, !family.windowed)) {
        BenchmarkName name("mpi", family.kernel, family.variant);
        if (family.windowed) name.param("window", kWindow);
        name.param("placement", placement(w.hosts, pair.a, pair.b))
            .param("rank_a", pair.a)
            .param("rank_b", pair.b)
            .param("bytes", static_cast<std::int64_t>(bytes));
        registered(name.str(), family.run, pair, bytes);
      }
    }
  }
}

// mpiGraph's matrix: every ordered pair a < b, an 8-byte ping-pong and a window of 64 KiB messages (large
// enough to reach the link's rate, small enough for n^2 pairs), so the heat map shows where the host boundaries are.
void register_pair_benchmarks(const World& w) {
  for (int a = 0; a < w.size; ++a) {
    for (int b = a + 1; b < w.size; ++b) {
      const Pair pair{a, b};
      const std::string where = placement(w.hosts, a, b);
      registered(BenchmarkName("mpi", "pair_latency", "blocking")
                     .param("placement", where).param("rank_a", a).param("rank_b", b).param("bytes", 8).str(),
                 pingpong, pair, 8);
      registered(BenchmarkName("mpi", "pair_bandwidth", "nonblocking")
                     .param("window", kWindow).param("placement", where).param("rank_a", a).param("rank_b", b)
                     .param("bytes", 65536).str(),
                 bandwidth, pair, 65536);
    }
  }
}

}  // namespace flynn::mpi
