#include "harness/perf_counters.h"

#include "harness/pfm_names.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <variant>

namespace flynn::perf {
namespace {

constexpr std::uint64_t cache_event(std::uint64_t cache, std::uint64_t op, std::uint64_t result) {
  return cache | (op << 8) | (result << 16);
}

// Order matters only for the output: the software events first, then the hardware ones.
constexpr std::array<EventSpec, kEventCount> kEvents = {{
    {"context_switches", false, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu_migrations", false, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"minor_faults", false, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major_faults", false, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"task_clock_ns", false, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    // Not "cycles": cycles_per_load is already the clock estimate's figure (harness/counters.h).
    {"cpu_cycles", true, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", true, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"branch_misses", true, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"l1d_read_misses", true, PERF_TYPE_HW_CACHE,
     cache_event(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"llc_misses", true, PERF_TYPE_HW_CACHE,
     cache_event(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"dtlb_misses", true, PERF_TYPE_HW_CACHE,
     cache_event(PERF_COUNT_HW_CACHE_DTLB, PERF_COUNT_HW_CACHE_OP_READ, PERF_COUNT_HW_CACHE_RESULT_MISS)},
}};

constexpr std::uint64_t kReadFormat =
    PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;

int open_event(const EventSpec& spec, bool exclude_kernel, pid_t tid, int group_fd, bool inherit = false) {
  perf_event_attr attr{};
  attr.inherit = inherit;
  attr.size = sizeof(attr);
  attr.type = spec.type;
  attr.config = spec.config;
  attr.config1 = spec.config1;
  attr.config2 = spec.config2;
  attr.read_format = kReadFormat;
  // Only the leader starts disabled: members follow it, so one ioctl starts the whole group.
  attr.disabled = group_fd < 0;
  attr.exclude_kernel = exclude_kernel;
  attr.exclude_hv = exclude_kernel;
  const long fd = syscall(SYS_perf_event_open, &attr, tid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

std::string errno_name(int error) {
  const char* name = strerrorname_np(error);
  return name != nullptr ? name : "errno " + std::to_string(error);
}

std::string paranoid_level() {
  std::ifstream file("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  return file >> level ? level : "unreadable";
}

bool is_software(Event event) { return !spec(event).hardware; }

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string text;
  for (const auto& part : parts) text.append(text.empty() ? "" : separator).append(part);
  return text;
}

// "software" when `events` holds every software event of the table, else their names; the same
// for the hardware ones.
std::string describe(const std::vector<Event>& events) {
  std::vector<std::string> parts;
  for (bool hardware : {false, true}) {
    std::vector<std::string> names;
    int in_table = 0;
    for (const EventSpec& s : kEvents) in_table += s.hardware == hardware;
    for (Event e : events) {
      if (spec(e).hardware == hardware) names.emplace_back(spec(e).name);
    }
    if (names.empty()) continue;
    if (static_cast<int>(names.size()) == in_table) {
      parts.emplace_back(hardware ? "hardware" : "software");
    } else {
      parts.push_back(join(names, ","));
    }
  }
  return join(parts, ", ");
}

Selection& current() {
  static Selection selection = Selection::parse("auto");
  return selection;
}

}  // namespace

namespace {

std::array<EventSpec, kEventCount>& table() {
  static std::array<EventSpec, kEventCount> events = kEvents;
  return events;
}

std::array<std::string, kEventCount>& encodings() {
  static std::array<std::string, kEventCount> names = [] {
    std::array<std::string, kEventCount> all;
    all.fill("generic");
    return all;
  }();
  return names;
}

// `item` is EVENT=NAME: EVENT from now on opens as libpfm4's NAME.
Event map_to_libpfm(std::string_view item) {
  const auto equals = item.find('=');
  const std::string_view name = item.substr(0, equals), pfm_name = item.substr(equals + 1);
  const auto event = event_named(name);
  if (!event) {
    throw std::invalid_argument("--flynn_counters: unknown event '" + std::string(name) + "' in '" +
                                std::string(item) + "' (--flynn_counters=list lists them)");
  }
  const auto encoded = pfm_encode(std::string(pfm_name));
  if (const auto* why = std::get_if<std::string>(&encoded)) {
    throw std::invalid_argument("--flynn_counters: " + std::string(item) + ": " + *why + " (libpfm4's PMUs here: " +
                                pfm_pmus() + ")");
  }
  const auto& found = std::get<PfmEncoding>(encoded);
  EventSpec& entry = table()[static_cast<std::size_t>(*event)];
  entry.type = found.type;
  entry.config = found.config;
  entry.config1 = found.config1;
  entry.config2 = found.config2;
  // A kernel event counts kernel time, with the other software events; anything else is the CPU's.
  entry.hardware = found.type != PERF_TYPE_SOFTWARE;
  encodings()[static_cast<std::size_t>(*event)] = found.canonical;
  return *event;
}

}  // namespace

const std::array<EventSpec, kEventCount>& event_table() { return table(); }

const EventSpec& spec(Event event) { return table()[static_cast<std::size_t>(event)]; }

const std::string& encoding(Event event) { return encodings()[static_cast<std::size_t>(event)]; }

std::optional<Event> event_named(std::string_view name) {
  // perf's and the name for it; the JSON keeps cpu_cycles (see kEvents).
  if (name == "cycles") return Event::cycles;
  for (int i = 0; i < kEventCount; ++i) {
    if (name == kEvents[i].name) return static_cast<Event>(i);
  }
  return std::nullopt;
}

int try_open(const EventSpec& s) {
  const int fd = open_event(s, s.hardware, 0, -1);
  if (fd < 0) return -fd;
  close(fd);
  return 0;
}

std::string reason(const EventSpec& s, int error) {
  const std::string code = errno_name(error);
  switch (error) {
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
      if (!s.hardware) return "not in this kernel, " + code;
      // Without a PMU even cycles fails; with one, this PMU lacks the event.
      if (static bool has_pmu = try_open(spec(Event::cycles)) == 0; has_pmu) return "this PMU lacks it, " + code;
      return "no PMU, " + code;
    case EACCES:
      return "perf_event_paranoid " + paranoid_level() + ", " + code;
    case EPERM:
      return "not permitted (perf_event_paranoid " + paranoid_level() + " or a seccomp profile), " + code;
    case ENOSYS:
      return "no perf_event_open (seccomp or kernel), " + code;
    case EINVAL:
      return "the kernel does not know this event, " + code;
    default:
      return std::string(std::strerror(error)) + ", " + code;
  }
}

Reading& Reading::operator+=(const Reading& other) {
  if (threads == 0) return *this = other;
  if (other.threads == 0) return *this;
  for (int i = 0; i < kEventCount; ++i) {
    present[i] = present[i] && other.present[i];
    value[i] = present[i] ? value[i] + other.value[i] : 0;
  }
  hardware_running_fraction = std::min(hardware_running_fraction, other.hardware_running_fraction);
  threads += other.threads;
  return *this;
}

Group::Group(const std::vector<EventSpec>& specs, bool exclude_kernel, pid_t tid, bool inherit)
    : fds_(specs.size(), -1), errors_(specs.size(), 0) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const int fd = open_event(specs[i], exclude_kernel, tid, leader_, inherit);
    if (fd < 0) {
      errors_[i] = -fd;
      continue;
    }
    fds_[i] = fd;
    if (leader_ < 0) leader_ = fd;
  }
}

bool Group::complete() const {
  return std::all_of(fds_.begin(), fds_.end(), [](int fd) { return fd >= 0; });
}

Group::~Group() {
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

void Group::start() {
  if (leader_ < 0) return;
  ioctl(leader_, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
  ioctl(leader_, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

bool Group::read_raw(std::uint64_t* buffer, std::size_t words) const {
  if (leader_ < 0) return false;
  const ssize_t got = ::read(leader_, buffer, words * sizeof(std::uint64_t));
  return got >= static_cast<ssize_t>(3 * sizeof(std::uint64_t));
}

Group::Values Group::stop() {
  // Read before the disable, so the disable's own cost stays outside the count.
  Values values = read_values();
  if (leader_ >= 0) ioctl(leader_, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
  return values;
}

Group::Values Group::peek() const { return read_values(); }

Group::Values Group::read_values() const {
  Values values;
  values.scaled.assign(fds_.size(), std::nullopt);
  values.raw.assign(fds_.size(), std::nullopt);
  if (leader_ < 0) return values;
  std::vector<std::uint64_t> buffer(3 + fds_.size(), 0);
  if (!read_raw(buffer.data(), buffer.size())) return values;
  const std::uint64_t members = buffer[0];
  values.time_enabled = buffer[1];
  values.time_running = buffer[2];
  // The group's values come in the order the members were opened.
  std::size_t k = 0;
  for (std::size_t i = 0; i < fds_.size() && k < members; ++i) {
    if (fds_[i] >= 0) values.raw[i] = buffer[3 + k++];
  }
  return scale(std::move(values));
}

Group::Values Group::scale(Values values) {
  values.scaled.assign(values.raw.size(), std::nullopt);
  // Never scheduled (the PMU was busy the whole time): nothing was measured.
  if (values.time_running == 0) return values;
  const double factor = static_cast<double>(values.time_enabled) / static_cast<double>(values.time_running);
  for (std::size_t i = 0; i < values.raw.size(); ++i) {
    if (values.raw[i]) values.scaled[i] = static_cast<double>(*values.raw[i]) * factor;
  }
  return values;
}

Selection Selection::parse(std::string_view text) {
  Selection selection;
  selection.mode = std::string(text);
  if (text == "auto" || text == "software") {
    for (int i = 0; i < kEventCount; ++i) {
      if (text == "auto" || !kEvents[i].hardware) selection.wanted.push_back(static_cast<Event>(i));
    }
  } else if (text != "none") {
    std::string_view rest = text;
    for (;;) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const auto event = item.find('=') != std::string_view::npos ? std::optional<Event>(map_to_libpfm(item))
                                                                  : event_named(item);
      if (!event) {
        throw std::invalid_argument("--flynn_counters: unknown value '" + std::string(item) +
                                    "': auto, software, none, list, or events (--flynn_counters=list lists them)");
      }
      if (std::find(selection.wanted.begin(), selection.wanted.end(), *event) != selection.wanted.end()) {
        throw std::invalid_argument("--flynn_counters lists " + std::string(item) + " twice");
      }
      selection.wanted.push_back(*event);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  std::vector<Event> hardware;
  for (Event event : selection.wanted) {
    if (const int error = try_open(spec(event)); error != 0) {
      selection.absent.push_back({event, error, reason(spec(event), error)});
    } else if (spec(event).hardware) {
      hardware.push_back(event);
    } else {
      selection.available.push_back(event);
    }
  }
  // Each hardware event opens alone, but a group is scheduled all at once or not at all: on a PMU
  // with too few counters it would never run, and every reading would come back empty.
  if (!hardware.empty()) {
    std::vector<EventSpec> specs;
    for (Event e : hardware) specs.push_back(spec(e));
    Group group(specs, true);
    group.start();
    volatile std::uint64_t sink = 0;
    for (int i = 0; i < 100000; ++i) sink = sink + static_cast<std::uint64_t>(i);
    const Group::Values values = group.stop();
    for (std::size_t i = 0; i < hardware.size(); ++i) {
      if (values.scaled[i]) {
        selection.available.push_back(hardware[i]);
      } else {
        const int error = group.error(i);
        selection.absent.push_back({hardware[i], error,
                                    error != 0 ? reason(specs[i], error)
                                               : "the hardware group never ran: more events than the PMU counts at once"});
      }
    }
  }
  return selection;
}

bool Selection::counts(Event event) const {
  return std::find(available.begin(), available.end(), event) != available.end();
}

std::string Selection::summary() const {
  if (wanted.empty()) return "none (--flynn_counters=none)";
  std::string text = available.empty() ? "nothing" : describe(available);
  // One clause per reason, naming "hardware" rather than six events when all of them share it.
  std::vector<std::string> clauses;
  std::vector<bool> said(absent.size(), false);
  for (std::size_t i = 0; i < absent.size(); ++i) {
    if (said[i]) continue;
    std::vector<Event> events;
    for (std::size_t j = i; j < absent.size(); ++j) {
      if (!said[j] && absent[j].reason == absent[i].reason) {
        events.push_back(absent[j].event);
        said[j] = true;
      }
    }
    clauses.push_back(describe(events) + ": " + absent[i].reason);
  }
  if (!clauses.empty()) text += " (" + join(clauses, "; ") + ")";
  return text;
}

void select(Selection selection) { current() = std::move(selection); }

const Selection& selection() { return current(); }

std::string list_text() {
  const Selection all = Selection::parse("auto");
  std::string text = "perf_counters: " + all.summary() + "\n";
  for (int i = 0; i < kEventCount; ++i) {
    const auto event = static_cast<Event>(i);
    std::string line = std::string(spec(event).name);
    line.resize(18, ' ');
    line += spec(event).hardware ? "hardware  " : "software  ";
    if (all.counts(event)) {
      line += "counted";
    } else {
      for (const auto& a : all.absent) {
        if (a.event == event) line += "absent: " + a.reason;
      }
    }
    if (encoding(event) != "generic") line += " (libpfm4: " + encoding(event) + ")";
    text += line + "\n";
  }
  text += "libpfm4 PMUs: " + pfm_pmus() +
          "\nwhere Linux's generic event is not this CPU's: --flynn_counters=EVENT=PMU::NAME,... "
          "(libpfm4's names, which its showevtinfo lists; e.g. llc_misses=LONGEST_LAT_CACHE:MISS on an Intel core)\n";
  return text;
}

ThreadCounters::ThreadCounters(const std::vector<Event>& events, pid_t tid) { open(events, tid, false); }

ThreadCounters::ThreadCounters(const std::vector<Event>& events, Inherit) {
  open(events, 0, true);
  inherited_ = (!software_ || software_->complete()) && (!hardware_ || hardware_->complete());
  if (!inherited_) {
    software_.reset();
    hardware_.reset();
    software_events_.clear();
    hardware_events_.clear();
    open(events, 0, false);
  }
}

void ThreadCounters::open(const std::vector<Event>& events, pid_t tid, bool inherit) {
  std::vector<EventSpec> software, hardware;
  for (Event e : events) {
    (is_software(e) ? software_events_ : hardware_events_).push_back(e);
    (is_software(e) ? software : hardware).push_back(spec(e));
  }
  // The kernel's events must count kernel time: a switch happens there.
  if (!software.empty()) software_.emplace(software, false, tid, inherit);
  if (!hardware.empty()) hardware_.emplace(hardware, true, tid, inherit);
}

void ThreadCounters::start() {
  if (software_) software_->start();
  if (hardware_) hardware_->start();
}

Reading ThreadCounters::stop() {
  // Hardware first: its read would otherwise count the software group's read.
  Group::Values hardware = hardware_ ? hardware_->stop() : Group::Values{};
  Group::Values software = software_ ? software_->stop() : Group::Values{};
  return reading(software, hardware);
}

Reading ThreadCounters::reading(const Group::Values& software, const Group::Values& hardware) const {
  Reading reading;
  reading.threads = 1;
  bool any = false;
  for (std::size_t i = 0; i < hardware_events_.size() && i < hardware.scaled.size(); ++i) {
    if (!hardware.scaled[i]) continue;
    const int k = static_cast<int>(hardware_events_[i]);
    reading.present[k] = true;
    reading.value[k] = *hardware.scaled[i];
    any = true;
  }
  if (any) {
    reading.hardware_running_fraction =
        static_cast<double>(hardware.time_running) / static_cast<double>(hardware.time_enabled);
  }
  for (std::size_t i = 0; i < software_events_.size() && i < software.scaled.size(); ++i) {
    if (!software.scaled[i]) continue;
    const int k = static_cast<int>(software_events_[i]);
    reading.present[k] = true;
    reading.value[k] = *software.scaled[i];
  }
  return reading;
}

ThreadCounters::Snapshot ThreadCounters::peek() const {
  Snapshot snapshot;
  // Hardware first, as stop() reads them.
  if (hardware_) snapshot.hardware = hardware_->peek();
  if (software_) snapshot.software = software_->peek();
  return snapshot;
}

void add_interval(const Group::Values& earlier, const Group::Values& later, Group::Values& sum) {
  if (later.raw.size() != earlier.raw.size() || later.time_enabled < earlier.time_enabled) return;
  if (sum.raw.empty()) sum.raw.assign(later.raw.size(), std::nullopt);
  sum.time_enabled += later.time_enabled - earlier.time_enabled;
  sum.time_running += later.time_running - earlier.time_running;
  for (std::size_t i = 0; i < later.raw.size(); ++i) {
    if (!earlier.raw[i] || !later.raw[i] || *later.raw[i] < *earlier.raw[i]) continue;
    sum.raw[i] = sum.raw[i].value_or(0) + (*later.raw[i] - *earlier.raw[i]);
  }
}

void IntervalCounters::end() {
  const ThreadCounters::Snapshot now = counters_.peek();
  add_interval(open_.software, now.software, software_);
  add_interval(open_.hardware, now.hardware, hardware_);
}

Reading IntervalCounters::stop() {
  counters_.stop();
  if (software_.raw.empty() && hardware_.raw.empty()) return Reading{};
  return counters_.reading(Group::scale(software_), Group::scale(hardware_));
}

TeamCounters::TeamCounters(const std::vector<pid_t>& tids) {
  for (pid_t tid : tids) threads_.push_back(std::make_unique<ThreadCounters>(tid));
}

void TeamCounters::start() {
  for (auto& t : threads_) t->start();
}

Reading TeamCounters::stop() {
  Reading sum;
  for (auto& t : threads_) sum += t->stop();
  return sum;
}

double read_cost_ns() {
  static const double cost = [] {
    const Selection& chosen = selection();
    std::vector<EventSpec> software, hardware;
    for (Event e : chosen.available) (spec(e).hardware ? hardware : software).push_back(spec(e));
    // Both groups, as ThreadCounters::stop() reads them.
    Group sw(software, false), hw(hardware, true);
    if (!sw.any_open() && !hw.any_open()) return 0.0;
    sw.start();
    hw.start();
    std::uint64_t buffer[3 + kEventCount] = {};
    constexpr int kBatches = 101, kReads = 20;
    std::vector<double> per_read;
    for (int b = 0; b < kBatches; ++b) {
      const auto begin = std::chrono::steady_clock::now();
      for (int r = 0; r < kReads; ++r) {
        sw.read_raw(buffer, std::size(buffer));
        hw.read_raw(buffer, std::size(buffer));
      }
      const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - begin;
      per_read.push_back(took.count() / kReads);
    }
    std::nth_element(per_read.begin(), per_read.begin() + kBatches / 2, per_read.end());
    return per_read[kBatches / 2];
  }();
  return cost;
}

void add_context() {
  benchmark::AddCustomContext("perf_counters", selection().summary());
  if (!selection().available.empty()) {
    char cost[32];
    std::snprintf(cost, sizeof(cost), "%.0f", read_cost_ns());
    benchmark::AddCustomContext("perf_counters_read_ns", cost);
  }
}

void report(benchmark::State& state, const Reading& reading, std::string_view op, double ops_per_iteration) {
  const double ops = static_cast<double>(state.iterations()) * ops_per_iteration;
  if (reading.threads == 0 || ops <= 0) return;
  bool hardware = false;
  for (int i = 0; i < kEventCount; ++i) {
    if (!reading.present[i]) continue;
    const std::string name = std::string(kEvents[i].name) + "_per_" + std::string(op);
    // An area's own figure of that name is never replaced.
    if (state.counters.count(name) != 0) continue;
    state.counters[name] = reading.value[i] / ops;
    hardware = hardware || spec(static_cast<Event>(i)).hardware;
  }
  if (reading.has(Event::cycles) && reading.has(Event::instructions) && reading[Event::cycles] > 0) {
    state.counters["ipc"] = reading[Event::instructions] / reading[Event::cycles];
  }
  if (hardware) state.counters["hardware_counted_pct"] = 100.0 * reading.hardware_running_fraction;
}

}  // namespace flynn::perf
