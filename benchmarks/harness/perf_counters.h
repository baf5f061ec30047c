// The kernel's and the CPU's own counts around a timed loop (perf_event_open): context switches,
// migrations and page faults from the kernel, cycles, instructions and cache misses from the PMU.
//
// Two groups per measured thread. The software events go in a group of their own, opened WITHOUT
// exclude_kernel: a switch or a migration happens in the kernel, so under exclude_kernel it reads
// 0 (`perf stat -e context-switches:u` counts 0 on 20,030 switches), and a software event in a
// group with hardware events stops whenever the hardware group cannot be scheduled. The hardware
// events go in a second group with exclude_kernel=1 (perf_event_paranoid 2 forbids more to a user)
// and are scaled by time_enabled / time_running when the PMU was multiplexed.
//
// An event that cannot be opened is absent, never 0, and the reason is said once in the context.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flynn::perf {

enum class Event : int {
  context_switches,
  cpu_migrations,
  minor_faults,
  major_faults,
  task_clock_ns,
  cycles,
  instructions,
  branch_misses,
  l1d_read_misses,
  llc_misses,
  dtlb_misses,
};
constexpr int kEventCount = 11;

// One event as perf_event_open takes it: Linux's generic ids (PERF_TYPE_SOFTWARE, _HARDWARE,
// _HW_CACHE), which every PMU driver maps to its own events, unless --flynn_counters named the
// CPU's own event for it through libpfm4 (`llc_misses=PMU::EVENT`, harness/pfm_names.h).
struct EventSpec {
  const char* name;  // the token in --flynn_counters and in the JSON counters
  bool hardware;     // opened in the hardware group, with exclude_kernel
  std::uint32_t type;
  std::uint64_t config;
  std::uint64_t config1 = 0;
  std::uint64_t config2 = 0;
};

// The events as this process opens them: the generic table, with what --flynn_counters mapped.
const std::array<EventSpec, kEventCount>& event_table();
const EventSpec& spec(Event event);
// "generic" or the libpfm4 event it was mapped to ("skl::LONGEST_LAT_CACHE:MISS").
const std::string& encoding(Event event);
std::optional<Event> event_named(std::string_view name);

// Why `spec` cannot be opened on this machine, from the errno perf_event_open gave ("no PMU,
// ENOENT", "perf_event_paranoid 2, EACCES").
std::string reason(const EventSpec& spec, int error);
// Opens `spec` alone for the calling thread (and closes it): 0 when it opens, else the errno.
int try_open(const EventSpec& spec);

// What one or more threads counted over one timed loop. Plain data, so a forked partner hands it
// back through shared memory.
struct Reading {
  std::array<double, kEventCount> value{};  // scaled for multiplexing
  std::array<bool, kEventCount> present{};
  // The hardware group's time_running / time_enabled (1: never multiplexed), the least over the
  // threads summed; 0 when no hardware event was counted.
  double hardware_running_fraction = 0;
  int threads = 0;  // threads summed into this reading

  bool has(Event event) const { return present[static_cast<int>(event)]; }
  double operator[](Event event) const { return value[static_cast<int>(event)]; }
  // Sums another thread's reading: an event stays present only if both counted it.
  Reading& operator+=(const Reading& other);
};

// One perf_event group: a leader and its members, counted together.
class Group {
 public:
  // Opens `specs` for thread `tid` (0: the calling thread) on any CPU, disabled. An event that
  // fails to open is left out with its errno; the group is made of the others. With `inherit`,
  // threads and processes the thread creates afterwards count in the same group, and a read sums
  // them (live ones included).
  Group(const std::vector<EventSpec>& specs, bool exclude_kernel, pid_t tid = 0, bool inherit = false);
  bool complete() const;  // every event opened
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  bool opened(std::size_t i) const { return fds_[i] >= 0; }
  int error(std::size_t i) const { return errors_[i]; }
  bool any_open() const { return leader_ >= 0; }
  void start();  // reset and enable every member at once
  // Disables the group and reads it (one read(2) of PERF_FORMAT_GROUP): the scaled values, nullopt
  // for an event not opened or never scheduled.
  struct Values {
    std::vector<std::optional<double>> scaled;
    std::vector<std::optional<std::uint64_t>> raw;  // as read, before the scaling
    std::uint64_t time_enabled = 0;
    std::uint64_t time_running = 0;
  };
  Values stop();
  // Reads without disabling: the counts so far (IntervalCounters takes differences of these).
  Values peek() const;
  // `values` with `scaled` made from `raw` and the times (time_enabled / time_running).
  static Values scale(Values values);
  // Reads without disabling; what stop() does besides the disable: the counters' own cost.
  bool read_raw(std::uint64_t* buffer, std::size_t words) const;

 private:
  Values read_values() const;
  std::vector<int> fds_;
  std::vector<int> errors_;
  int leader_ = -1;
};

