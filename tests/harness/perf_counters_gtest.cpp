// The kernel's counts checked on known work (a same-CPU ping-pong, a bound team, fresh pages),
// hardware events absent with their reason where there is no PMU (and counted where there is),
// and a made-up event reported, not crashed.
#include "harness/perf_counters.h"

#include "harness/pfm_names.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

namespace flynn::perf {
namespace {

bool pmu_present() { return try_open(spec(Event::cycles)) == 0; }

std::string no_pmu_reason() {
  return "no PMU here: cycles does not open (" + reason(spec(Event::cycles), try_open(spec(Event::cycles))) + ")";
}

bool bind_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof(set), &set);
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

// Restores the test thread's affinity on exit, so one test's binding does not leak into the next.
struct KeepAffinity {
  cpu_set_t saved;
  KeepAffinity() { sched_getaffinity(0, sizeof(saved), &saved); }
  ~KeepAffinity() { sched_setaffinity(0, sizeof(saved), &saved); }
};

void require_software(Event event) {
  if (!selection().counts(event)) {
    for (const auto& a : selection().absent) {
      if (a.event == event) GTEST_SKIP() << spec(event).name << " cannot be opened here: " << a.reason;
    }
  }
}

TEST(PerfCounters, SameCpuPingPongCountsAboutOneKernelSwitchPerHandoff) {
  require_software(Event::context_switches);
  if (IsSkipped()) return;
  const KeepAffinity keep;
  const int cpu = allowed_cpus().front();
  ASSERT_TRUE(bind_to(cpu));
  int to_partner[2], to_main[2];
  ASSERT_EQ(pipe(to_partner), 0);
  ASSERT_EQ(pipe(to_main), 0);
  constexpr int kRoundTrips = 2000;
  std::atomic<pid_t> partner_tid{0};
  std::thread partner([&] {
    bind_to(cpu);
    partner_tid = gettid();
    char byte = 0;
    for (int i = 0; i < kRoundTrips + 1; ++i) {
      if (read(to_partner[0], &byte, 1) != 1 || write(to_main[1], &byte, 1) != 1) break;
    }
  });
  char byte = 1;
  // One warm-up round trip: the partner is then running, blocked in its read.
  ASSERT_EQ(write(to_partner[1], &byte, 1), 1);
  ASSERT_EQ(read(to_main[0], &byte, 1), 1);
  // Both threads counted by the main thread, by thread id: one group per measured thread.
  TeamCounters counters({gettid(), partner_tid.load()});
  counters.start();
  for (int i = 0; i < kRoundTrips; ++i) {
    ASSERT_EQ(write(to_partner[1], &byte, 1), 1);
    ASSERT_EQ(read(to_main[0], &byte, 1), 1);
  }
  const Reading reading = counters.stop();
  partner.join();
  for (int fd : {to_partner[0], to_partner[1], to_main[0], to_main[1]}) close(fd);
  ASSERT_TRUE(reading.has(Event::context_switches));
  EXPECT_EQ(reading.threads, 2);
  const double per_handoff = reading[Event::context_switches] / (2.0 * kRoundTrips);
  // Every hand-off on one CPU is a switch; a little more for timer ticks and preemptions.
  EXPECT_GT(per_handoff, 0.9);
  EXPECT_LT(per_handoff, 1.3);
  EXPECT_EQ(reading[Event::cpu_migrations], 0);
}

// Busy work with sleeps in between, so the scheduler has every chance to move the thread.
void restless_work() {
  volatile std::uint64_t sink = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 200000; ++i) sink = sink + static_cast<std::uint64_t>(i);
    usleep(200);
  }
}

