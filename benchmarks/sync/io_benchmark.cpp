// I/O-bound vs CPU-bound: K pages fetched from a delayed loopback server (the chapter's crawler)
// against K fixed computations, with the same thread counts. Waiting threads leave the CPUs to
// others, so fetching keeps speeding up far past the core count; computing stops at it.
#include <benchmark/benchmark.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include "common/spin.h"
#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "io/http.h"
#include "sync/loopback_server.h"
#include "sync/sync_benchmarks.h"
#include "sync/team.h"

namespace flynn::sync {
namespace {

// A generated page is under 4 KiB with its headers; 64 KiB leaves room for any of them.
constexpr std::size_t kResponseBuffer = 64 * 1024;
// Far above the largest allowed delay (1 s): only a dead server makes a fetch wait this long.
constexpr std::chrono::milliseconds kClientTimeout{10000};
// One task: 2^18 dependent xorshift steps, about 0.5 ms at 6 cycles per step on a 3 GHz core,
// the same order as the default 2 ms page delay, so both sides of the comparison take a while.
constexpr std::uint64_t kTaskSteps = std::uint64_t{1} << 18;
// The epoll client keeps as many requests in flight as the largest thread count.
constexpr int kEpollConnections = 64;

// Descriptors closed however the benchmark ends (a failed connect throws half-way).
class Descriptors {
 public:
  explicit Descriptors(std::size_t count) : fds_(count, -1) {}
  ~Descriptors() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
  int& operator[](std::size_t i) { return fds_[i]; }

