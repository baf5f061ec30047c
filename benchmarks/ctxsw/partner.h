// The other side of a ping-pong, as a thread or as a forked process (lmbench's lat_ctx), behind
// one interface so both models run the very same code.
#pragma once

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <exception>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace flynn::ctxsw {

enum class Model { threads, processes };

inline std::string_view token(Model model) { return model == Model::threads ? "threads" : "processes"; }

class Partner {
 public:
  Partner(Model model, const std::function<void()>& body) {
    if (model == Model::threads) {
      thread_ = std::thread([this, body] {
        try {
          body();
        } catch (...) {
          failure_ = std::current_exception();
        }
      });
      return;
    }
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      // A partner blocked on a bell (or spinning in sched_yield) would outlive a killed parent
      // for ever. PDEATHSIG fires when the forking thread ends, which is the benchmark's own
      // thread; a parent that died before prctl ran is caught by getppid() no longer matching.
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
      int status = 0;
      try {
        body();
      } catch (...) {
        status = 1;
      }
      // _exit: the child must not run the parent's atexit handlers or flush its stdio buffers.
      _exit(status);
    }
  }

  // Only reached without join() when the benchmark itself failed; that error is the one to report.
  ~Partner() {
    try {
      join();
    } catch (...) {
    }
  }
  Partner(const Partner&) = delete;
  Partner& operator=(const Partner&) = delete;

  // Waits for the partner; throws if it failed.
  void join() {
    if (thread_.joinable()) {
      thread_.join();
      if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
      return;
    }
    if (pid_ <= 0) return;
    int status = 0;
    waitpid(std::exchange(pid_, -1), &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("partner process failed");
  }

 private:
  std::thread thread_;
  std::exception_ptr failure_;
  pid_t pid_ = -1;
};

}  // namespace flynn::ctxsw
