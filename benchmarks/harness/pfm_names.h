// libpfm4's names for the CPU's own events, as perf_event_open takes them: where Linux's generic
// events are not enough (a PMU whose driver maps no generic LLC-miss event, say), a user names the
// event of their CPU (`LONGEST_LAT_CACHE:MISS` on an Intel core) and libpfm4 encodes it.
// Its own translation unit: libpfm4's <perfmon/perf_event.h> declares the kernel's structures
// again, and cannot share one with <linux/perf_event.h>.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace flynn::perf {

// An event as perf_event_attr takes it, and the full name libpfm4 knows it by.
struct PfmEncoding {
  std::uint32_t type = 0;
  std::uint64_t config = 0;
  std::uint64_t config1 = 0;
  std::uint64_t config2 = 0;
  std::string canonical;  // "perf::PERF_COUNT_HW_CPU_CYCLES"
};

// libpfm4's encoding of `name`, or why it has none ("libpfm4: event not found").
std::variant<PfmEncoding, std::string> pfm_encode(const std::string& name);

// The PMUs libpfm4 finds on this machine ("perf, perf_raw": only Linux's generic and raw tables,
// no core PMU), or why it could not look.
std::string pfm_pmus();

}  // namespace flynn::perf
