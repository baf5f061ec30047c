// Binding puts the calling thread where it was asked, and a CPU that does not exist is an error.
#include <gtest/gtest.h>
#include <sched.h>

#include <stdexcept>
#include <thread>

#include "harness/topology.h"

namespace flynn {
namespace {

TEST(Binding, EveryCpuRunsTheThreadThere) {
  const Topology& topology = Topology::machine();
  for (int cpu : topology.cpus()) {
    std::thread([&] {
      bind_current_thread(topology, cpu);
      EXPECT_EQ(sched_getcpu(), cpu);
    }).join();
  }
}

TEST(Binding, ScopedBindingRestoresThePreviousOne) {
  const Topology& topology = Topology::machine();
  cpu_set_t before, after;
  sched_getaffinity(0, sizeof before, &before);
  {
    const ScopedBinding binding(topology, topology.cpus().back());
    EXPECT_EQ(sched_getcpu(), topology.cpus().back());
  }
  sched_getaffinity(0, sizeof after, &after);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

TEST(Binding, MissingCpuIsAnErrorNotAHang) {
  const Topology& topology = Topology::machine();
  EXPECT_THROW(bind_current_thread(topology, 4096), std::invalid_argument);
  EXPECT_THROW(bind_current_thread(topology, -3), std::invalid_argument);
  EXPECT_THROW(ScopedBinding(topology, 4096), std::invalid_argument);
}

}  // namespace
}  // namespace flynn
