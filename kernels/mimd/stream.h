// STREAM's four kernels (McCalpin) as OpenMP loops with a static schedule, and the parallel first
// touch that places each thread's pages where that thread will use them.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace flynn::mimd {

enum class StreamOp { copy, scale, add, triad };

// What one element costs, declared once: STREAM counts 8-byte reads and writes (no
// write-allocate traffic) and one flop per multiply or add.
struct StreamTraits {
  StreamOp op;
  std::string_view token;
  double flops_per_element;
  double bytes_per_element;
};

inline constexpr std::array<StreamTraits, 4> kStreamOps = {{
    {StreamOp::copy, "copy", 0, 16},    // a = b
    {StreamOp::scale, "scale", 1, 16},  // a = s*b
    {StreamOp::add, "add", 1, 24},      // a = b + c
    {StreamOp::triad, "triad", 2, 24},  // a = b + s*c
}};

struct StreamArrays {
  double* a;
  double* b;
  double* c;
  std::size_t n;
};

// a = 0, b = 1, c = 2 with the schedule of stream(), so first touch puts each page near its thread.
void stream_first_touch(const StreamArrays& arrays, int threads);

void stream(StreamOp op, const StreamArrays& arrays, double scalar, int threads);

// A kernel between the two bounds: a = p(b) + c with p a degree-4 polynomial (Horner), so
// 9 flops per 24 bytes: neither pure bandwidth nor pure arithmetic.
inline constexpr double kMixedFlopsPerElement = 9;
inline constexpr double kMixedBytesPerElement = 24;
void mixed(const StreamArrays& arrays, int threads);

}  // namespace flynn::mimd
