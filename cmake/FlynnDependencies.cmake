# Every dependency comes from Debian's packages (scripts/packages.txt) as an imported target.
find_package(Threads REQUIRED)
find_package(benchmark REQUIRED)
# Debian's xsimd 8.1 target names a bare `xtl` in its link interface: the xtl package must be
# found first so that name resolves to its target instead of a missing -lxtl.
find_package(xtl REQUIRED)
find_package(xsimd REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
pkg_check_modules(NUMA REQUIRED IMPORTED_TARGET numa)
# Optional: without Open MPI (libopenmpi-dev) flynn_mpi is not built and its tests are skipped.
find_package(MPI COMPONENTS CXX)
if(FLYNN_TESTS)
  find_package(GTest REQUIRED)
endif()
# libpfm4 (libpfm4-dev) names the CPU's own events where Linux's generic ones are not enough
# (--flynn_counters=llc_misses=PMU::EVENT); Debian ships no CMake or pkg-config file for it.
find_path(PFM_INCLUDE_DIR perfmon/pfmlib_perf_event.h)
find_library(PFM_LIBRARY pfm)
if(NOT PFM_INCLUDE_DIR OR NOT PFM_LIBRARY)
  message(FATAL_ERROR "libpfm4 not found: install libpfm4-dev (scripts/packages.txt)")
endif()
add_library(flynn_libpfm UNKNOWN IMPORTED)
set_target_properties(flynn_libpfm PROPERTIES IMPORTED_LOCATION ${PFM_LIBRARY}
                                              INTERFACE_INCLUDE_DIRECTORIES ${PFM_INCLUDE_DIR})
