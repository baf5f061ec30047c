// One shared counter incremented by many threads, written once as a template over the increment
// strategy: the unsynchronised read-then-write whose updates get lost, the atomic and locked
// ways to make it exact, and per-thread counters summed at the end (packed into one cache line
// or padded apart, to show false sharing).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace flynn::sync {

enum class Strategy {
  racy,               // relaxed load, then relaxed store of value + 1: a real race, but no UB
  fetch_add_relaxed,  // one atomic read-modify-write, no ordering of other memory
  fetch_add_seq_cst,  // the same with a full fence (on x86 the same lock xadd)
  cas_loop,           // compare-exchange retried until no other thread got in between
  mutex,              // std::mutex around the read-then-write
  ttas_spinlock,      // test-and-test-and-set: spin reading, exchange only when it looks free
  local_sum,          // a counter of one's own in a register, stored once at the end
  packed_slots,       // a counter of one's own in memory, 8 of them sharing one cache line
  padded_slots,       // a counter of one's own in memory, each on its own pair of lines
};

struct StrategyTraits {
  Strategy strategy;
  std::string_view token;  // the benchmark name's variant
  bool exact;              // the total always equals threads x increments
  bool per_thread;         // the total is the sum of the threads' slots, not the shared value
};

inline constexpr std::array kStrategies = {
    StrategyTraits{Strategy::racy, "racy", false, false},
    StrategyTraits{Strategy::fetch_add_relaxed, "fetch_add_relaxed", true, false},
    StrategyTraits{Strategy::fetch_add_seq_cst, "fetch_add_seq_cst", true, false},
    StrategyTraits{Strategy::cas_loop, "cas_loop", true, false},
    StrategyTraits{Strategy::mutex, "mutex", true, false},
    StrategyTraits{Strategy::ttas_spinlock, "ttas_spinlock", true, false},
    StrategyTraits{Strategy::local_sum, "local_sum", true, true},
    StrategyTraits{Strategy::packed_slots, "packed_slots", true, true},
    StrategyTraits{Strategy::padded_slots, "padded_slots", true, true},
};

// 128, not 64: Intel's adjacent-line prefetcher fetches lines in pairs, so two counters 64 bytes
// apart still contend there (the reason folly and crossbeam pad to 128).
inline constexpr std::size_t kLinePairBytes = 128;
inline constexpr std::size_t kCacheLineBytes = 64;

// What every thread shares; each part on its own lines so strategies do not disturb each other.
struct SharedCounter {
  alignas(kLinePairBytes) std::atomic<std::uint64_t> value{0};
  alignas(kLinePairBytes) std::mutex mutex;
  alignas(kLinePairBytes) std::atomic<bool> locked{false};
};

// Eight per-thread counters in one 64-byte line: every increment by one thread invalidates the
// line in the other seven threads' caches although no counter is shared.
struct alignas(kCacheLineBytes) PackedLine {
  static constexpr int kSlots = kCacheLineBytes / sizeof(std::atomic<std::uint64_t>);
  std::array<std::atomic<std::uint64_t>, kSlots> slots{};
};

struct alignas(kLinePairBytes) PaddedSlot {
  std::atomic<std::uint64_t> value{0};
};

// Performs `count` increments with strategy S. `own` is the calling thread's slot (the per-thread
// strategies count there; the others ignore it). Returns a value that depends on every increment.
template <Strategy S>
std::uint64_t increment(SharedCounter& shared, std::atomic<std::uint64_t>& own, std::uint64_t count);

// The same, choosing the instantiation at run time.
std::uint64_t increment(Strategy strategy, SharedCounter& shared, std::atomic<std::uint64_t>& own,
                        std::uint64_t count);

// The scalar reference: what the counter (or the sum of the slots) must reach.
constexpr std::uint64_t expected_total(std::uint64_t threads, std::uint64_t increments_per_thread) {
  return threads * increments_per_thread;
}

}  // namespace flynn::sync
