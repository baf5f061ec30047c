#include "harness/context.h"

#include <benchmark/benchmark.h>
#include <cpuid.h>
#include <sys/utsname.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "flynn/build_info.h"
#include "harness/clock.h"
#include "harness/isa.h"

namespace flynn {
namespace {

// Firmware strings come padded with spaces.
std::string trimmed(std::string text) {
  const auto end = text.find_last_not_of(' ');
  text.erase(end == std::string::npos ? 0 : end + 1);
  const auto begin = text.find_first_not_of(' ');
  return begin == std::string::npos ? std::string() : text.substr(begin);
}

std::string first_line(const char* path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line)) return "unreadable";
  return line;
}

// "always [madvise] never" -> "madvise"
std::string bracketed_choice(const std::string& line) {
  const auto open = line.find('[');
  const auto close = line.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return line;
  return line.substr(open + 1, close - open - 1);
}

// CPUID leaf 1, ECX bit 31 is set by hypervisors; leaf 0x40000000 names the vendor.
std::string hypervisor() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0 || (c & (1u << 31)) == 0) return "none";
  __cpuid(0x40000000, a, b, c, d);
  char vendor[13] = {};
  std::memcpy(vendor + 0, &b, 4);
  std::memcpy(vendor + 4, &c, 4);
  std::memcpy(vendor + 8, &d, 4);
  const std::string name = trimmed(vendor);
  return name.empty() ? "present" : name;
}

std::string simd_isas() {
  const auto cpu = xsimd::available_architectures();
  std::string list;
  for (const auto& isa : kIsaTokens) {
    if (isa.supported(cpu)) list.append(list.empty() ? "" : ",").append(isa.token);
  }
  return list.empty() ? "none" : list;
}

}  // namespace

std::map<std::string, std::string> machine_context(const Topology& topology) {
  utsname uts{};
  uname(&uts);
  return {
      {"cpu_model", trimmed(topology.cpu_model())},
      {"topology_packages", std::to_string(topology.count(HWLOC_OBJ_PACKAGE))},
      {"topology_numa_nodes", std::to_string(topology.count(HWLOC_OBJ_NUMANODE))},
      {"topology_cores", std::to_string(topology.count(HWLOC_OBJ_CORE))},
      {"topology_pus", std::to_string(topology.count(HWLOC_OBJ_PU))},
      {"cache_l1d_bytes", std::to_string(topology.cache_bytes(1))},
      {"cache_l2_bytes", std::to_string(topology.cache_bytes(2))},
      {"cache_l3_bytes", std::to_string(topology.cache_bytes(3))},
      {"simd_isas", simd_isas()},
      {"compiler", build_info::compiler},
      {"cxx_flags", build_info::cxx_flags},
      {"build_type", build_info::build_type},
      {"git_revision", build_info::git_revision},
      {"kernel_release", std::string(uts.release)},
      {"thp_mode", bracketed_choice(first_line("/sys/kernel/mm/transparent_hugepage/enabled"))},
      {"cpu_governor", first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")},
      // Automatic NUMA balancing samples a task's pages by unmapping them: the hinting faults it
      // takes then are minor faults, inside a timed loop too (trust's proofs say so).
      {"numa_balancing", first_line("/proc/sys/kernel/numa_balancing")},
      {"hypervisor", hypervisor()},
      {"clock_hz_estimate", std::to_string(estimated_clock_hz())},
      {"clock_estimate_method", kClockEstimateMethod},
  };
}

void add_machine_context(const Topology& topology) {
  for (const auto& [key, value] : machine_context(topology)) benchmark::AddCustomContext(key, value);
}

}  // namespace flynn
