#include "mimd/stream.h"

namespace flynn::mimd {

void stream_first_touch(const StreamArrays& arrays, int threads) {
  double* const a = arrays.a;
  double* const b = arrays.b;
  double* const c = arrays.c;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(arrays.n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
}

void stream(StreamOp op, const StreamArrays& arrays, double scalar, int threads) {
  double* const a = arrays.a;
  const double* const b = arrays.b;
  const double* const c = arrays.c;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(arrays.n);
  // One loop per operation: a switch inside the loop would cost more than a copy's element.
  switch (op) {
    case StreamOp::copy:
#pragma omp parallel for num_threads(threads) schedule(static)
      for (std::ptrdiff_t i = 0; i < n; ++i) a[i] = b[i];
      break;
    case StreamOp::scale:
#pragma omp parallel for num_threads(threads) schedule(static)
      for (std::ptrdiff_t i = 0; i < n; ++i) a[i] = scalar * b[i];
      break;
    case StreamOp::add:
#pragma omp parallel for num_threads(threads) schedule(static)
      for (std::ptrdiff_t i = 0; i < n; ++i) a[i] = b[i] + c[i];
      break;
    case StreamOp::triad:
#pragma omp parallel for num_threads(threads) schedule(static)
      for (std::ptrdiff_t i = 0; i < n; ++i) a[i] = b[i] + scalar * c[i];
      break;
  }
}

void mixed(const StreamArrays& arrays, int threads) {
  double* const a = arrays.a;
  const double* const b = arrays.b;
  const double* const c = arrays.c;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(arrays.n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const double x = b[i];
    a[i] = (((0.5 * x + 0.25) * x + 0.125) * x + 0.0625) * x + 0.03125 + c[i];
  }
}

}  // namespace flynn::mimd