 private:
  std::vector<int> fds_;
};

// Setting up the server or a connection can throw; that fails this benchmark, not the binary.
template <class Body>
void guarded(benchmark::State& state, Body&& body) {
  try {
    body();
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Member i of t takes items [K*i/t, K*(i+1)/t).
std::pair<std::uint64_t, std::uint64_t> share(std::uint64_t items, int members, int i) {
  const auto t = static_cast<std::uint64_t>(members);
  const auto m = static_cast<std::uint64_t>(i);
  const std::uint64_t first = items * m / t;
  return {first, items * (m + 1) / t - first};
}

std::uint64_t links_in_first(std::uint64_t pages) {
  std::uint64_t links = 0;
  for (std::uint64_t p = 0; p < pages; ++p) links += links_on_page(p);
  return links;
}

// Times `round` (one batch of K items) with Google Benchmark's loop and reports the process's
// CPU time (user + system, every thread including the server's) over the real time. Returns what
// the `clients` threads' own counters (one group each, by thread id) counted over the loop; the
// server's threads are not among them.
template <class Round>
perf::Reading timed_rounds(benchmark::State& state, const std::vector<pid_t>& clients, Round&& round) {
  perf::TeamCounters counters(clients);
  const double cpu_before = process_cpu_seconds();
  counters.start();
  for (auto _ : state) round();
  const perf::Reading counted = counters.stop();
  state.counters["cpu_utilisation_pct"] =
      benchmark::Counter(100.0 * (process_cpu_seconds() - cpu_before), benchmark::Counter::kIsRate);
  return counted;
}

// Fails the run unless every page of every iteration came back with all its links.
void check_pages(benchmark::State& state, const io::FetchTotals& totals, const IoSettings& settings) {
  const auto iterations = static_cast<std::uint64_t>(state.iterations());
  if (totals.failed || totals.pages != iterations * settings.pages ||
      totals.links != iterations * links_in_first(settings.pages)) {
    const std::string message = "fetched " + std::to_string(totals.pages) + " of " +
                                std::to_string(iterations * settings.pages) + " pages with " +
                                std::to_string(totals.links) + " links" + (totals.failed ? " (a fetch failed)" : "");
    state.SkipWithError(message.c_str());
    return;
  }
  state.counters["pages_per_second"] = per_second_per_iteration(static_cast<double>(settings.pages));
  state.counters["server_delay_us"] = static_cast<double>(settings.delay.count());
}

ServerLimits limits_for(const IoSettings& settings) {
  ServerLimits limits;
  limits.delay = settings.delay;
  return limits;
}

void fetch_blocking(benchmark::State& state, const IoSettings& settings, int threads) {
  const LoopbackServer server(limits_for(settings));
  const auto size = static_cast<std::size_t>(threads);
  Descriptors fds(size);
  std::vector<std::vector<char>> buffers(size, std::vector<char>(kResponseBuffer));
  std::vector<io::FetchTotals> totals(size);
  std::vector<pid_t> clients(size);
  perf::Reading counted;
  {
    Team team(
        threads,
        [&](int i) {
          clients[static_cast<std::size_t>(i)] = gettid();
          fds[static_cast<std::size_t>(i)] = connect_loopback(server.port(), false, kClientTimeout);
        },
        [&](int i) {
          const auto m = static_cast<std::size_t>(i);
          const auto [first, count] = share(settings.pages, threads, i);
          const io::FetchTotals got = io::fetch_blocking(fds[m], first, count, buffers[m].data(), buffers[m].size());
          totals[m].pages += got.pages;
          totals[m].links += got.links;
          totals[m].failed = totals[m].failed || got.failed;
        });
    if (const std::string error = team.error(); !error.empty()) {
      state.SkipWithError(error.c_str());
      return;
    }
    counted = timed_rounds(state, clients, [&] { team.run(); });
  }
  // Each request waits for the server's delay in recv: at least one switch per request.
  perf::report(state, counted, "request", static_cast<double>(settings.pages));
  io::FetchTotals sum;
  for (const io::FetchTotals& t : totals) {
    sum.pages += t.pages;
    sum.links += t.links;
    sum.failed = sum.failed || t.failed;
  }
  check_pages(state, sum, settings);
}

void fetch_epoll(benchmark::State& state, const IoSettings& settings) {
  const LoopbackServer server(limits_for(settings));
  constexpr auto kCount = static_cast<std::size_t>(kEpollConnections);
  Descriptors fds(kCount + 1);  // the connections, then the epoll instance
  std::vector<std::vector<char>> buffers(kCount, std::vector<char>(kResponseBuffer));
  std::vector<io::Connection> connections(kCount);
  fds[kCount] = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < kCount; ++i) {
    fds[i] = connect_loopback(server.port(), true, kClientTimeout);
    connections[i] = {fds[i], buffers[i].data(), buffers[i].size()};
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    if (fds[kCount] < 0 || ::epoll_ctl(fds[kCount], EPOLL_CTL_ADD, fds[i], &event) != 0) {
      state.SkipWithError("cannot set up epoll over the client connections");
      return;
    }
  }
  io::FetchTotals sum;
  const perf::Reading counted = timed_rounds(state, {gettid()}, [&] {
    const io::FetchTotals got = io::fetch_epoll(fds[kCount], connections.data(), kCount, 0, settings.pages,
                                                static_cast<int>(kClientTimeout.count()));
    sum.pages += got.pages;
    sum.links += got.links;
    sum.failed = sum.failed || got.failed;
  });
  state.counters["connections"] = kEpollConnections;
  // One thread sleeps in epoll_wait for whichever of its requests answers first: fewer switches
  // per request than a blocking client's one.
  perf::report(state, counted, "request", static_cast<double>(settings.pages));
  check_pages(state, sum, settings);
}

void cpu_tasks(benchmark::State& state, const IoSettings& settings, int threads) {
  std::vector<std::uint64_t> results(static_cast<std::size_t>(threads));
  std::vector<pid_t> workers(static_cast<std::size_t>(threads));
  Team team(threads, [&](int i) { workers[static_cast<std::size_t>(i)] = gettid(); }, [&](int i) {
    const auto [first, count] = share(settings.pages, threads, i);
    for (std::uint64_t task = first; task < first + count; ++task) results[static_cast<std::size_t>(i)] += spin(task, kTaskSteps);
  });
  const perf::Reading counted = timed_rounds(state, workers, [&] { team.run(); });
  benchmark::DoNotOptimize(results.data());
  state.counters["tasks_per_second"] = per_second_per_iteration(static_cast<double>(settings.pages));
  // Busy threads never block inside a task: their switches are preemptions, past the core count.
  perf::report(state, counted, "task", static_cast<double>(settings.pages));
}

}  // namespace

void register_io_benchmarks(const IoSettings& settings) {
  for (int threads : settings.threads) {
    const auto name = BenchmarkName("io", "fetch", "blocking").param("threads", threads);
    benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
      guarded(state, [&] { fetch_blocking(state, settings, threads); });
    })->UseRealTime();
  }
  const auto epoll_name =
      BenchmarkName("io", "fetch", "epoll").param("connections", kEpollConnections).param("threads", 1);
  benchmark::RegisterBenchmark(epoll_name.str().c_str(), [=](benchmark::State& state) {
    guarded(state, [&] { fetch_epoll(state, settings); });
  })->UseRealTime();
  for (int threads : settings.threads) {
    const auto name = BenchmarkName("io", "tasks", "spin").param("threads", threads);
    benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
      cpu_tasks(state, settings, threads);
    })->UseRealTime();
  }
}

}  // namespace flynn::sync