TEST(PerfCounters, BoundTeamMigratesZeroTimes) {
  require_software(Event::cpu_migrations);
  if (IsSkipped()) return;
  const std::vector<int> cpus = allowed_cpus();
  const std::size_t members = std::min<std::size_t>(cpus.size(), 4);
  std::atomic<std::size_t> ready{0};
  std::atomic<bool> go{false}, done{false};
  std::vector<pid_t> tids(members);
  std::vector<std::thread> team;
  for (std::size_t m = 0; m < members; ++m) {
    team.emplace_back([&, m] {
      bind_to(cpus[m]);
      // Bound before it is counted: the move onto its CPU is no part of the measurement.
      sched_yield();
      tids[m] = gettid();
      ++ready;
      while (!go) std::this_thread::yield();
      restless_work();
      while (!done) usleep(100);
    });
  }
  while (ready != members) std::this_thread::yield();
  TeamCounters counters(tids);
  counters.start();
  go = true;
  restless_work();
  restless_work();  // longer than any member's work
  const Reading reading = counters.stop();
  done = true;
  for (auto& t : team) t.join();
  ASSERT_TRUE(reading.has(Event::cpu_migrations));
  EXPECT_EQ(reading.threads, static_cast<int>(members));
  EXPECT_EQ(reading[Event::cpu_migrations], 0);
  // The sleeps did switch: the team was counted while it ran and blocked.
  EXPECT_GE(reading[Event::context_switches], static_cast<double>(members) * 20);
}

TEST(PerfCounters, MovingAThreadCountsItsMigration) {
  require_software(Event::cpu_migrations);
  if (IsSkipped()) return;
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nowhere to migrate to";
  const KeepAffinity keep;
  ASSERT_TRUE(bind_to(cpus[0]));
  sched_yield();
  ThreadCounters counters;
  counters.start();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(bind_to(cpus[static_cast<std::size_t>(1 - i % 2)]));
    sched_yield();
  }
  const Reading reading = counters.stop();
  ASSERT_TRUE(reading.has(Event::cpu_migrations));
  EXPECT_GE(reading[Event::cpu_migrations], 4);
}

