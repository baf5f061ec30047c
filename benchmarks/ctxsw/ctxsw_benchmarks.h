#pragma once

#include "harness/topology.h"

namespace flynn::ctxsw {

// ctxsw/<mechanism>/<threads|processes>/placement:<p>/bytes:<n> and ctxsw/<mechanism>/alone/bytes:<n>
void register_ping_pong_benchmarks(const Topology& topology);
// ctxsw/timeslice/busy/threads:<k>
void register_timeslice_benchmarks(const Topology& topology);

}  // namespace flynn::ctxsw
