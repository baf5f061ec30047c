// Cache-line hand-off: two threads take turns advancing one word with compare-exchange, so the
// line holding it moves between their cores at every step (as core-to-core latency tools do).
#pragma once

#include <atomic>
#include <cstdint>

namespace flynn::sync {

// The word bounced between two cores, alone on its line.
struct alignas(128) BouncedLine {
  std::atomic<std::uint64_t> value{0};
};

// Side `side` (0 or 1) owns the odd (1) or even (0) steps: it waits until the word is
// 2k + side and swings it to 2k + side + 1, `rounds` times. Each of its steps is one hand-off
// to this core and, by the partner, one back. Returns the last value it wrote, or 0 when `stop`
// was raised first (the partner finished).
std::uint64_t bounce(BouncedLine& line, std::uint64_t side, std::uint64_t rounds, const std::atomic<bool>& stop);

}  // namespace flynn::sync
