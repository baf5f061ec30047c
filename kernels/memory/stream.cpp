#include "memory/stream.h"

#include <array>

namespace flynn::memory {

double read_sum(const double* a, std::size_t n) {
  // Eight independent partial sums: one chain of dependent adds (3-4 cycles each) would cap the
  // read at about 2 B per cycle, below what one core can pull from DRAM.
  std::array<double, 8> partial{};
  std::size_t i = 0;
  for (; i + partial.size() <= n; i += partial.size()) {
    for (std::size_t k = 0; k < partial.size(); ++k) partial[k] += a[i + k];
  }
  double sum = 0;
  for (; i < n; ++i) sum += a[i];
  for (double p : partial) sum += p;
  return sum;
}

void triad(double* a, const double* b, const double* c, double scalar, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + scalar * c[i];
}

}  // namespace flynn::memory
