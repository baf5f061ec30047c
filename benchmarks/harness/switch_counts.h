// Context switches the calling thread has seen (getrusage RUSAGE_THREAD): the proof that a
// benchmark that claims to measure a switch really switched.
#pragma once

#include <sys/resource.h>

#include <cstdint>

namespace flynn {

struct SwitchCounts {
  std::int64_t voluntary = 0;    // the thread blocked (waited for something)
  std::int64_t involuntary = 0;  // the scheduler preempted it

  static SwitchCounts of_this_thread() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return {usage.ru_nvcsw, usage.ru_nivcsw};
  }
  SwitchCounts operator-(const SwitchCounts& o) const { return {voluntary - o.voluntary, involuntary - o.involuntary}; }
  SwitchCounts operator+(const SwitchCounts& o) const { return {voluntary + o.voluntary, involuntary + o.involuntary}; }
};

}  // namespace flynn
