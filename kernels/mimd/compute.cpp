#include "mimd/compute.h"

#include <omp.h>

#include <algorithm>

#include "simd/kernels.h"

namespace flynn::mimd {

double compute_flops_per_element() {
  const auto& traits = *std::find_if(simd::kKernelTraits.begin(), simd::kKernelTraits.end(),
                                     [](const simd::KernelTraits& t) { return t.id == simd::KernelId::poly; });
  return traits.flops_per_element;
}

double parallel_poly(const float* x, std::size_t n, int passes, int threads) {
  double total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const auto count = static_cast<std::size_t>(omp_get_num_threads());
    // The same contiguous blocks as schedule(static): thread t owns [n*t/T, n*(t+1)/T).
    const std::size_t begin = n * t / count;
    const std::size_t end = n * (t + 1) / count;
    for (int pass = 0; pass < passes; ++pass) total += simd::Kernels<simd::autovec, float>::poly(x + begin, end - begin);
  }
  return total;
}

}  // namespace flynn::mimd
