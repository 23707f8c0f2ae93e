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
// CPU seconds of the calling thread.
double thread_cpu_seconds();
// CPU seconds (user + system) of this process.
double self_cpu_seconds();

struct Floor {
  double us_per_cosignature = 0;
  int64_t iterations = 0;
};

// ServiceSigner::verify_session + respond + finish over a pool of complete
// one-item sessions built beforehand, for about `seconds` of this thread's
// CPU (as bench/cosign_bench.cc's service_sign_* benchmarks). Exits the
// process (cli fail) if the protocol fails, which would be a bug.
Floor measure_crypto_floor(double seconds);

struct Percentiles {
  size_t n = 0;
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};

// Nearest-rank percentiles of `v` (all zero when empty).
Percentiles percentiles(std::vector<double> v);

}  // namespace duet::cli
