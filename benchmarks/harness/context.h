// The machine's description, added to every result's JSON context: without it a figure cannot
// be compared with anything.
#pragma once

#include <map>
#include <string>

#include "harness/topology.h"

namespace flynn {

std::map<std::string, std::string> machine_context(const Topology& topology);

// Adds machine_context() to Google Benchmark's context.
void add_machine_context(const Topology& topology);

}  // namespace flynn
