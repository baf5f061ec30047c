// EPCC's method for the fixed cost of an OpenMP construct: time a loop of constructs around a
// small delay, time the reference loop with the same delays and no construct, and divide the
// difference by the number of constructs.
#pragma once

#include <omp.h>

#include <cstdint>

namespace flynn::mimd {

struct OverheadSample {
  double test_seconds = 0;
  double reference_seconds = 0;
  std::int64_t constructs = 0;

  OverheadSample& operator+=(const OverheadSample& other) {
    test_seconds += other.test_seconds;
    reference_seconds += other.reference_seconds;
    constructs += other.constructs;
    return *this;
  }
  double overhead_us() const { return (test_seconds - reference_seconds) / static_cast<double>(constructs) * 1e6; }
  double reference_us() const { return reference_seconds / static_cast<double>(constructs) * 1e6; }
};

// Times test() and reference() back to back with omp_get_wtime, as syncbench does.
template <class Test, class Reference>
OverheadSample time_overhead(std::int64_t constructs, Test test, Reference reference) {
  const double start = omp_get_wtime();
  test();
  const double middle = omp_get_wtime();
  reference();
  const double end = omp_get_wtime();
  return {middle - start, end - middle, constructs};
}

}  // namespace flynn::mimd
