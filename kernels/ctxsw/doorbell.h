// One-way doorbells: ring(msg) hands a message to the other side, wait() blocks until one
// arrives. Each mechanism the context-switch benchmarks compare is one doorbell type, and a
// ping-pong is two of them, one per direction.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace flynn::ctxsw {

// Messages stay below kStop, so a bell that stores msg + 1 never stores 0 (its "empty" state).
inline constexpr std::uint32_t kStop = 0x80000000u;

// Raw FUTEX_WAIT/FUTEX_WAKE on a shared word (not the private variant, so it also works between
// processes when the bell lives in shared memory).
class FutexBell {
 public:
  static constexpr bool kProcessShared = true;
  void ring(std::uint32_t msg);
  std::uint32_t wait();

 private:
  std::atomic<std::uint32_t> word_{0};
};

// One pipe per direction, 4-byte messages, as lmbench's lat_ctx and `perf bench sched pipe`.
class PipeBell {
 public:
  static constexpr bool kProcessShared = true;
  PipeBell();
  ~PipeBell();
  PipeBell(const PipeBell&) = delete;
  PipeBell& operator=(const PipeBell&) = delete;
  void ring(std::uint32_t msg);
  std::uint32_t wait();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

class EventfdBell {
 public:
  static constexpr bool kProcessShared = true;
  EventfdBell();
  ~EventfdBell();
  EventfdBell(const EventfdBell&) = delete;
  EventfdBell& operator=(const EventfdBell&) = delete;
  void ring(std::uint32_t msg);
  std::uint32_t wait();

 private:
  int fd_ = -1;
};

// std::condition_variable is not process-shared, so this bell exists for threads only.
class CondvarBell {
 public:
  static constexpr bool kProcessShared = false;
  void ring(std::uint32_t msg);
  std::uint32_t wait();

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::uint32_t slot_ = 0;
  bool full_ = false;
};

// Polls a shared word and calls sched_yield while it is empty: on one CPU the yield hands the
// CPU to the partner; on two CPUs nothing blocks and no switch happens, which the switch
// counters then show.
class YieldBell {
 public:
  static constexpr bool kProcessShared = true;
  void ring(std::uint32_t msg);
  std::uint32_t wait();

 private:
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace flynn::ctxsw
