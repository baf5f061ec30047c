#include "mpi/agree.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace flynn::mpi {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
  for (unsigned char c : text) hash = (hash ^ c) * kFnvPrime;
  // The end of this piece: a 0 byte never occurs inside a C string.
  return (hash ^ 0) * kFnvPrime;
}

}  // namespace

double agreed_seconds(const std::vector<double>& per_rank_seconds) {
  return per_rank_seconds.empty() ? 0 : *std::max_element(per_rank_seconds.begin(), per_rank_seconds.end());
}

double max_over_ranks(double seconds, MPI_Comm comm) {
  double agreed = 0;
  MPI_Allreduce(&seconds, &agreed, 1, MPI_DOUBLE, MPI_MAX, comm);
  return agreed;
}

std::string agreed_error(const std::string& local_error, MPI_Comm comm) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int mine = local_error.empty() ? size : rank;
  int first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return {};
  // The message of the first failing rank reaches every rank, so rank 0 reports it.
  int length = static_cast<int>(local_error.size());
  MPI_Bcast(&length, 1, MPI_INT, first, comm);
  std::string text = rank == first ? local_error : std::string(static_cast<std::size_t>(length), '\0');
  MPI_Bcast(text.data(), length, MPI_CHAR, first, comm);
  return text;
}

std::uint64_t arguments_fingerprint(int argc, char** argv, char** environment) {
  std::uint64_t hash = kFnvOffset;
  // argv[0] left out: the same binary may be reached by different paths on different hosts.
  for (int i = 1; i < argc; ++i) hash = fnv1a(hash, argv[i]);
  hash = fnv1a(hash, "--environment--");
  std::vector<std::string_view> variables;
  for (char** e = environment; e != nullptr && *e != nullptr; ++e) {
    const std::string_view variable(*e);
    if (variable.starts_with("BENCHMARK_") || variable.starts_with("FLYNN_")) variables.push_back(variable);
  }
  // environ's order is not part of its meaning.
  std::sort(variables.begin(), variables.end());
  for (std::string_view variable : variables) hash = fnv1a(hash, variable);
  return hash;
}

bool same_on_all_ranks(std::uint64_t fingerprint, MPI_Comm comm) {
  unsigned long long mine = fingerprint, low = 0, high = 0;
  MPI_Allreduce(&mine, &low, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm);
  MPI_Allreduce(&mine, &high, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm);
  return low == high;
}

}  // namespace flynn::mpi
