// A plain MPI ping-pong and window bandwidth between ranks 0 and 1, with nothing of flynn in it
// (its own loop and MPI_Wtime, OSU's method: one timed loop of many round trips), to cross-check
// flynn_mpi's mpi/pingpong bytes:8 and mpi/bandwidth bytes:1048576 on the same hosts.
// Prints on rank 0: latency_8b_ns=<one-way ns> bandwidth_1mib_bytes_per_second=<rate>.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr int kWindow = 64;

double one_way_latency_ns(int rank, int round_trips) {
  char message[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  double start = 0;
  for (int i = -round_trips / 10; i < round_trips; ++i) {  // the first tenth warms up
    if (i == 0) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
    }
    if (rank == 0) {
      MPI_Send(message, 8, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
      MPI_Recv(message, 8, MPI_BYTE, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(message, 8, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(message, 8, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
    }
  }
  return (MPI_Wtime() - start) / round_trips / 2 * 1e9;
}

double window_bandwidth(int rank, int windows) {
  const int bytes = 1 << 20;
  std::vector<char> buffer(static_cast<std::size_t>(bytes) * kWindow, 1);
  MPI_Request requests[kWindow];
  char ack = 0;
  double start = 0;
  for (int i = -1; i < windows; ++i) {  // one window warms up
    if (i == 0) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = MPI_Wtime();
    }
    if (rank == 0) {
      for (int s = 0; s < kWindow; ++s) MPI_Isend(buffer.data() + s * bytes, bytes, MPI_BYTE, 1, 10 + s, MPI_COMM_WORLD, &requests[s]);
      MPI_Waitall(kWindow, requests, MPI_STATUSES_IGNORE);
      MPI_Recv(&ack, 1, MPI_CHAR, 1, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      for (int s = 0; s < kWindow; ++s) MPI_Irecv(buffer.data() + s * bytes, bytes, MPI_BYTE, 0, 10 + s, MPI_COMM_WORLD, &requests[s]);
      MPI_Waitall(kWindow, requests, MPI_STATUSES_IGNORE);
      MPI_Send(&ack, 1, MPI_CHAR, 0, 9, MPI_COMM_WORLD);
    }
  }
  return static_cast<double>(bytes) * kWindow * windows / (MPI_Wtime() - start);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) {
    if (rank == 0) std::fprintf(stderr, "mpi_pingpong: error: needs 2 ranks (mpirun -np 2)\n");
    MPI_Finalize();
    return 2;
  }
  const int round_trips = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int windows = argc > 2 ? std::atoi(argv[2]) : 10;
  const double latency = one_way_latency_ns(rank, round_trips);
  const double bandwidth = window_bandwidth(rank, windows);
  if (rank == 0) std::printf("latency_8b_ns=%.1f bandwidth_1mib_bytes_per_second=%.4g\n", latency, bandwidth);
  MPI_Finalize();
  return 0;
}
