#include "mimd/constructs.h"

#include <omp.h>

#include <cstdlib>
#include <vector>

#include "common/spin.h"

namespace flynn::mimd {
namespace {

// One counter per thread, each on its own cache line, so counting adds no sharing of its own.
struct alignas(64) Tally {
  std::uint64_t count = 0;
};

std::uint64_t total(const std::vector<Tally>& tallies) {
  std::uint64_t sum = 0;
  for (const Tally& tally : tallies) sum += tally.count;
  return sum;
}

void count_delay(std::vector<Tally>& tallies, std::uint64_t delay_steps) {
  delay(delay_steps);
  ++tallies[static_cast<std::size_t>(omp_get_thread_num())].count;
}

}  // namespace

void delay(std::uint64_t delay_steps) {
  // spin() never returns 0 for a nonzero seed, but the compiler cannot know: the work stays.
  if (spin(1, delay_steps) == 0) std::abort();
}

std::uint64_t run_construct(Construct construct, int threads, int reps, std::uint64_t delay_steps) {
  // Sized before the construct loops, which are what is timed.
  std::vector<Tally> tallies(static_cast<std::size_t>(threads));
  std::uint64_t shared = 0;
  switch (construct) {
    case Construct::parallel:
      for (int j = 0; j < reps; ++j) {
#pragma omp parallel num_threads(threads)
        count_delay(tallies, delay_steps);
      }
      return total(tallies);
    case Construct::for_loop:
#pragma omp parallel num_threads(threads)
      for (int j = 0; j < reps; ++j) {
#pragma omp for
        for (int i = 0; i < threads; ++i) count_delay(tallies, delay_steps);
      }
      return total(tallies);
    case Construct::parallel_for:
      for (int j = 0; j < reps; ++j) {
#pragma omp parallel for num_threads(threads)
        for (int i = 0; i < threads; ++i) count_delay(tallies, delay_steps);
      }
      return total(tallies);
    case Construct::barrier:
#pragma omp parallel num_threads(threads)
      for (int j = 0; j < reps; ++j) {
        count_delay(tallies, delay_steps);
#pragma omp barrier
      }
      return total(tallies);
    case Construct::single:
#pragma omp parallel num_threads(threads)
      for (int j = 0; j < reps; ++j) {
#pragma omp single
        count_delay(tallies, delay_steps);
      }
      return total(tallies);
    case Construct::critical:
      // Each thread takes its share, so `reps` critical sections run in all, as in syncbench.
#pragma omp parallel num_threads(threads)
      for (int j = 0; j < reps / omp_get_num_threads(); ++j) {
#pragma omp critical
        {
          delay(delay_steps);
          ++shared;
        }
      }
      return shared;
    case Construct::lock: {
      omp_lock_t lock;
      omp_init_lock(&lock);
#pragma omp parallel num_threads(threads)
      for (int j = 0; j < reps / omp_get_num_threads(); ++j) {
        omp_set_lock(&lock);
        delay(delay_steps);
        ++shared;
        omp_unset_lock(&lock);
      }
      omp_destroy_lock(&lock);
      return shared;
    }
    case Construct::atomic:
#pragma omp parallel num_threads(threads)
      for (int j = 0; j < reps / omp_get_num_threads(); ++j) {
#pragma omp atomic
        ++shared;
      }
      return shared;
    case Construct::reduction:
      for (int j = 0; j < reps; ++j) {
#pragma omp parallel num_threads(threads) reduction(+ : shared)
        {
          delay(delay_steps);
          ++shared;
        }
      }
      return shared;
  }
  return 0;
}

std::uint64_t run_reference(Construct construct, int reps, std::uint64_t delay_steps) {
  std::uint64_t shared = 0;
  for (int j = 0; j < reps; ++j) {
    // syncbench's referatom: the atomic test has no delay, so neither has its reference.
    if (construct != Construct::atomic) delay(delay_steps);
    ++shared;
  }
  return shared;
}

}  // namespace flynn::mimd
