// What one hand-off between two parties costs, for each mechanism, model and placement, and the
// mechanism alone beside it. The switch counters prove that a switch happened (or did not): the
// kernel's counts from a pass of their own before the timed one, getrusage's over the timed one.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ctxsw/ctxsw_benchmarks.h"
#include "ctxsw/doorbell.h"
#include "ctxsw/partner.h"
#include "ctxsw/ping_pong.h"
#include "harness/counters.h"
#include "harness/names.h"
#include "harness/perf_counters.h"
#include "harness/placement.h"
#include "harness/shared_memory.h"
#include "harness/switch_counts.h"

namespace flynn::ctxsw {
namespace {

// Bytes each side touches per message: nothing, then from well inside L1 (16 KiB) to past a
// typical L2 (1 MiB), so the cost of refilling caches after a switch shows as a curve.
constexpr std::array<std::size_t, 5> kWorkingSets = {0, 16 << 10, 64 << 10, 256 << 10, 1 << 20};

// The working-set sweep runs where every hand-off is a switch (one CPU) and for the mechanism
// alone; the other placements run with nothing touched.
bool sweeps_working_set(Placement placement) { return placement == Placement::same_cpu; }

struct PartnerReport {
  SwitchCounts switches;
  perf::Reading counters;  // the partner's own groups: a forked partner cannot be inherited
  std::uint64_t answered = 0;
};

// Lives in shared memory, so a forked partner uses the same bells and reports back through it.
template <class Bell>
struct Channel {
  Bell to_partner;
  Bell to_initiator;
  PartnerReport report;
  // The initiator's counters could not be inherited: the partner opens and reports its own.
  bool partner_counts = false;
};

template <class Bell>
void partner_side(Channel<Bell>& channel, int cpu, std::size_t bytes) {
  if (cpu != PairPlan::kAnyCpu) bind_current_thread(Topology::machine(), cpu);
  std::vector<std::byte> working_set(bytes);
  // Counting starts after the warm-up message, so the counts cover the timed run only.
  const std::uint32_t warm_up = channel.to_partner.wait();
  // Inherited from the initiator, which starts them for both sides at its loop; else opened here,
  // after the setup, and reported back.
  std::optional<perf::ThreadCounters> counters;
  if (channel.partner_counts) counters.emplace();
  if (counters) counters->start();
  const SwitchCounts before = SwitchCounts::of_this_thread();
  channel.to_initiator.ring(warm_up + 1);
  channel.report.answered = 1 + answer_until_stop(channel.to_partner, channel.to_initiator, working_set);
  channel.report.switches = SwitchCounts::of_this_thread() - before;
  if (counters) channel.report.counters = counters->stop();
}

// On one CPU the waker is often preempted by the woken side before it blocks, so a switch
// shows as voluntary or involuntary; their sum is getrusage's switch count per hand-off over the
// timed run: the proof, switches_per_op. The kernel's perf counts (context_switches_per_<op>, ...)
// come from `counted`, with getrusage's count of those same hand-offs beside them as
// counted_rusage_switches_per_op, the cross-check that the two interfaces count alike.
struct Counted {
  perf::Reading counts;
  SwitchCounts switches;
  double handoffs = 0;
};

void report_switches(benchmark::State& state, const SwitchCounts& switches, double handoffs, const Counted& counted,
                     std::string_view op) {
  state.counters["switches_per_op"] = static_cast<double>(switches.voluntary + switches.involuntary) / handoffs;
  state.counters["voluntary_switches_per_op"] = static_cast<double>(switches.voluntary) / handoffs;
  state.counters["involuntary_switches_per_op"] = static_cast<double>(switches.involuntary) / handoffs;
  if (counted.handoffs <= 0 || counted.counts.threads == 0) return;
  perf::report(state, counted.counts, op, counted.handoffs / static_cast<double>(state.iterations()));
  state.counters["counted_rusage_switches_per_op"] =
      static_cast<double>(counted.switches.voluntary + counted.switches.involuntary) / counted.handoffs;
  state.counters["counted_handoffs"] = counted.handoffs;
}

// What one partner's life gave: its round trips after the warm-up one, whether every answer came
// back in order, both sides' getrusage switches and, where counted, both sides' perf counts.
struct PairRun {
  std::uint64_t round_trips = 0;
  bool in_order = false;
  SwitchCounts switches;
  perf::Reading counts;
};

// Starts a partner, warms up with one round trip, runs `loop(round_trip)` and stops the partner.
// With `counted`, perf groups are opened before the partner exists, so the partner thread or
// process inherits them: both sides in one cloned perf context, which costs a switch far less than
// two contexts of their own; nothing counts until the loop starts.
template <class Bell, class Loop>
PairRun run_pair(Model model, const PairPlan& plan, std::size_t bytes, bool counted, Loop&& loop) {
  const SharedObject<Channel<Bell>> channel;
  std::optional<perf::ThreadCounters> counters;
  if (counted) counters.emplace(perf::selection().available, perf::ThreadCounters::Inherit{});
  channel->partner_counts = counters && !counters->inherited();
  Partner partner(model, [&] { partner_side(*channel, plan.second, bytes); });
  std::vector<std::byte> working_set(bytes);
  std::uint64_t k = 0;
  std::uint64_t in_order = round_trip(channel->to_partner, channel->to_initiator, k++, working_set);
  PairRun run;
  if (counters) counters->start();
  const SwitchCounts before = SwitchCounts::of_this_thread();
  loop([&] { in_order += round_trip(channel->to_partner, channel->to_initiator, k++, working_set); });
  run.switches = SwitchCounts::of_this_thread() - before;
  if (counters) run.counts = counters->stop();
  channel->to_partner.ring(kStop);
  partner.join();
  run.round_trips = k - 1;
  run.in_order = in_order == k && channel->report.answered == k;
  run.switches = run.switches + channel->report.switches;
  if (channel->partner_counts) run.counts += channel->report.counters;
  return run;
}

// The proof pass's round trips: 512 hand-offs give the count per hand-off to 0.2%, in a few
// milliseconds even where each takes 10 us.
constexpr int kCountedRoundTrips = 256;

template <class Bell>
void ping_pong(benchmark::State& state, Model model, const PairPlan& plan, std::size_t bytes) {
  if (!plan.possible()) return skip(state, plan.skip_reason);
  const ScopedBinding binding(Topology::machine(), plan.first);
  // The kernel's counts come from a pass of their own, just before the timed one, with the same
  // mechanism, placement and working set: a task with perf events is switched out and in through
  // perf's context switch, which lengthened a same-CPU futex hand-off by 5-10% here even with one
  // event counted (4.2-4.4 us off, 4.6-4.7 us with context-switches alone), and slowed a
  // cross-core sender until its partner slept at every hand-off (1.0 switches per hand-off counted,
  // 0.55 without the events). The timed pass runs without any; getrusage counts its switches.
  std::optional<PairRun> counted;
  if (!perf::selection().available.empty()) {
    counted = run_pair<Bell>(model, plan, bytes, true, [](auto&& one) {
      for (int i = 0; i < kCountedRoundTrips; ++i) one();
    });
  }
  const PairRun timed = run_pair<Bell>(model, plan, bytes, false, [&](auto&& one) {
    for (auto _ : state) one();
  });
  if (!timed.in_order || (counted && !counted->in_order)) {
    return state.SkipWithError("the partner's answers were lost or out of order");
  }
  // A round trip is two hand-offs, each one a switch when the waiter has to block.
  const double handoffs = 2.0 * static_cast<double>(state.iterations());
  state.counters["ns_per_switch"] = ns_per_event(2);
  report_switches(state, timed.switches, handoffs,
                  counted ? Counted{counted->counts, counted->switches, 2.0 * static_cast<double>(counted->round_trips)}
                          : Counted{},
                  "switch");
}

template <class Bell>
void alone(benchmark::State& state, std::size_t bytes) {
  const Topology& topology = Topology::machine();
  // Pinned like the same_cpu pair it is compared with, so a migration cannot add to it.
  const ScopedBinding binding(topology, plan_pair(topology, Placement::same_cpu).first);
  Bell bell;
  std::vector<std::byte> working_set(bytes);
  std::uint64_t k = 0;
  std::uint64_t wrong = 0;
  perf::ThreadCounters counters;
  counters.start();
  const SwitchCounts before = SwitchCounts::of_this_thread();
  for (auto _ : state) {
    wrong += ring_and_take(bell, k, working_set) != ping_message(k);
    ++k;
  }
  const SwitchCounts mine = SwitchCounts::of_this_thread() - before;
  const perf::Reading reading = counters.stop();
  if (wrong != 0) return state.SkipWithError("the bell returned a different message");
  state.counters["ns_per_handoff"] = ns_per_event(1);
  // Alone, nothing switches, so the events cost nothing: they count the timed loop itself.
  const double handoffs = static_cast<double>(state.iterations());
  report_switches(state, mine, handoffs, Counted{reading, mine, handoffs}, "handoff");
}

template <class Bell>
void register_mechanism(const Topology& topology, std::string_view mechanism) {
  for (Model model : {Model::threads, Model::processes}) {
    if (model == Model::processes && !Bell::kProcessShared) continue;
    for (Placement placement : kAllPlacements) {
      const PairPlan plan = plan_pair(topology, placement);
      for (std::size_t bytes : kWorkingSets) {
        if (bytes != 0 && !sweeps_working_set(placement)) continue;
        const auto name = BenchmarkName("ctxsw", mechanism, token(model))
                              .param("placement", token(placement))
                              .param("bytes", static_cast<std::int64_t>(bytes));
        benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
          ping_pong<Bell>(state, model, plan, bytes);
        })->UseRealTime();
      }
    }
  }
  for (std::size_t bytes : kWorkingSets) {
    const auto name = BenchmarkName("ctxsw", mechanism, "alone").param("bytes", static_cast<std::int64_t>(bytes));
    benchmark::RegisterBenchmark(name.str().c_str(), [=](benchmark::State& state) {
      alone<Bell>(state, bytes);
    })->UseRealTime();
  }
}

}  // namespace

void register_ping_pong_benchmarks(const Topology& topology) {
  register_mechanism<FutexBell>(topology, "futex");
  register_mechanism<PipeBell>(topology, "pipe");
  register_mechanism<EventfdBell>(topology, "eventfd");
  register_mechanism<CondvarBell>(topology, "condvar");
  register_mechanism<YieldBell>(topology, "yield");
}

}  // namespace flynn::ctxsw
