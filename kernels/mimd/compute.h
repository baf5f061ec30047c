// The compute-bound MIMD kernel: the SIMD area's polynomial (Horner, many flops per byte) over
// each thread's static share of a cache-resident array, several passes per parallel region so
// the fork/join is a small part of the work.
#pragma once

#include <cstddef>

namespace flynn::mimd {

// Flops per element per pass: the SIMD poly kernel's declared traits.
double compute_flops_per_element();

// Sum over `passes` passes of p(x[i]) for all i, split statically over `threads` threads.
double parallel_poly(const float* x, std::size_t n, int passes, int threads);

}  // namespace flynn::mimd
