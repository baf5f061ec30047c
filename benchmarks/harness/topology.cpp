#include "harness/topology.h"

#include <stdexcept>
#include <string>

namespace flynn {
namespace {

hwloc_topology_t load(const auto& configure) {
  hwloc_topology_t topology;
  if (hwloc_topology_init(&topology) != 0) throw std::runtime_error("hwloc_topology_init failed");
  if (!configure(topology) || hwloc_topology_load(topology) != 0) {
    hwloc_topology_destroy(topology);
    return nullptr;
  }
  return topology;
}

}  // namespace

const Topology& Topology::machine() {
  static const Topology instance([] {
    // hwloc's default drops the CPUs outside our cpuset (taskset, cgroups): they are not ours.
    hwloc_topology_t t = load([](hwloc_topology_t) { return true; });
    if (t == nullptr) throw std::runtime_error("hwloc could not load this machine's topology");
    return t;
  }());
  return instance;
}

Topology Topology::synthetic(const std::string& description) {
  hwloc_topology_t t = load([&](hwloc_topology_t topo) {
    return hwloc_topology_set_synthetic(topo, description.c_str()) == 0;
  });
  if (t == nullptr) throw std::invalid_argument("invalid synthetic topology: " + description);
  return Topology(t);
}

Topology Topology::from_xml(const std::string& path) {
  hwloc_topology_t t = load([&](hwloc_topology_t topo) { return hwloc_topology_set_xml(topo, path.c_str()) == 0; });
  if (t == nullptr) throw std::invalid_argument("cannot load topology XML: " + path);
  return Topology(t);
}

Topology::Topology(Topology&& other) noexcept : topology_(other.topology_) { other.topology_ = nullptr; }

Topology::~Topology() {
  if (topology_ != nullptr) hwloc_topology_destroy(topology_);
}

int Topology::count(hwloc_obj_type_t type) const { return hwloc_get_nbobjs_by_type(topology_, type); }

hwloc_obj_t Topology::object(hwloc_obj_type_t type, int logical_index) const {
  return hwloc_get_obj_by_type(topology_, type, static_cast<unsigned>(logical_index));
}

std::vector<int> Topology::cpus() const {
  std::vector<int> result;
  for (int i = 0; i < count(HWLOC_OBJ_PU); ++i) result.push_back(static_cast<int>(object(HWLOC_OBJ_PU, i)->os_index));
  return result;
}

std::uint64_t Topology::cache_bytes(int level) const {
  static constexpr hwloc_obj_type_t kLevels[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
                                                 HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE};
  if (level < 1 || level > 5) return 0;
  for (hwloc_obj_t cache = nullptr;
       (cache = hwloc_get_next_obj_by_type(topology_, kLevels[level - 1], cache)) != nullptr;) {
    if (cache->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION) return cache->attr->cache.size;
  }
  return 0;
}

std::string Topology::cpu_model() const {
  for (hwloc_obj_t obj : {object(HWLOC_OBJ_PACKAGE, 0), hwloc_get_root_obj(topology_)}) {
    const char* model = obj != nullptr ? hwloc_obj_get_info_by_name(obj, "CPUModel") : nullptr;
    if (model != nullptr) return model;
  }
  return "unknown";
}

void bind_current_thread(const Topology& topology, int cpu) {
  hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topology.get(), static_cast<unsigned>(cpu));
  if (cpu < 0 || pu == nullptr) {
    throw std::invalid_argument("CPU " + std::to_string(cpu) + " does not exist on this machine");
  }
  if (hwloc_set_cpubind(topology.get(), pu->cpuset, HWLOC_CPUBIND_THREAD) != 0) {
    throw std::runtime_error("cannot bind to CPU " + std::to_string(cpu) + " (outside this process's cpuset?)");
  }
}

ScopedBinding::ScopedBinding(const Topology& topology, int cpu) : topology_(topology), previous_(hwloc_bitmap_alloc()) {
  hwloc_get_cpubind(topology_.get(), previous_, HWLOC_CPUBIND_THREAD);
  try {
    if (cpu >= 0) {
      bind_current_thread(topology_, cpu);
    } else {
      hwloc_set_cpubind(topology_.get(), hwloc_topology_get_allowed_cpuset(topology_.get()), HWLOC_CPUBIND_THREAD);
    }
  } catch (...) {
    hwloc_bitmap_free(previous_);
    throw;
  }
}

ScopedBinding::~ScopedBinding() {
  hwloc_set_cpubind(topology_.get(), previous_, HWLOC_CPUBIND_THREAD);
  hwloc_bitmap_free(previous_);
}

}  // namespace flynn
