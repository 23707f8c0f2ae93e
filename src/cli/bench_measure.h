// What `duet bench` measures besides the load itself: CPU clocks (a process
// by pid, this thread, this process), the in-process crypto floor of one
// co-signature, and latency percentiles. Split from bench_commands.cc, which
// drives the load and prints the report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace duet::cli {

// CPU seconds (user + system) of process `pid` from /proc; -1 if unreadable.
double process_cpu_seconds(int pid);
// CPU seconds of process `pid` and of every process below it: its own
// user + system time, the time of the children it has already reaped
// (cutime + cstime: a PostgreSQL backend that exited during the run), and,
// recursively, that of its live children (found by scanning /proc for their
// parent pid). -1 if `pid` itself is unreadable. For the database server's
// CPU (--postgres-pid: the postmaster).
double process_tree_cpu_seconds(int pid);
// CPU seconds of the calling thread.
double thread_cpu_seconds();
// CPU seconds (user + system) of this process.
double self_cpu_seconds();

// The crypto floor, from `repetitions` timed batches. On a shared machine a
// single batch swings by a third (other processes evict caches and take the
// core between two clock reads); the median of many short batches is stable
// to a few per cent, and the minimum is the quietest batch seen.
struct Floor {
  double us_per_cosignature = 0;  // the median batch: what the ratios use
  double us_min = 0;              // the quietest batch
  double us_max = 0;              // the noisiest batch
  int repetitions = 0;
  int64_t iterations = 0;         // co-signatures over all batches
};

// ServiceSigner::verify_session + respond + finish over a pool of complete
// one-item sessions built beforehand, in `repetitions` batches of about
// `seconds / repetitions` of wall time each, CPU time of this thread per
// co-signature per batch (as bench/cosign_bench.cc's service_sign_*
// benchmarks). Exits the process (cli fail) if the protocol fails, which
// would be a bug.
Floor measure_crypto_floor(double seconds, int repetitions);

struct Percentiles {
  size_t n = 0;
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};

// Nearest-rank percentiles of `v` (all zero when empty).
Percentiles percentiles(std::vector<double> v);

}  // namespace duet::cli
