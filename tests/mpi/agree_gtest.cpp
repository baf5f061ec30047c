// The ranks' agreement (benchmarks/mpi/agree.h), run under mpirun -np 2: ranks whose clocks
// disagree still run the same number of iterations, where without the agreement they do not; an
// error on one rank ends the benchmark on all with its message; arguments that differ are seen.
#include "mpi/agree.h"
#include "mpi/world.h"

#include <benchmark/benchmark.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace flynn::mpi {
namespace {

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// Rank 0's clock says 1 ms per iteration, rank 1's 3 ms, then 6 ms on odd iterations: the
// injected times of ranks that disagree.
double injected_seconds(std::uint64_t iteration) {
  if (rank() == 0) return 1e-3;
  return iteration % 2 == 1 ? 6e-3 : 3e-3;
}

struct Seen {
  std::int64_t iterations = -1;
  bool error = false;
  std::string message;
};

class Capture : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) seen = {run.iterations, run.error_occurred, run.error_message};
  }
  Seen seen;
};

Seen run_only(const std::string& filter) {
  Capture capture;
  benchmark::RunSpecifiedBenchmarks(&capture, filter);
  return capture.seen;
}

std::vector<long long> gathered(long long value) {
  std::vector<long long> all(static_cast<std::size_t>(size()));
  MPI_Allgather(&value, 1, MPI_LONG_LONG, all.data(), 1, MPI_LONG_LONG, MPI_COMM_WORLD);
  return all;
}

TEST(AgreedSeconds, IsTheSlowestRanksTime) {
  EXPECT_EQ(agreed_seconds({1e-3, 3e-3, 2e-3}), 3e-3);
  EXPECT_EQ(agreed_seconds({0, 5e-6}), 5e-6);  // an answering rank's 0 never wins
  EXPECT_EQ(agreed_seconds({}), 0);
}

TEST(Agreement, RanksWithDisagreeingClocksRunTheSameIterations) {
  ASSERT_EQ(size(), 2) << "run under mpirun -np 2";
  const Seen agreed = run_only("^agreed/");
  ASSERT_FALSE(agreed.error) << agreed.message;
  ASSERT_GT(agreed.iterations, 1);
  const auto counts = gathered(agreed.iterations);
  EXPECT_EQ(counts[0], counts[1]);
}

TEST(Agreement, WithoutItTheRanksWouldNotMeet) {
  // The control: each rank's own clock alone gives different counts, so the test above could fail.
  const Seen alone = run_only("^unagreed/");
  const auto counts = gathered(alone.iterations);
  EXPECT_NE(counts[0], counts[1]);
}

TEST(Agreement, AnErrorOnOneRankIsTheErrorOfAll) {
  const Seen failed = run_only("^fails_on_rank_1/");
  EXPECT_TRUE(failed.error);
  EXPECT_EQ(failed.message, "rank 1 found a wrong byte at iteration 3");
  const auto counts = gathered(failed.iterations);
  EXPECT_EQ(counts[0], counts[1]);
}

TEST(Agreement, ArgumentsThatDifferAreRefused) {
  EXPECT_TRUE(same_on_all_ranks(42, MPI_COMM_WORLD));
  EXPECT_FALSE(same_on_all_ranks(static_cast<std::uint64_t>(rank()), MPI_COMM_WORLD));
}

TEST(Fingerprint, EveryArgumentAndVariableCounts) {
  char a[] = "flynn_mpi", f1[] = "--benchmark_filter=ab", f2[] = "--benchmark_filter=a", f3[] = "b";
  char e1[] = "BENCHMARK_MIN_TIME=1", e2[] = "HOME=/root", e3[] = "FLYNN_X=1";
  char* one[] = {a, f1, nullptr};
  char* split[] = {a, f2, f3, nullptr};
  char* environment[] = {e1, e2, nullptr};
  char* reordered[] = {e2, e1, nullptr};
  char* more[] = {e1, e2, e3, nullptr};
  char* unrelated[] = {e1, nullptr};
  const auto base = arguments_fingerprint(2, one, environment);
  EXPECT_NE(base, arguments_fingerprint(3, split, environment));  // "ab" is not "a","b"
  EXPECT_EQ(base, arguments_fingerprint(2, one, reordered));      // environ's order is no meaning
  EXPECT_NE(base, arguments_fingerprint(2, one, more));           // a FLYNN_ variable counts
  EXPECT_EQ(base, arguments_fingerprint(2, one, unrelated));      // HOME does not
  char other[] = "/elsewhere/flynn_mpi";
  char* moved[] = {other, f1, nullptr};
  EXPECT_EQ(base, arguments_fingerprint(2, moved, environment));  // nor the binary's path
}

