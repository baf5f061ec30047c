// flynn_plain_chase <bytes>: nanoseconds per load of a random pointer chase written apart from
// kernels/memory and the harness (its own shuffle, its own clock), to cross-check the plateaus of
// numa/chase/normal_pages, the DRAM one above all.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  const unsigned long long bytes = argc == 2 ? std::strtoull(argv[1], nullptr, 10) : 0;
  if (bytes < 128) {
    std::fprintf(stderr, "usage: %s <bytes, at least 128>\n", argv[0]);
    return 2;
  }
  using Line = std::array<void*, 8>;  // one 64-byte cache line per step
  std::vector<Line> lines(bytes / sizeof(Line));
  // A shuffled visiting order, the first line kept first; each line points at the next in order.
  std::vector<std::size_t> order(lines.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin() + 1, order.end(), std::mt19937_64(2024));
  for (std::size_t i = 0; i < order.size(); ++i) lines[order[i]][0] = &lines[order[(i + 1) % order.size()]];

  void* p = &lines[0];
  for (std::size_t i = 0; i < lines.size(); ++i) p = *static_cast<void**>(p);  // one lap to warm up
  const std::size_t loads = std::max<std::size_t>(lines.size(), std::size_t{1} << 24);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < loads; ++i) p = *static_cast<void**>(p);
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("%.2f ns per load, %llu bytes%s\n", elapsed.count() / static_cast<double>(loads), bytes,
              p == nullptr ? " (lost)" : "");
  return 0;
}
