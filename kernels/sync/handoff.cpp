#include "sync/handoff.h"

namespace flynn::sync {

std::uint64_t bounce(BouncedLine& line, std::uint64_t side, std::uint64_t rounds, const std::atomic<bool>& stop) {
  std::uint64_t written = 0;
  for (std::uint64_t r = 0; r < rounds; ++r) {
    // Start from wherever the word is now: iterations follow each other without a reset.
    std::uint64_t current = line.value.load(std::memory_order_relaxed);
    for (;;) {
      // Our turn is a word of our parity; otherwise expect the partner's next step. A failed
      // compare-exchange also pulls the line over, so the wait itself bounces it (by design).
      std::uint64_t expected = (current % 2 == side) ? current : current + 1;
      if (line.value.compare_exchange_weak(expected, expected + 1, std::memory_order_acq_rel,
                                           std::memory_order_relaxed)) {
        written = expected + 1;
        break;
      }
      if (stop.load(std::memory_order_relaxed)) return 0;
      current = expected;
    }
  }
  return written;
}

}  // namespace flynn::sync
