#include "ctxsw/ctxsw_benchmarks.h"
#include "harness/area.h"

void flynn::register_area_benchmarks(const Topology& topology, Options&) {
  ctxsw::register_ping_pong_benchmarks(topology);
  ctxsw::register_timeslice_benchmarks(topology);
}
