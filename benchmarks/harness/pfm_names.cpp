#include "harness/pfm_names.h"

#include <perfmon/pfmlib_perf_event.h>

#include <cstdlib>
#include <cstring>

namespace flynn::perf {
namespace {

// pfm_initialize once per process; its result for every later call.
int initialised() {
  static const int result = pfm_initialize();
  return result;
}

}  // namespace

std::variant<PfmEncoding, std::string> pfm_encode(const std::string& name) {
  if (const int init = initialised(); init != PFM_SUCCESS) {
    return std::string("libpfm4 did not initialise: ") + pfm_strerror(init);
  }
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  char* full = nullptr;
  pfm_perf_encode_arg_t arg;
  std::memset(&arg, 0, sizeof(arg));
  arg.attr = &attr;
  arg.fstr = &full;
  arg.size = sizeof(arg);
  // The privilege levels are flynn's own choice per group (harness/perf_counters.cpp); only the
  // event's type and configuration are taken from libpfm4.
  const int result = pfm_get_os_event_encoding(name.c_str(), PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
  if (result != PFM_SUCCESS) {
    std::free(full);
    return "libpfm4: " + std::string(pfm_strerror(result));
  }
  const std::string qualified = full != nullptr ? full : name;
  std::free(full);
  // The fully qualified name ends in the modifiers libpfm4 applied (":u=1:k=0:..."): the event is
  // its PMU, its name and its unit masks, the parts without an '='.
  std::string canonical;
  for (std::size_t begin = 0; begin <= qualified.size();) {
    std::size_t end = qualified.find(':', begin);
    if (end == std::string::npos) end = qualified.size();
    // "::" separates the PMU from the event: an empty part.
    const std::string part = qualified.substr(begin, end - begin);
    if (part.find('=') == std::string::npos) canonical += (begin == 0 ? "" : ":") + part;
    begin = end + 1;
  }
  PfmEncoding encoding{attr.type, attr.config, attr.config1, attr.config2, canonical};
  return encoding;
}

std::string pfm_pmus() {
  if (const int init = initialised(); init != PFM_SUCCESS) {
    return std::string("libpfm4 did not initialise: ") + pfm_strerror(init);
  }
  std::string names;
  // pfm_for_all_pmus increments the enum itself, which C++ refuses.
  for (int pmu = PFM_PMU_NONE; pmu < PFM_PMU_MAX; ++pmu) {
    pfm_pmu_info_t info;
    std::memset(&info, 0, sizeof(info));
    info.size = sizeof(info);
    if (pfm_get_pmu_info(static_cast<pfm_pmu_t>(pmu), &info) == PFM_SUCCESS && info.is_present) {
      names += (names.empty() ? "" : ", ") + std::string(info.name);
    }
  }
  return names.empty() ? "none" : names;
}

}  // namespace flynn::perf
