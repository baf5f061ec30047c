// The machine's topology through hwloc: what every area asks about CPUs, cores, packages, NUMA
// nodes and caches, and where threads are bound. Tests load synthetic or XML topologies to
// check plans for machines we do not have.
#pragma once

#include <hwloc.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flynn {

class Topology {
 public:
  // This machine's topology, loaded once and restricted to the CPUs this process may use.
  static const Topology& machine();
  // e.g. "pack:2 core:4 pu:2", see hwloc's synthetic topology syntax.
  static Topology synthetic(const std::string& description);
  static Topology from_xml(const std::string& path);

  Topology(Topology&& other) noexcept;
  Topology& operator=(Topology&&) = delete;
  Topology(const Topology&) = delete;
  ~Topology();

  hwloc_topology_t get() const { return topology_; }
  int count(hwloc_obj_type_t type) const;
  hwloc_obj_t object(hwloc_obj_type_t type, int logical_index) const;
  // Operating-system indexes of the PUs (logical CPUs) this process may run on, in order.
  std::vector<int> cpus() const;
  // Size in bytes of the first data (or unified) cache at `level` (1..5); 0 when there is none.
  std::uint64_t cache_bytes(int level) const;
  std::string cpu_model() const;

 private:
  explicit Topology(hwloc_topology_t topology) : topology_(topology) {}
  hwloc_topology_t topology_;
};

// Binds the calling thread to one CPU (operating-system index). Throws std::invalid_argument for
// a CPU the machine does not have, before touching the current binding.
void bind_current_thread(const Topology& topology, int cpu);

// Binds the calling thread for one scope and restores its previous binding afterwards, so one
// benchmark's placement never leaks into the next. cpu < 0 means "any allowed CPU".
class ScopedBinding {
 public:
  ScopedBinding(const Topology& topology, int cpu);
  ~ScopedBinding();
  ScopedBinding(const ScopedBinding&) = delete;
  ScopedBinding& operator=(const ScopedBinding&) = delete;

 private:
  const Topology& topology_;
  hwloc_bitmap_t previous_;
};

}  // namespace flynn
