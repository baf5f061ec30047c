// flynn_mpi's main: MPI around the shared main (harness/main.cpp, included with its main renamed,
// so flags, refusals and the output file behave as in every area). Before it runs, the ranks must
// agree on their arguments; rank 0 alone reports (the other ranks' display and file go to
// /dev/null); and every rank exits with the worst status any rank had.
#include <fcntl.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mpi/agree.h"

#define main flynn_harness_main
#include "harness/main.cpp"
#undef main

extern char** environ;

namespace {

// Why the --benchmark_out target (the last one given, else BENCHMARK_OUT) cannot be written, or
// empty: its directory is missing or not writable, or it is a directory.
std::string output_refusal(int argc, char** argv) {
  std::string target;
  if (const char* variable = std::getenv("BENCHMARK_OUT")) target = variable;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument(argv[i]);
    if (argument.starts_with("--benchmark_out=")) target = argument.substr(std::strlen("--benchmark_out="));
  }
  if (target.empty()) return {};
  const std::size_t slash = target.find_last_of('/');
  const std::string directory = slash == std::string::npos ? "." : slash == 0 ? "/" : target.substr(0, slash);
  struct stat info {};
  if (stat(target.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return "--benchmark_out=" + target + " is a directory";
  if (stat(target.c_str(), &info) != 0 && lstat(target.c_str(), &info) == 0) {
    return "--benchmark_out=" + target + " is a symlink to a missing file";
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    return "--benchmark_out=" + target + ": its directory " + directory + " is missing or not writable";
  }
  return {};
}

// Google Benchmark 1.7.1's reading of a bool flag's value (IsTruthyFlagValue): empty is true.
bool truthy(std::string value) {
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (value.size() == 1) return std::isalnum(static_cast<unsigned char>(value[0])) && value != "0" && value != "f" && value != "n";
  return value != "false" && value != "no" && value != "off";
}

// Why the run order would differ across ranks, or empty. Random interleaving shuffles each
// process's order with its own std::random_device: the ranks would enter different benchmarks,
// and their collectives would not meet (a hang, or figures of mismatched loops).
std::string order_refusal(int argc, char** argv) {
  const std::string flag = "--benchmark_enable_random_interleaving";
  bool shuffled = false;
  if (const char* variable = std::getenv("BENCHMARK_ENABLE_RANDOM_INTERLEAVING")) shuffled = truthy(variable);
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument(argv[i]);
    if (argument == flag) shuffled = true;
    if (argument.starts_with(flag + "=")) shuffled = truthy(std::string(argument.substr(flag.size() + 1)));
  }
  if (!shuffled) return {};
  return flag + ": every process would shuffle its own order, and the ranks' loops would not meet; "
         "flynn_mpi runs its benchmarks in one order on every rank";
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (!flynn::mpi::same_on_all_ranks(flynn::mpi::arguments_fingerprint(argc, argv, environ), MPI_COMM_WORLD)) {
    if (rank == 0) {
      std::fprintf(stderr,
                   "%s: error: the ranks were given different arguments or BENCHMARK_*/FLYNN_* variables; every rank "
                   "must run the same filter and flags, or their loops would not meet\n",
                   argv[0]);
    }
    MPI_Finalize();
    return 2;
  }
  // Only rank 0 writes the result file, so only it could find its directory unwritable, after
  // the others had entered the first benchmark's loop: checked here, and agreed.
  // The arguments agree, so every rank finds the same here.
  if (const std::string order = order_refusal(argc, argv); !order.empty()) {
    if (rank == 0) std::fprintf(stderr, "%s: error: %s\n", argv[0], order.c_str());
    MPI_Finalize();
    return 2;
  }
  const std::string refusal = rank == 0 ? output_refusal(argc, argv) : std::string();
  int refused = refusal.empty() ? 0 : 1;
  MPI_Bcast(&refused, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (refused != 0) {
    if (rank == 0) std::fprintf(stderr, "%s: error: %s\n", argv[0], refusal.c_str());
    MPI_Finalize();
    return 2;
  }
  std::vector<char*> arguments;
  for (int i = 0; i < argc; ++i) {
    // Only rank 0 writes the result file: the others would race it for the same path.
    if (rank != 0 && std::string_view(argv[i]).starts_with("--benchmark_out=")) continue;
    arguments.push_back(argv[i]);
  }
  if (rank != 0) {
    unsetenv("BENCHMARK_OUT");
    // The same display again from every rank would interleave with rank 0's; anything a rank
    // alone finds wrong reaches rank 0 through the agreement (agree.h).
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      close(null);
    }
  }
  int count = static_cast<int>(arguments.size());
  arguments.push_back(nullptr);
  const int status = flynn_harness_main(count, arguments.data());
  int worst = status;
  MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
