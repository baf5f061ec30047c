// Streaming kernels for bandwidth: a read-only sum and STREAM's triad. Their traits say how many
// bytes each element moves, and every bandwidth counter is derived from them.
#pragma once

#include <cstddef>

namespace flynn::memory {

struct StreamTraits {
  std::size_t arrays;                     // arrays of `double` the kernel walks
  std::size_t bytes_read_per_element;
  std::size_t bytes_written_per_element;  // stores only; a write-allocate read is not counted (as STREAM)
  std::size_t bytes_per_element() const { return bytes_read_per_element + bytes_written_per_element; }
};

inline constexpr StreamTraits kReadTraits{1, sizeof(double), 0};
inline constexpr StreamTraits kTriadTraits{3, 2 * sizeof(double), sizeof(double)};

// Sum of a[0..n): depends on every element read.
double read_sum(const double* a, std::size_t n);
// a[i] = b[i] + scalar * c[i]. The stores to `a` are the work the compiler must keep.
void triad(double* a, const double* b, const double* c, double scalar, std::size_t n);

}  // namespace flynn::memory
