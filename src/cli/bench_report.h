// The figures of one `duet bench` load and how they are reported: the text
// report and the --json document. Split from bench_commands.cc, which sets the
// run up and drives it.
#pragma once

#include <cstdint>
#include <string>

#include "cli/bench_load_worker.h"
#include "cli/bench_measure.h"
#include "cli/cli_common.h"

namespace duet::cli {

// The clocks read around the load.
struct LoadTimes {
  double wall = 0;         // seconds
  double duetd_cpu0 = -1;  // duetd's CPU seconds at the start and the end (-1: unknown)
  double duetd_cpu1 = -1;
  double db_cpu0 = -1;     // the PostgreSQL server's (--postgres-pid), same
  double db_cpu1 = -1;
  double self_cpu = 0;     // this process's CPU seconds during the load
};

struct TransportFloor {
  double us_per_request = 0;
  int64_t pings = 0;
};

// The issue-15 targets the ratios are judged against (docs/performance.md).
inline constexpr double kOverheadToTransportTarget = 3.0;   // SQLite
inline constexpr double kPostgresToSqliteTarget = 1.5;
inline constexpr double kOpenLoopP99TargetMsSqlite = 15;    // at 200 co-signatures/s offered
inline constexpr double kOpenLoopP99TargetMsPostgres = 25;
inline constexpr double kOpenLoopMaxTargetMs = 200;

// Everything the report prints and --json writes.
struct BenchFigures {
  std::string server;
  std::string backend;  // "sqlite", "postgres", or "" when not known (a running duetd)
  int holders = 0;
  int threads = 0;
  uint32_t kdf_iterations = 0;
  double offered_rate = 0;  // open loop; 0: closed loop
  double duration = 0;      // --duration
  LoadTimes times;
  WorkerStats all;
  Floor crypto_floor;
  TransportFloor transport;
  bool gave_up = false;
  int duetd_pid = 0;
  int db_pid = 0;
  // Derived by derive().
  Percentiles per[kRoutes];
  Percentiles flow;       // open loop: whole flows, from when each was due
  int64_t offered = 0;    // open loop: flows due within the duration
  double rate = 0;
  bool have_cpu = false;
  double duetd_cpu = 0;
  double duetd_us = 0;
  double ratio = 0;
  double transport_floor_us = 0;
  double both_floors = 0;
  double ratio_both = 0;          // duetd CPU ÷ (crypto floor + transport floor)
  double overhead_us = 0;         // duetd CPU beyond its two floors
  double ratio_overhead = 0;      // that ÷ the transport floor
  bool have_db_cpu = false;
  double db_us = 0;               // the database server's CPU per co-signature
  unsigned cores = 0;
  double load1 = 0;

  void derive();
};

void print_report(const BenchFigures& f);
json report_json(const BenchFigures& f);

// The PostgreSQL run next to the SQLite run of the same invocation
// (--spawn --postgres-dsn): (duetd + database server CPU) on PostgreSQL ÷
// duetd's CPU on SQLite, per co-signature. 0 when a figure is missing.
double postgres_to_sqlite_ratio(const BenchFigures& sqlite, const BenchFigures& pg);
void print_comparison(const BenchFigures& sqlite, const BenchFigures& pg);

std::string fixed(double v, int digits);

}  // namespace duet::cli