// `pages` fresh pages, never touched (so each first touch faults once), unmapped on destruction.
struct FreshPages {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t count;
  void* memory;
  explicit FreshPages(std::size_t pages)
      : count(pages), memory(mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {
    // A transparent huge page would take 512 pages in one fault.
    if (memory != MAP_FAILED) madvise(memory, count * page, MADV_NOHUGEPAGE);
  }
  ~FreshPages() {
    if (memory != MAP_FAILED) munmap(memory, count * page);
  }
  void touch(std::size_t i, char value) const { static_cast<volatile char*>(memory)[i * page] = value; }
};

TEST(PerfCounters, TouchingFreshPagesCountsOneMinorFaultEach) {
  require_software(Event::minor_faults);
  if (IsSkipped()) return;
  constexpr std::size_t kPages = 512;
  const FreshPages pages(kPages);
  ASSERT_NE(pages.memory, MAP_FAILED);
  ThreadCounters counters;
  counters.start();
  for (std::size_t p = 0; p < kPages; ++p) pages.touch(p, 1);
  const Reading first = counters.stop();
  // Touched again: no fault, the pages are there.
  counters.start();
  for (std::size_t p = 0; p < kPages; ++p) pages.touch(p, 2);
  const Reading again = counters.stop();
  ASSERT_TRUE(first.has(Event::minor_faults));
  EXPECT_GE(first[Event::minor_faults], kPages);
  EXPECT_LE(first[Event::minor_faults], kPages + 8);
  EXPECT_LE(again[Event::minor_faults], 2);
  EXPECT_EQ(first[Event::major_faults], 0);
}

// The calling thread's CPU time, as the kernel accounts it (task-clock's own clock).
double thread_cpu_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

// Spins for `ns` of wall time on the calling thread; the CPU time it got meanwhile (less than the
// wall time where another process took the CPU).
double spin_for(double ns) {
  const double cpu = thread_cpu_ns();
  const auto begin = std::chrono::steady_clock::now();
  std::chrono::duration<double, std::nano> spun{0};
  while (spun.count() < ns) spun = std::chrono::steady_clock::now() - begin;
  return thread_cpu_ns() - cpu;
}

TEST(PerfCounters, IntervalsCountTheirOwnTimeAndLeaveOutWhatLiesBetween) {
  require_software(Event::task_clock_ns);
  if (IsSkipped()) return;
  constexpr int kIntervals = 400;
  const FreshPages pages(kIntervals);
  ASSERT_NE(pages.memory, MAP_FAILED);
  IntervalCounters counters;
  counters.start();
  double inside_ns = 0;
  for (int i = 0; i < kIntervals; ++i) {
    counters.begin();
    inside_ns += spin_for(50e3);
    counters.end();
    // Between intervals: as long again, and a fresh page's fault, neither of which may count.
    spin_for(50e3);
    pages.touch(static_cast<std::size_t>(i), 1);
  }
  const Reading total = counters.stop();
  ASSERT_TRUE(total.has(Event::task_clock_ns));
  // Each interval's task clock is the CPU time the thread got in it (a little more: half of each
  // read's own cost). A group enabled and disabled around each interval reads a fraction of a
  // percent of it here.
  EXPECT_GE(total[Event::task_clock_ns], 0.8 * inside_ns);
  EXPECT_LE(total[Event::task_clock_ns], 1.5 * inside_ns);
  if (total.has(Event::minor_faults)) {
    EXPECT_LE(total[Event::minor_faults], 4);
  }
}

TEST(PerfCounters, ScalingMakesUpForTheTimeAMultiplexedGroupDidNotRun) {
  Group::Values values;
  values.raw = {std::uint64_t{1000}, std::nullopt};
  values.time_enabled = 300;
  values.time_running = 100;
  const Group::Values scaled = Group::scale(values);
  ASSERT_EQ(scaled.scaled.size(), 2u);
  ASSERT_TRUE(scaled.scaled[0].has_value());
  EXPECT_DOUBLE_EQ(*scaled.scaled[0], 3000.0);
  EXPECT_FALSE(scaled.scaled[1].has_value());  // not opened: absent, not 0
  // Never scheduled: nothing was measured, so nothing is claimed.
  values.time_running = 0;
  EXPECT_FALSE(Group::scale(values).scaled[0].has_value());
}

TEST(PerfCounters, InheritedCountersTakeInALiveThreadCreatedAfterThem) {
  require_software(Event::minor_faults);
  if (IsSkipped()) return;
  ThreadCounters counters({Event::minor_faults, Event::context_switches}, ThreadCounters::Inherit{});
  if (!counters.inherited()) GTEST_SKIP() << "this kernel refuses inherit for a group";
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  constexpr std::size_t kPages = 256;
  void* memory = mmap(nullptr, kPages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  madvise(memory, kPages * page, MADV_NOHUGEPAGE);
  std::atomic<int> step{0};
  // Created before start(): its setup is not counted, its work after start() is.
  std::thread partner([&] {
    while (step != 1) std::this_thread::yield();
    for (std::size_t p = 0; p < kPages; ++p) static_cast<volatile char*>(memory)[p * page] = 1;
    step = 2;
    while (step != 3) std::this_thread::yield();
  });
  counters.start();
  step = 1;
  while (step != 2) std::this_thread::yield();
  // Read while the partner still lives: its inherited copy is summed in.
  const Reading reading = counters.stop();
  step = 3;
  partner.join();
  munmap(memory, kPages * page);
  ASSERT_TRUE(reading.has(Event::minor_faults));
  EXPECT_GE(reading[Event::minor_faults], kPages);
  EXPECT_LE(reading[Event::minor_faults], kPages + 16);
}

TEST(PerfCounters, HardwareEventsAbsentWithTheReasonOrCountedWithAPmu) {
  const Selection all = Selection::parse("auto");
  ThreadCounters counters(all.wanted, 0);
  counters.start();
  volatile std::uint64_t sink = 0;
  for (int i = 0; i < 1000000; ++i) sink = sink + static_cast<std::uint64_t>(i);
  const Reading reading = counters.stop();
  if (pmu_present()) {
    ASSERT_TRUE(all.counts(Event::cycles));
    ASSERT_TRUE(reading.has(Event::cycles));
    EXPECT_GT(reading[Event::cycles], 1e5);
    EXPECT_GT(reading.hardware_running_fraction, 0);
    EXPECT_LE(reading.hardware_running_fraction, 1.0 + 1e-9);
    return;
  }
  for (const EventSpec& s : event_table()) {
    const auto event = *event_named(s.name);
    if (!s.hardware) continue;
    EXPECT_FALSE(all.counts(event)) << s.name;
    EXPECT_FALSE(reading.has(event)) << s.name << " must be absent, not 0";
  }
  EXPECT_EQ(reading.hardware_running_fraction, 0);
  // The reason is said once for all six: "software (hardware: no PMU, ENOENT)".
  const std::string summary = all.summary();
  EXPECT_NE(summary.find("(hardware: "), std::string::npos) << summary;
  EXPECT_EQ(summary.find("hardware:"), summary.rfind("hardware:")) << summary;
  for (const auto& a : all.absent) {
    if (spec(a.event).hardware) {
      EXPECT_NE(summary.find(a.reason), std::string::npos) << summary;
    }
  }
  EXPECT_NE(list_text().find("\ncpu_cycles        hardware  absent: "), std::string::npos) << list_text();
}

TEST(PerfCounters, InstructionsOfAKnownLoopWithAPmu) {
  if (!pmu_present()) GTEST_SKIP() << no_pmu_reason();
  ThreadCounters counters({Event::instructions, Event::cycles}, 0);
  counters.start();
  volatile std::uint64_t sink = 0;
  for (int i = 0; i < 1000000; ++i) sink = sink + static_cast<std::uint64_t>(i);
  const Reading reading = counters.stop();
  ASSERT_TRUE(reading.has(Event::instructions));
  // Each trip loads, adds, stores, increments, compares and branches: at least 4 instructions.
  EXPECT_GT(reading[Event::instructions], 4e6);
  EXPECT_LT(reading[Event::instructions], 4e7);
}

TEST(PerfCounters, AnEventThatDoesNotExistIsReportedNotCrashed) {
  const EventSpec made_up{"made_up", true, PERF_TYPE_HARDWARE, 0xdeadbeef};
  const EventSpec no_such_pmu{"no_such_pmu", false, 0x7ffffff0u, 0};
  for (const EventSpec& s : {made_up, no_such_pmu}) {
    const int error = try_open(s);
    EXPECT_NE(error, 0) << s.name;
    EXPECT_FALSE(reason(s, error).empty());
  }
  // Beside a real event, in one group: the real one still counts, the made-up one is absent.
  Group group({no_such_pmu, spec(Event::task_clock_ns)}, false);
  EXPECT_FALSE(group.opened(0));
  EXPECT_NE(group.error(0), 0);
  if (!selection().counts(Event::task_clock_ns)) GTEST_SKIP() << "task_clock_ns cannot be opened here";
  ASSERT_TRUE(group.opened(1));
  group.start();
  usleep(1000);
  const Group::Values values = group.stop();
  EXPECT_FALSE(values.scaled[0].has_value());
  ASSERT_TRUE(values.scaled[1].has_value());
  EXPECT_GT(*values.scaled[1], 0);
  // A group where nothing opens reads as nothing, not as zeros.
  Group empty({made_up, no_such_pmu}, true);
  EXPECT_FALSE(empty.any_open());
  empty.start();
  const Group::Values none = empty.stop();
  EXPECT_FALSE(none.scaled[0].has_value());
  EXPECT_FALSE(none.scaled[1].has_value());
}

Group::Values read_at(std::uint64_t count, std::uint64_t enabled, std::uint64_t running) {
  Group::Values values;
  values.raw = {count, std::nullopt};  // an event counted, and one not opened
  values.time_enabled = enabled;
  values.time_running = running;
  return values;
}

TEST(PerfCounters, IntervalsOfAMultiplexedGroupAreSummedRawAndScaledOnce) {
  // Three intervals of 100 ns enabled each: scheduled the whole first (300 counts), not at all
  // the second (the PMU busy: no count, its time still enabled), half the third (150 counts).
  Group::Values sum;
  add_interval(read_at(0, 0, 0), read_at(300, 100, 100), sum);
  add_interval(read_at(300, 100, 100), read_at(300, 200, 100), sum);
  add_interval(read_at(400, 250, 120), read_at(550, 350, 170), sum);
  EXPECT_EQ(sum.time_enabled, 300u);
  EXPECT_EQ(sum.time_running, 150u);
  ASSERT_TRUE(sum.raw[0].has_value());
  EXPECT_EQ(*sum.raw[0], 450u);
  EXPECT_FALSE(sum.raw[1].has_value());
  // Scaled once over the whole: 450 counts in 150 of 300 ns running read as 900, what a single
  // long multiplexed read would extrapolate; scaling each interval alone would lose the second.
  const Group::Values scaled = Group::scale(sum);
  ASSERT_TRUE(scaled.scaled[0].has_value());
  EXPECT_DOUBLE_EQ(*scaled.scaled[0], 900.0);
  EXPECT_FALSE(scaled.scaled[1].has_value());
  // A counter that went backwards (a reset between the reads) adds nothing rather than wrapping.
  Group::Values reset;
  add_interval(read_at(500, 0, 0), read_at(20, 100, 100), reset);
  EXPECT_FALSE(reset.raw[0].has_value());
  EXPECT_EQ(reset.time_enabled, 100u);
}

TEST(PerfCounters, SelectionParsesModesAndEventsAndRefusesTheRest) {
  EXPECT_TRUE(Selection::parse("none").wanted.empty());
  EXPECT_EQ(Selection::parse("none").summary(), "none (--flynn_counters=none)");
  for (Event e : Selection::parse("software").wanted) EXPECT_FALSE(spec(e).hardware);
  EXPECT_EQ(Selection::parse("auto").wanted.size(), static_cast<std::size_t>(kEventCount));
  const Selection two = Selection::parse("context_switches,cpu_cycles");
  ASSERT_EQ(two.wanted.size(), 2u);
  EXPECT_EQ(two.available.size() + two.absent.size(), 2u);
  EXPECT_THROW(Selection::parse("bogus"), std::invalid_argument);
  EXPECT_THROW(Selection::parse(""), std::invalid_argument);
  EXPECT_THROW(Selection::parse("cpu_cycles,cpu_cycles"), std::invalid_argument);
  EXPECT_THROW(Selection::parse("cpu_cycles,"), std::invalid_argument);
  // perf's name (and the issue's) selects cpu_cycles, which keeps its name in the JSON: the
  // clock estimate's cycles_per_load is another figure.
  ASSERT_EQ(Selection::parse("cycles").wanted.size(), 1u);
  EXPECT_EQ(Selection::parse("cycles").wanted[0], Event::cycles);
  EXPECT_THROW(Selection::parse("cycles,cpu_cycles"), std::invalid_argument);
  EXPECT_THROW(Selection::parse("context-switches"), std::invalid_argument);
  // Software only: the summary names the software events as counted on this machine.
  const Selection software = Selection::parse("software");
  if (software.absent.empty()) {
    EXPECT_EQ(software.summary(), "software");
  }
}

TEST(PerfCounters, ReadingsOfThreadsSumAndAnEventMissingInOneIsAbsent) {
  Reading a, b;
  a.threads = b.threads = 1;
  a.present[0] = b.present[0] = true;
  a.value[0] = 3;
  b.value[0] = 4;
  a.present[1] = true;
  a.value[1] = 5;
  a.hardware_running_fraction = 0.5;
  b.hardware_running_fraction = 1;
  Reading sum;
  sum += a;
  sum += b;
  EXPECT_EQ(sum.threads, 2);
  EXPECT_EQ(sum.value[0], 7);
  EXPECT_FALSE(sum.present[1]);
  EXPECT_EQ(sum.hardware_running_fraction, 0.5);
}

TEST(PerfCounters, OneReadCostsMicrosecondsAtMost) {
  if (selection().available.empty()) GTEST_SKIP() << "no event opens here: " << selection().summary();
  const double cost = read_cost_ns();
  EXPECT_GT(cost, 0);
  // A read(2) of a group: about a microsecond; 50 us would mean something else is measured.
  EXPECT_LT(cost, 50000);
}

// flynn's table of generic events, written by hand from <linux/perf_event.h>, against libpfm4's
// own encoding of the same generic events: two sources that must agree on every type and config.
TEST(PfmNames, LibpfmEncodesTheGenericEventsAsFlynnsTableDoes) {
  const std::array<const char*, kEventCount> generic = {
      "perf::PERF_COUNT_SW_CONTEXT_SWITCHES", "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
      "perf::PERF_COUNT_SW_PAGE_FAULTS_MIN",  "perf::PERF_COUNT_SW_PAGE_FAULTS_MAJ",
      "perf::PERF_COUNT_SW_TASK_CLOCK",       "perf::PERF_COUNT_HW_CPU_CYCLES",
      "perf::PERF_COUNT_HW_INSTRUCTIONS",     "perf::PERF_COUNT_HW_BRANCH_MISSES",
      "perf::PERF_COUNT_HW_CACHE_L1D:READ:MISS", "perf::PERF_COUNT_HW_CACHE_LL:READ:MISS",
      "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS"};
  for (int i = 0; i < kEventCount; ++i) {
    const auto encoded = pfm_encode(generic[static_cast<std::size_t>(i)]);
    const auto* found = std::get_if<PfmEncoding>(&encoded);
    ASSERT_NE(found, nullptr) << generic[static_cast<std::size_t>(i)] << ": " << std::get<std::string>(encoded);
    const EventSpec& ours = event_table()[static_cast<std::size_t>(i)];
    EXPECT_EQ(found->type, ours.type) << ours.name;
    EXPECT_EQ(found->config, ours.config) << ours.name;
    EXPECT_EQ(found->canonical, generic[static_cast<std::size_t>(i)]);
  }
}

TEST(PfmNames, AnEventNamedThroughLibpfmCountsAndAnUnknownNameIsRefused) {
  require_software(Event::context_switches);
  if (IsSkipped()) return;
  // The same event as the generic table's, named as libpfm4 names it: counted, and said so.
  const Selection named = Selection::parse("context_switches=perf::PERF_COUNT_SW_CONTEXT_SWITCHES");
  ASSERT_EQ(named.available.size(), 1u);
  EXPECT_EQ(encoding(Event::context_switches), "perf::PERF_COUNT_SW_CONTEXT_SWITCHES");
  EXPECT_FALSE(spec(Event::context_switches).hardware);
  try {
    Selection::parse("llc_misses=NO_SUCH_EVENT");
    ADD_FAILURE() << "an unknown libpfm4 name was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("llc_misses=NO_SUCH_EVENT: libpfm4: event not found"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(Selection::parse("bogus=perf::PERF_COUNT_SW_CONTEXT_SWITCHES"), std::invalid_argument);
  // The list names libpfm4's PMUs: here at least its table of Linux's generic events.
  EXPECT_NE(list_text().find("libpfm4 PMUs: perf"), std::string::npos) << list_text();
}

}  // namespace
}  // namespace flynn::perf
