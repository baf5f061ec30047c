#include "sync/counter.h"

namespace flynn::sync {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  // PAUSE: tells the core this is a spin-wait (saves power, frees the sibling hyper-thread, and
  // avoids the memory-order mis-speculation flush when the lock is finally released).
  __builtin_ia32_pause();
#endif
}

// A read-then-write of the shared value that is only correct when the caller excludes others.
inline std::uint64_t bump(std::atomic<std::uint64_t>& value) {
  const std::uint64_t next = value.load(std::memory_order_relaxed) + 1;
  value.store(next, std::memory_order_relaxed);
  return next;
}

}  // namespace

template <Strategy S>
std::uint64_t increment(SharedCounter& shared, std::atomic<std::uint64_t>& own, std::uint64_t count) {
  if constexpr (S == Strategy::local_sum) {
    std::uint64_t local = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      ++local;
      // Without this the loop folds into local = count; with it each increment is a real add
      // in a register, the cheapest exact counting there is.
      asm volatile("" : "+r"(local));
    }
    own.store(local, std::memory_order_relaxed);
    return local;
  } else {
    std::uint64_t seen = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if constexpr (S == Strategy::racy) {
        seen += bump(shared.value);
      } else if constexpr (S == Strategy::fetch_add_relaxed) {
        seen += shared.value.fetch_add(1, std::memory_order_relaxed);
      } else if constexpr (S == Strategy::fetch_add_seq_cst) {
        seen += shared.value.fetch_add(1, std::memory_order_seq_cst);
      } else if constexpr (S == Strategy::cas_loop) {
        std::uint64_t current = shared.value.load(std::memory_order_relaxed);
        while (!shared.value.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) {
        }
        seen += current;
      } else if constexpr (S == Strategy::mutex) {
        const std::lock_guard lock(shared.mutex);
        seen += bump(shared.value);
      } else if constexpr (S == Strategy::ttas_spinlock) {
        while (shared.locked.exchange(true, std::memory_order_acquire)) {
          // Spin on a plain read: it hits the local copy of the line instead of stealing it.
          while (shared.locked.load(std::memory_order_relaxed)) cpu_relax();
        }
        seen += bump(shared.value);
        shared.locked.store(false, std::memory_order_release);
      } else {
        static_assert(S == Strategy::packed_slots || S == Strategy::padded_slots);
        // One writer per slot, so load + store is exact; each increment still goes to memory.
        seen += bump(own);
      }
    }
    return seen;
  }
}

std::uint64_t increment(Strategy strategy, SharedCounter& shared, std::atomic<std::uint64_t>& own,
                        std::uint64_t count) {
  switch (strategy) {
    case Strategy::racy: return increment<Strategy::racy>(shared, own, count);
    case Strategy::fetch_add_relaxed: return increment<Strategy::fetch_add_relaxed>(shared, own, count);
    case Strategy::fetch_add_seq_cst: return increment<Strategy::fetch_add_seq_cst>(shared, own, count);
    case Strategy::cas_loop: return increment<Strategy::cas_loop>(shared, own, count);
    case Strategy::mutex: return increment<Strategy::mutex>(shared, own, count);
    case Strategy::ttas_spinlock: return increment<Strategy::ttas_spinlock>(shared, own, count);
    case Strategy::local_sum: return increment<Strategy::local_sum>(shared, own, count);
    case Strategy::packed_slots: return increment<Strategy::packed_slots>(shared, own, count);
    case Strategy::padded_slots: return increment<Strategy::padded_slots>(shared, own, count);
  }
  return 0;
}

}  // namespace flynn::sync
