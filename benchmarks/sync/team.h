// A team of threads kept for the whole benchmark, so thread creation stays out of the timed
// loop: each member runs `start` once (pinning, connecting), then `work` once per round.
#pragma once

#include <atomic>
#include <barrier>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flynn::sync {

class Team {
 public:
  using Job = std::function<void(int member)>;

  Team(int size, Job start, Job work) : work_(std::move(work)), sync_(size + 1) {
    for (int i = 0; i < size; ++i) {
      members_.emplace_back([this, i, start] {
        guarded([&] { start(i); });
        sync_.arrive_and_wait();  // everyone started
        for (;;) {
          sync_.arrive_and_wait();
          if (stop_.load()) return;
          if (error().empty()) guarded([&] { work_(i); });
          sync_.arrive_and_wait();
        }
      });
    }
    sync_.arrive_and_wait();
  }
  ~Team() {
    stop_.store(true);
    sync_.arrive_and_wait();
    for (auto& member : members_) member.join();
  }
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  // One round: every member runs `work` once; returns when all have finished.
  void run() {
    sync_.arrive_and_wait();
    sync_.arrive_and_wait();
  }
  // The first exception a member threw, or empty.
  std::string error() const {
    const std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      const std::lock_guard lock(mutex_);
      if (error_.empty()) error_ = e.what();
    }
  }

  Job work_;
  std::barrier<> sync_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string error_;
  std::vector<std::thread> members_;
};

}  // namespace flynn::sync
