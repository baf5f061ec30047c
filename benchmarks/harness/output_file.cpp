#include "harness/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string_view>

namespace flynn {
namespace {

// The temporary file to remove if the process ends before commit: a fixed buffer, so the signal
// handler only reads memory that is always there.
char g_temporary[PATH_MAX] = {};
pid_t g_owner = 0;
volatile std::sig_atomic_t g_armed = 0;

void remove_temporary() {
  // A forked partner inherits the handlers; only the process that made the file removes it.
  if (g_armed && getpid() == g_owner) {
    g_armed = 0;
    ::unlink(g_temporary);
  }
}

void on_signal(int signal) {
  remove_temporary();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void arm(const std::string& path) {
  std::snprintf(g_temporary, sizeof g_temporary, "%s", path.c_str());
  g_owner = getpid();
  g_armed = 1;
  static bool installed = false;
  if (installed) return;
  installed = true;
  std::atexit(remove_temporary);
  // An uncaught exception in a benchmark (std::bad_alloc) ends in std::terminate.
  static const std::terminate_handler previous = std::set_terminate([] {
    remove_temporary();
    if (previous != nullptr) previous();
    std::abort();
  });
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(signal, &action, nullptr);
  }
}

// The file reporter of the chosen format, recording whether every byte reached the stream: the
// library itself never checks its output file.
template <class Base>
class Checked : public Base {
 public:
  template <class... Args>
  explicit Checked(WriteOutcome* outcome, Args... args) : Base(args...), outcome_(outcome) {}
  void Finalize() override {
    Base::Finalize();
    std::ostream& out = this->GetOutputStream();
    out.flush();
    outcome_->good = static_cast<bool>(out);
    if (!outcome_->good) outcome_->error = errno;
    outcome_->finished = true;
  }

 private:
  WriteOutcome* outcome_;
};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string reason(int error) { return error == 0 ? "an I/O error" : std::strerror(error); }

}  // namespace

std::string benchmark_flag(int argc, char** argv, const std::string& name, bool* given) {
  const std::string prefix = "--" + name + "=";
  std::string value;
  bool found = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with(prefix)) {
      value = argv[i] + prefix.size();
      found = true;
    }
  }
  if (!found) {
    if (const char* from_environment = std::getenv(upper(name).c_str())) {
      value = from_environment;
      found = true;
    }
  }
  if (given != nullptr) *given = found;
  return value;
}

void check_benchmark_flags(int argc, char** argv) {
  for (const char* name : {"benchmark_format", "benchmark_out_format"}) {
    bool given = false;
    const std::string format = benchmark_flag(argc, argv, name, &given);
    if (given && format != "console" && format != "json" && format != "csv") {
      throw std::invalid_argument(std::string("--") + name + "=" + format + ": the format must be console, json or csv");
    }
  }
  bool given = false;
  const std::string repetitions = benchmark_flag(argc, argv, "benchmark_repetitions", &given);
  if (given) {
    errno = 0;
    char* end = nullptr;
    const long count = std::strtol(repetitions.c_str(), &end, 10);
    // Malformed values are left to the library, which refuses them as unrecognized.
    if (!repetitions.empty() && *end == '\0' && errno == 0 && count < 1) {
      throw std::invalid_argument("--benchmark_repetitions=" + repetitions +
                                  ": at least 1 (0 would run nothing, a negative count aborts)");
    }
  }
  std::string filter = benchmark_flag(argc, argv, "benchmark_filter");
  if (filter.starts_with('-')) filter.erase(0, 1);  // the library's negative filter
  try {
    // What Google Benchmark 1.7.1 compiles (src/re.h): std::regex, POSIX extended grammar.
    const std::regex compiled(filter, std::regex_constants::extended);
  } catch (const std::regex_error& error) {
    throw std::invalid_argument("--benchmark_filter='" + benchmark_flag(argc, argv, "benchmark_filter") +
                                "' is not a valid regular expression (POSIX extended): " + error.what());
  }
}