// The events --flynn_counters chose, and which of them this machine can count.
struct Selection {
  std::string mode = "auto";  // auto, software, none, or the event list as given
  std::vector<Event> wanted;
  std::vector<Event> available;
  struct Absent {
    Event event;
    int error;
    std::string reason;
  };
  std::vector<Absent> absent;

  // Parses the flag's value ("auto", "software", "none", "cpu_cycles,context_switches") and probes
  // the events it names. An item `EVENT=NAME` counts EVENT as libpfm4's NAME for the rest of the
  // process (the JSON keeps flynn's name: llc_misses_per_load). Throws std::invalid_argument for
  // anything else, a name libpfm4 does not know included; "list" is main's.
  static Selection parse(std::string_view text);
  // The context line: "software (hardware: no PMU, ENOENT)".
  std::string summary() const;
  bool counts(Event event) const;
};

// The process-wide selection, set once by main before the benchmarks run (default: auto).
void select(Selection selection);
const Selection& selection();

// What --flynn_counters=list prints: every event, whether this machine counts it, and why not.
std::string list_text();

// One measured thread's two groups (software, hardware) over the selection's available events.
class ThreadCounters {
 public:
  explicit ThreadCounters(pid_t tid = 0) : ThreadCounters(selection().available, tid) {}
  ThreadCounters(const std::vector<Event>& events, pid_t tid);
  // The calling thread's counters, inherited by every thread and process it creates from now on
  // (start() and stop() then take them all). A partner created inside the measurement counts in
  // the same, cloned, perf context, which the kernel swaps in O(1) at a switch between the two;
  // two separate per-thread contexts are scheduled out and in at every switch instead, which
  // measurably lengthened a same-CPU hand-off here. Where the kernel refuses inherit for a group,
  // the counters are opened without it and inherited() is false.
  struct Inherit {};
  ThreadCounters(const std::vector<Event>& events, Inherit);
  bool inherited() const { return inherited_; }
  void start();
  Reading stop();

  // The counts so far, read without stopping (IntervalCounters sums intervals of these).
  struct Snapshot {
    Group::Values software, hardware;
  };
  Snapshot peek() const;
  // Scaled group values (stop()'s, or an interval sum's) as a Reading of this thread's events.
  Reading reading(const Group::Values& software, const Group::Values& hardware) const;

 private:
  void open(const std::vector<Event>& events, pid_t tid, bool inherit);
  bool inherited_ = false;
  std::vector<Event> software_events_, hardware_events_;
  std::optional<Group> software_, hardware_;
};

// The calling thread's counts summed over many intervals of one loop: the timed part of each
// iteration, with what lies between (an MPI benchmark's payload check and agreement collectives)
// left out. The groups stay enabled from start() to stop() and each interval is the difference of
// two reads: enabling and disabling a group around every interval instead loses the task clock
// (Linux 6.18 here: 1000 intervals of 50 us read 0.13 ms of a 51 ms total). Half of each read's
// own cost (perf_counters_read_ns) falls inside an interval. The intervals' raw counts and times
// are summed and scaled once at the end: an interval of a few microseconds that a multiplexed PMU
// did not schedule counts as such, not as a hole that drops the events.
// Adds what a group counted between two reads to `sum`: raw counts and both times, so that the
// sum is scaled once (IntervalCounters::stop) over all of the intervals. An interval the PMU did
// not schedule (time_running unchanged) adds its enabled time and no count, as a single long read
// would have.
void add_interval(const Group::Values& earlier, const Group::Values& later, Group::Values& sum);

class IntervalCounters {
 public:
  IntervalCounters() = default;
  void start() { counters_.start(); }
  void begin() { open_ = counters_.peek(); }
  void end();
  // Stops counting; the sum over every interval ended so far.
  Reading stop();

 private:
  ThreadCounters counters_;
  ThreadCounters::Snapshot open_;
  Group::Values software_, hardware_;  // raw sums and times over the intervals
};

// Counters for several threads (a bound team, by thread id), summed on stop.
class TeamCounters {
 public:
  explicit TeamCounters(const std::vector<pid_t>& tids);
  void start();
  Reading stop();

 private:
  std::vector<std::unique_ptr<ThreadCounters>> threads_;
};

// Adds `perf_counters` (the selection's summary) and `perf_counters_read_ns` to the JSON context.
void add_context();

// The nanoseconds one read of a thread's counters costs (both groups' read(2); the median of
// many), measured once per process.
double read_cost_ns();

// Puts `reading` into the benchmark's counters as `<event>_per_<op>` (context_switches_per_switch,
// llc_misses_per_load), each iteration doing `ops_per_iteration` ops, plus `ipc` where cycles and
// instructions were both counted and `hardware_counted_pct` (the multiplexing scale) where any
// hardware event was. Absent events put nothing.
void report(benchmark::State& state, const Reading& reading, std::string_view op, double ops_per_iteration);

}  // namespace flynn::perf
