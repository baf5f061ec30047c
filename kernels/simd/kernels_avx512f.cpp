// The kernels for one instruction set; this file's compile flags are set in kernels/CMakeLists.txt.
#include "simd/kernels_impl.h"

namespace flynn::simd {
template struct Kernels<xsimd::avx512f, float>;
template struct Kernels<xsimd::avx512f, double>;
}  // namespace flynn::simd