OutputFile::OutputFile(int argc, char** argv) {
  bool in_argv = false;
  const std::string prefix = "--benchmark_out=";
  for (int i = 1; i < argc; ++i) in_argv = in_argv || std::string_view(argv[i]).starts_with(prefix);
  const std::string out = benchmark_flag(argc, argv, "benchmark_out");
  format_ = benchmark_flag(argc, argv, "benchmark_out_format");
  if (format_.empty()) format_ = "json";
  arguments_.assign(argv, argv + argc);
  if (!out.empty()) {
    flag_text_ = prefix + out;
    struct stat status {};
    bool direct = false;
    target_ = out;
    if (::stat(out.c_str(), &status) == 0) {
      if (S_ISDIR(status.st_mode)) throw std::invalid_argument(flag_text_ + " is a directory, not a file");
      // Through a symlink, the file it names is replaced and the link kept.
      if (S_ISREG(status.st_mode)) target_ = std::filesystem::canonical(out).string();
      // A device or FIFO (/dev/stdout) is written directly: there is no earlier result to keep.
      direct = !S_ISREG(status.st_mode);
    } else if (::lstat(out.c_str(), &status) == 0) {
      throw std::invalid_argument(flag_text_ + " is a symlink to a missing file");
    }
    if (!direct) {
      const std::filesystem::path path(target_);
      const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
      temporary_ = (directory / ("." + path.filename().string() + ".flynn-" + std::to_string(getpid()) + ".tmp")).string();
    }
    replaced_ = prefix + (temporary_.empty() ? target_ : temporary_);
    for (char*& argument : arguments_) {
      if (std::string_view(argument).starts_with(prefix)) argument = replaced_.data();
    }
    if (!in_argv) arguments_.push_back(replaced_.data());  // BENCHMARK_OUT: the flag wins over it
  }
  arguments_.push_back(nullptr);
}

OutputFile::~OutputFile() {
  if (created_) remove_temporary();
}

void OutputFile::create() {
  if (temporary_.empty()) return;
  const std::filesystem::path directory = std::filesystem::path(temporary_).parent_path();
  const int fd = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      throw std::invalid_argument(flag_text_ + ": the temporary file " + temporary_ +
                                  " already exists (left by a killed run?); remove it");
    }
    throw std::invalid_argument(flag_text_ + ": cannot create a file in " + directory.string() + ": " +
                                std::strerror(error));
  }
  struct stat status {};
  if (::stat(target_.c_str(), &status) == 0) ::fchmod(fd, status.st_mode & 07777);  // the rename keeps the mode
  ::close(fd);
  created_ = true;
  arm(temporary_);
}

benchmark::BenchmarkReporter* OutputFile::reporter() {
  if (target_.empty()) return nullptr;
  if (!reporter_) {
    if (format_ == "console") {
      reporter_ = std::make_unique<Checked<benchmark::ConsoleReporter>>(&outcome_, benchmark::ConsoleReporter::OO_None);
    } else if (format_ == "csv") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      reporter_ = std::make_unique<Checked<benchmark::CSVReporter>>(&outcome_);
#pragma GCC diagnostic pop
    } else {
      reporter_ = std::make_unique<Checked<benchmark::JSONReporter>>(&outcome_);
    }
  }
  return reporter_.get();
}

void OutputFile::commit() {
  if (!reporter_) return;
  const WriteOutcome& outcome = outcome_;
  if (!outcome.finished) return;  // nothing was run (--benchmark_list_tests): the target stays as it was
  if (!outcome.good) {
    if (temporary_.empty()) throw std::runtime_error(flag_text_ + ": writing the results failed: " + reason(outcome.error));
    throw std::runtime_error(flag_text_ + ": writing the results failed: " + reason(outcome.error) +
                             "; any earlier file there is untouched");
  }
  if (temporary_.empty()) return;
  // On disk before the rename, so a crash cannot leave the target empty.
  if (const int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
    const int error = errno;
    g_armed = 0;  // keep the measurements
    created_ = false;
    throw std::runtime_error(flag_text_ + ": could not move the results into place: " + std::strerror(error) +
                             "; they are kept in " + temporary_);
  }
  g_armed = 0;
  created_ = false;
}

}  // namespace flynn
