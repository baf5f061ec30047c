// The kernels for one instruction set; this file's compile flags are set in kernels/CMakeLists.txt.
#include "simd/kernels_impl.h"

namespace flynn::simd {
template struct Kernels<xsimd::fma3<xsimd::avx2>, float>;
template struct Kernels<xsimd::fma3<xsimd::avx2>, double>;
}  // namespace flynn::simd
