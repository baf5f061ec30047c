// Google Benchmark's own flags, checked before anything runs, and --benchmark_out written so that
// a failed run never costs the previous result: the library writes a temporary file beside the
// target, which replaces the target (rename) only once a run has written all of it.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace flynn {

// The value Google Benchmark 1.7.1 will take for --<name>: the last "--<name>=value" in argv,
// else the environment variable it reads (BENCHMARK_<NAME>), else empty.
std::string benchmark_flag(int argc, char** argv, const std::string& name, bool* given = nullptr);

// Throws std::invalid_argument, naming the flag, for Google Benchmark input that would measure
// nothing or fail late: --benchmark_format / --benchmark_out_format other than console, json or
// csv (the library prints its usage and exits 0), --benchmark_repetitions below 1 (0 runs nothing,
// a negative count aborts), and a --benchmark_filter that is not a regular expression (POSIX
// extended, compiled with std::regex as the library does).
void check_benchmark_flags(int argc, char** argv);

// What the file reporter saw: whether the run reached its end (Finalize) and every byte reached
// the file, with the error when not.
struct WriteOutcome {
  bool finished = false;
  bool good = false;
  int error = 0;
};

class OutputFile {
 public:
  // Reads --benchmark_out from argv (or BENCHMARK_OUT) and returns the arguments to give
  // benchmark::Initialize: the same, but naming the temporary file. Throws std::invalid_argument
  // for a target that cannot be one (a directory, a dangling symlink). A target that exists and is
  // not a regular file (/dev/stdout, a FIFO) is written directly: there is no result to keep.
  OutputFile(int argc, char** argv);
  ~OutputFile();  // removes a temporary file that was not committed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::vector<char*>& arguments() { return arguments_; }
  bool wanted() const { return !target_.empty(); }

  // Creates the temporary file (once the binary no longer re-executes itself). Throws
  // std::invalid_argument, naming the flag, when its directory is missing or not writable.
  void create();
  // The reporter for the file, of the format --benchmark_out_format asks; it records whether
  // every byte reached the file. nullptr when no file is wanted.
  benchmark::BenchmarkReporter* reporter();
  // After RunSpecifiedBenchmarks: moves a completely written file over the target. Throws
  // std::runtime_error naming the flag when the write or the rename failed; the target is then
  // untouched (and a written temporary file kept, named in the message). A run that wrote
  // nothing (--benchmark_list_tests) leaves the target untouched.
  void commit();

 private:
  std::string target_;     // where the results go (a symlink resolved, so the link is kept)
  std::string temporary_;  // empty when writing the target directly
  std::string format_;
  std::string flag_text_;  // "--benchmark_out=PATH" as given
  std::string replaced_;   // the argument naming the temporary file
  std::vector<char*> arguments_;
  std::unique_ptr<benchmark::BenchmarkReporter> reporter_;
  WriteOutcome outcome_;
  bool created_ = false;
};

}  // namespace flynn
