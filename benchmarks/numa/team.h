// Threads bound one per CPU (hwloc) that run a piece of work together: the bandwidth kernels,
// their first touch with the same split (as STREAM does), and the loaded-latency streams.
#pragma once

#include <barrier>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "harness/topology.h"

namespace flynn::numa {

class Team {
 public:
  // Member 0 is the calling thread, bound to cpus[0] while the team lives; member i > 0 is a new
  // thread bound to cpus[i].
  Team(const Topology& topology, const std::vector<int>& cpus)
      : binding_(topology, cpus.at(0)), sync_(static_cast<std::ptrdiff_t>(cpus.size())) {
    for (std::size_t i = 1; i < cpus.size(); ++i) {
      members_.emplace_back([this, &topology, cpu = cpus[i], i] {
        bind_current_thread(topology, cpu);
        for (;;) {
          sync_.arrive_and_wait();
          if (!work_) return;
          work_(i);
          sync_.arrive_and_wait();
        }
      });
    }
  }
  ~Team() {
    work_ = nullptr;
    sync_.arrive_and_wait();
    for (auto& member : members_) member.join();
  }
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  std::size_t size() const { return members_.size() + 1; }

  // Runs work(i) on every member i and returns when all have finished.
  void run(std::function<void(std::size_t)> work) {
    work_ = std::move(work);
    sync_.arrive_and_wait();
    work_(0);
    sync_.arrive_and_wait();
  }

 private:
  ScopedBinding binding_;
  std::barrier<> sync_;
  std::function<void(std::size_t)> work_;
  std::vector<std::thread> members_;
};

// Member `member`'s share [begin, end) of `count` items split as evenly as possible.
struct Slice {
  std::size_t begin, end;
  static Slice of(std::size_t count, std::size_t members, std::size_t member) {
    return {count * member / members, count * (member + 1) / members};
  }
};

}  // namespace flynn::numa
