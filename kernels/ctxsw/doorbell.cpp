#include "ctxsw/doorbell.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace flynn::ctxsw {
namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, nullptr, nullptr, 0);
}

// Reads or writes exactly n bytes, retrying when a signal (e.g. the profiler's) interrupts.
template <class Io>
void transfer_all(Io io, const char* what) {
  for (;;) {
    if (io() >= 0) return;
    if (errno != EINTR) fail(what);
  }
}

}  // namespace

void FutexBell::ring(std::uint32_t msg) {
  word_.store(msg + 1, std::memory_order_release);
  if (futex(word_, FUTEX_WAKE, 1) < 0) fail("FUTEX_WAKE");
}

std::uint32_t FutexBell::wait() {
  for (;;) {
    const std::uint32_t value = word_.exchange(0, std::memory_order_acquire);
    if (value != 0) return value - 1;
    // EAGAIN: the partner rang between the exchange and the wait; look again.
    if (futex(word_, FUTEX_WAIT, 0) < 0 && errno != EAGAIN && errno != EINTR) fail("FUTEX_WAIT");
  }
}

PipeBell::PipeBell() {
  int fds[2];
  if (pipe(fds) != 0) fail("pipe");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

PipeBell::~PipeBell() {
  close(read_fd_);
  close(write_fd_);
}

void PipeBell::ring(std::uint32_t msg) {
  transfer_all([&] { return write(write_fd_, &msg, sizeof msg); }, "pipe write");
}

std::uint32_t PipeBell::wait() {
  std::uint32_t msg = 0;
  // A 4-byte message never splits: pipe writes up to PIPE_BUF bytes are atomic.
  transfer_all([&] { return read(read_fd_, &msg, sizeof msg); }, "pipe read");
  return msg;
}

EventfdBell::EventfdBell() : fd_(eventfd(0, 0)) {
  if (fd_ < 0) fail("eventfd");
}

EventfdBell::~EventfdBell() { close(fd_); }

void EventfdBell::ring(std::uint32_t msg) {
  const std::uint64_t value = std::uint64_t{msg} + 1;
  transfer_all([&] { return write(fd_, &value, sizeof value); }, "eventfd write");
}

std::uint32_t EventfdBell::wait() {
  std::uint64_t value = 0;
  transfer_all([&] { return read(fd_, &value, sizeof value); }, "eventfd read");
  return static_cast<std::uint32_t>(value - 1);
}

void CondvarBell::ring(std::uint32_t msg) {
  {
    std::lock_guard lock(mutex_);
    slot_ = msg;
    full_ = true;
  }
  ready_.notify_one();
}

std::uint32_t CondvarBell::wait() {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return full_; });
  full_ = false;
  return slot_;
}

void YieldBell::ring(std::uint32_t msg) { word_.store(msg + 1, std::memory_order_release); }

std::uint32_t YieldBell::wait() {
  while (word_.load(std::memory_order_relaxed) == 0) sched_yield();
  return word_.exchange(0, std::memory_order_acquire) - 1;
}

}  // namespace flynn::ctxsw