void agreed(benchmark::State& state) {
  run_agreed(state, MPI_COMM_WORLD, [](std::uint64_t iteration) { return Step{injected_seconds(iteration), {}}; });
}

void unagreed(benchmark::State& state) {
  std::uint64_t iteration = 0;
  for (auto _ : state) state.SetIterationTime(injected_seconds(iteration++));
}

void fails_on_rank_1(benchmark::State& state) {
  run_agreed(state, MPI_COMM_WORLD, [](std::uint64_t iteration) {
    Step step{injected_seconds(iteration), {}};
    if (rank() == 1 && iteration == 3) step.error = "rank 1 found a wrong byte at iteration 3";
    return step;
  });
}

cpu_set_t cpus(std::initializer_list<int> ids) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int id : ids) CPU_SET(id, &set);
  return set;
}

TEST(CpuShortage, RanksOfOneMachineCountTheirWaitingRanksToo) {
  const std::vector<std::string> hosts{"h1", "h2", "h3", "h4"};
  // Four test hosts on one 2-CPU machine, each confined to one CPU (h1 and h3 on CPU 0).
  const std::vector<cpu_set_t> shared{cpus({0}), cpus({1}), cpus({0}), cpus({1})};
  const std::vector<std::string> one(4, "boot-a");
  // Even one working rank shares its CPU with a waiting rank that polls.
  EXPECT_EQ(cpu_shortage(shared, hosts, one, 1, 1),
            "4 ranks on h1, h2, h3, h4 (one machine) may run on 2 CPU(s) together, fewer than the 4 they keep busy "
            "(1 thread(s) per working rank, 1 per waiting rank, which polls)");
  EXPECT_NE(cpu_shortage(shared, hosts, one, 4, 1), "");
  // The same masks on four machines (four boot ids) share nothing.
  const std::vector<std::string> four{"boot-a", "boot-b", "boot-c", "boot-d"};
  EXPECT_EQ(cpu_shortage(shared, hosts, four, 4, 1), "");
  // Two threads where a rank's team has one CPU.
  EXPECT_EQ(cpu_shortage(shared, hosts, four, 1, 2), "rank 0 on h1 may run on 1 CPU(s), fewer than its 2 threads");
  // Two hosts on a 2-CPU machine, a CPU each: 1 x 1 and 2 x 1 fit.
  const std::vector<cpu_set_t> own{cpus({0}), cpus({1})};
  const std::vector<std::string> pair{"h1", "h2"}, same(2, "boot-a");
  EXPECT_EQ(cpu_shortage(own, pair, same, 1, 1), "");
  EXPECT_EQ(cpu_shortage(own, pair, same, 2, 1), "");
  // Two local ranks whose teams both start at core 0: 2 x 2 needs 4 CPUs, the two have 2.
  const std::vector<cpu_set_t> overlapping{cpus({0, 1}), cpus({0, 1})};
  const std::vector<std::string> local(2, "vm");
  EXPECT_NE(cpu_shortage(overlapping, local, same, 2, 2), "");
  EXPECT_EQ(cpu_shortage(overlapping, local, same, 1, 1), "");
}

}  // namespace
}  // namespace flynn::mpi

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  benchmark::Initialize(&argc, argv);
  // 0.2 s of injected time: dozens of iterations, none of it spent (the times are made up).
  benchmark::RegisterBenchmark("agreed", flynn::mpi::agreed)->UseManualTime()->MinTime(0.2);
  benchmark::RegisterBenchmark("unagreed", flynn::mpi::unagreed)->UseManualTime()->MinTime(0.2);
  benchmark::RegisterBenchmark("fails_on_rank_1", flynn::mpi::fails_on_rank_1)->UseManualTime()->MinTime(0.2);
  int status = RUN_ALL_TESTS();
  int worst = status;
  MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
