// Where the two sides of a pairwise benchmark run, chosen from the topology. A plan either names
// two CPUs or says why this machine cannot provide the placement.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "harness/topology.h"

namespace flynn {

enum class Placement { same_cpu, smt, cross_core, cross_package, unpinned };

inline constexpr std::array kAllPlacements = {Placement::same_cpu, Placement::smt, Placement::cross_core,
                                              Placement::cross_package, Placement::unpinned};

std::string_view token(Placement placement);

struct PairPlan {
  static constexpr int kAnyCpu = -1;
  int first = kAnyCpu;
  int second = kAnyCpu;
  std::string skip_reason;  // empty when the placement is possible

  bool possible() const { return skip_reason.empty(); }
};

PairPlan plan_pair(const Topology& topology, Placement placement);

}  // namespace flynn
