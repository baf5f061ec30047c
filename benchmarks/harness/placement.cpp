#include "harness/placement.h"

namespace flynn {
namespace {

int first_pu(hwloc_topology_t topology, hwloc_obj_t obj) {
  return static_cast<int>(hwloc_get_obj_inside_cpuset_by_type(topology, obj->cpuset, HWLOC_OBJ_PU, 0)->os_index);
}

PairPlan skipped(std::string reason) { return {PairPlan::kAnyCpu, PairPlan::kAnyCpu, std::move(reason)}; }

PairPlan smt_pair(const Topology& topology) {
  for (int i = 0; i < topology.count(HWLOC_OBJ_CORE); ++i) {
    hwloc_obj_t core = topology.object(HWLOC_OBJ_CORE, i);
    if (hwloc_get_nbobjs_inside_cpuset_by_type(topology.get(), core->cpuset, HWLOC_OBJ_PU) >= 2) {
      hwloc_obj_t sibling = hwloc_get_obj_inside_cpuset_by_type(topology.get(), core->cpuset, HWLOC_OBJ_PU, 1);
      return {first_pu(topology.get(), core), static_cast<int>(sibling->os_index), {}};
    }
  }
  return skipped("no SMT siblings: every core has 1 PU");
}

// Two cores that share a package, so the wake-up crosses cores but not a socket interconnect.
PairPlan cross_core_pair(const Topology& topology) {
  for (int p = 0; p < topology.count(HWLOC_OBJ_PACKAGE); ++p) {
    hwloc_obj_t package = topology.object(HWLOC_OBJ_PACKAGE, p);
    if (hwloc_get_nbobjs_inside_cpuset_by_type(topology.get(), package->cpuset, HWLOC_OBJ_CORE) >= 2) {
      hwloc_obj_t a = hwloc_get_obj_inside_cpuset_by_type(topology.get(), package->cpuset, HWLOC_OBJ_CORE, 0);
      hwloc_obj_t b = hwloc_get_obj_inside_cpuset_by_type(topology.get(), package->cpuset, HWLOC_OBJ_CORE, 1);
      return {first_pu(topology.get(), a), first_pu(topology.get(), b), {}};
    }
  }
  return skipped("no package has 2 cores");
}

PairPlan cross_package_pair(const Topology& topology) {
  const int packages = topology.count(HWLOC_OBJ_PACKAGE);
  if (packages < 2) return skipped(std::to_string(packages) + " package");
  return {first_pu(topology.get(), topology.object(HWLOC_OBJ_PACKAGE, 0)),
          first_pu(topology.get(), topology.object(HWLOC_OBJ_PACKAGE, 1)), {}};
}

}  // namespace

std::string_view token(Placement placement) {
  switch (placement) {
    case Placement::same_cpu: return "same_cpu";
    case Placement::smt: return "smt";
    case Placement::cross_core: return "cross_core";
    case Placement::cross_package: return "cross_package";
    case Placement::unpinned: return "unpinned";
  }
  return "unknown";
}

PairPlan plan_pair(const Topology& topology, Placement placement) {
  switch (placement) {
    case Placement::same_cpu: {
      const int cpu = first_pu(topology.get(), hwloc_get_root_obj(topology.get()));
      return {cpu, cpu, {}};
    }
    case Placement::smt: return smt_pair(topology);
    case Placement::cross_core: return cross_core_pair(topology);
    case Placement::cross_package: return cross_package_pair(topology);
    case Placement::unpinned: return {};
  }
  return skipped("unknown placement");
}

}  // namespace flynn
