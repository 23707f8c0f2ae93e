#include "cli/bench_report.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

namespace duet::cli {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

void BenchFigures::derive() {
  for (int r = 0; r < kRoutes; ++r) per[r] = percentiles(all.latency_ms[r]);
  flow = percentiles(all.flow_ms);
  if (offered_rate > 0) offered = static_cast<int64_t>(std::ceil(duration * offered_rate));
  rate = times.wall > 0 ? static_cast<double>(all.cosignatures) / times.wall : 0;
  have_cpu = times.duetd_cpu0 >= 0 && times.duetd_cpu1 >= 0;
  duetd_cpu = have_cpu ? times.duetd_cpu1 - times.duetd_cpu0 : 0;
  duetd_us = have_cpu && all.cosignatures > 0 ? duetd_cpu * 1e6 / static_cast<double>(all.cosignatures) : 0;
  const double crypto_us = crypto_floor.us_per_cosignature;
  ratio = crypto_us > 0 && duetd_us > 0 ? duetd_us / crypto_us : 0;
  transport_floor_us = 4 * transport.us_per_request;  // four requests per co-signature
  both_floors = crypto_us + transport_floor_us;
  if (crypto_us > 0 && transport_floor_us > 0 && duetd_us > 0) {
    ratio_both = duetd_us / both_floors;
    overhead_us = duetd_us - both_floors;
    ratio_overhead = overhead_us / transport_floor_us;
  }
  have_db_cpu = times.db_cpu0 >= 0 && times.db_cpu1 >= 0 && all.cosignatures > 0;
  db_us = have_db_cpu ? (times.db_cpu1 - times.db_cpu0) * 1e6 / static_cast<double>(all.cosignatures) : 0;
  cores = std::thread::hardware_concurrency();
  if (double l[1]; ::getloadavg(l, 1) == 1) load1 = l[0];
}

namespace {

void latency_row(const char* name, const Percentiles& p) {
  std::cout << "  " << std::left << std::setw(19) << name << std::setw(8) << p.n << std::setw(9) << fixed(p.p50, 1)
            << std::setw(9) << fixed(p.p99, 1) << std::setw(9) << fixed(p.max, 1) << fixed(p.mean, 1) << "\n"
            << std::right;
}

const char* met(bool ok) { return ok ? "MET" : "NOT MET"; }

}  // namespace

void print_report(const BenchFigures& f) {
  const WorkerStats& all = f.all;
  const double wall = f.times.wall;
  std::cout << "\n==== duet bench: " << f.holders << " holders, "
            << (f.offered_rate > 0 ? "open loop at " + fixed(f.offered_rate, 1) + " co-signatures/s offered"
                                   : std::string("closed loop"))
            << (f.backend.empty() ? "" : ", " + f.backend) << ", " << fixed(wall, 1) << " s ====\n";
  std::cout << "co-signatures:       " << all.cosignatures << " of " << all.flows << " flows  ("
            << fixed(f.rate, 1) << " /s)\n";
  if (f.offered_rate > 0) {
    std::cout << "open loop:           " << f.offered << " flows offered (" << fixed(f.offered_rate, 1)
              << " /s), " << all.flows << " started (" << std::max<int64_t>(0, f.offered - all.flows)
              << " not started), " << all.late_starts
              << " started > 1 ms after they were due; achieved " << fixed(f.rate, 1) << " co-signatures/s\n";
  }
  std::cout << "latency (ms)         " << std::left << std::setw(8) << "n" << std::setw(9) << "p50" << std::setw(9)
            << "p99" << std::setw(9) << "max" << "mean\n" << std::right;
  for (int r = 0; r < kRoutes; ++r) latency_row(kRouteNames[r], f.per[r]);
  if (f.offered_rate > 0) latency_row("flow (from due)", f.flow);
  if (f.offered_rate > 0) {
    double worst_p99 = 0, worst_max = 0;
    for (const Percentiles& p : f.per) {
      worst_p99 = std::max(worst_p99, p.p99);
      worst_max = std::max(worst_max, p.max);
    }
    if (f.backend == "sqlite" || f.backend == "postgres") {
      const double p99_target = f.backend == "sqlite" ? kOpenLoopP99TargetMsSqlite : kOpenLoopP99TargetMsPostgres;
      std::cout << "worst route p99 " << fixed(worst_p99, 1) << " ms (target at 200/s offered <= "
                << fixed(p99_target, 0) << ": " << met(worst_p99 <= p99_target) << "), max " << fixed(worst_max, 1)
                << " ms (target <= " << fixed(kOpenLoopMaxTargetMs, 0) << ": " << met(worst_max <= kOpenLoopMaxTargetMs)
                << ")\n";
    }
  }
  if (all.errors.empty()) {
    std::cout << "errors:              none\n";
  } else {
    std::cout << "errors (route status/kind: count):\n";
    for (auto& [k, v] : all.errors) std::cout << "  " << k << ": " << v << "\n";
  }
  if (f.have_cpu) {
    std::cout << "duetd CPU:           " << fixed(f.duetd_cpu, 2) << " s over the run ("
              << fixed(100 * f.duetd_cpu / wall, 0) << " % of one core), " << fixed(f.duetd_us, 0)
              << " us per co-signature\n";
  } else if (f.duetd_pid > 0) {
    std::cout << "duetd CPU:           n/a (pid " << f.duetd_pid << " could not be read at the start or the end)\n";
  } else {
    std::cout << "duetd CPU:           n/a (give --duetd-pid PID, or --spawn)\n";
  }
  if (f.have_db_cpu) {
    std::cout << "PostgreSQL CPU:      " << fixed(f.db_us, 0) << " us per co-signature (pid " << f.db_pid
              << " and its children); duetd + PostgreSQL " << fixed(f.duetd_us + f.db_us, 0) << " us\n";
  }
  const Floor& cf = f.crypto_floor;
  if (cf.us_per_cosignature > 0) {
    std::cout << "crypto floor:        median " << fixed(cf.us_per_cosignature, 1) << " us, min " << fixed(cf.us_min, 1)
              << ", max " << fixed(cf.us_max, 1) << " us CPU per co-signature over " << cf.repetitions
              << " batches (" << cf.iterations << " in-process ServiceSigner::verify_session + respond + finish)\n";
  }
  if (f.ratio > 0) {
    std::cout << "ratio duetd CPU per co-signature / crypto floor = " << fixed(f.ratio, 2) << "\n";
  }
  if (f.transport_floor_us > 0) {
    std::cout << "transport floor:     " << fixed(f.transport.us_per_request, 1) << " us duetd CPU per GET /healthz ("
              << f.transport.pings << " on the same keep-alive HTTPS connections) x 4 requests = "
              << fixed(f.transport_floor_us, 0) << " us per co-signature\n";
  }
  if (f.ratio_both > 0) {
    std::cout << "ratio duetd CPU / (crypto floor + transport floor) = " << fixed(f.ratio_both, 2) << "  ("
              << fixed(f.duetd_us, 0) << " / (" << fixed(f.crypto_floor.us_per_cosignature, 0) << " + "
              << fixed(f.transport_floor_us, 0) << "))\n";
    std::cout << "ratio duetd CPU beyond its two floors / transport floor = " << fixed(f.ratio_overhead, 2) << "  ("
              << fixed(f.overhead_us, 0) << " / " << fixed(f.transport_floor_us, 0) << " us; target on SQLite <= "
              << fixed(kOverheadToTransportTarget, 0) << ": " << met(f.ratio_overhead <= kOverheadToTransportTarget)
              << ")\n";
  }
  std::cout << "client (this process) CPU: " << fixed(f.times.self_cpu, 2) << " s ("
            << (all.cosignatures > 0 ? fixed(f.times.self_cpu * 1e6 / static_cast<double>(all.cosignatures), 0) : "-")
            << " us per co-signature)\n";
  std::cout << "note: the simulated phones run on the same " << f.cores
            << " cores as duetd (device step ~2 ms of EC work per signature, plus HTTP/TLS), so\n"
               "      throughput and latency are those of a machine shared with the load generator; duetd's\n"
               "      CPU per co-signature is its own CPU time and is not inflated by the client. load average "
            << fixed(f.load1, 2) << "\n";
}

json report_json(const BenchFigures& f) {
  json j;
  j["server"] = f.server;
  if (!f.backend.empty()) j["backend"] = f.backend;
  j["holders"] = f.holders;
  j["threads"] = f.threads;
  j["mode"] = f.offered_rate > 0 ? "open" : "closed";
  j["duration_s"] = f.times.wall;
  j["flows"] = f.all.flows;
  j["cosignatures"] = f.all.cosignatures;
  j["cosignatures_per_s"] = f.rate;
  if (f.offered_rate > 0) {
    j["offered_rate_per_s"] = f.offered_rate;
    j["offered_flows"] = f.offered;
    j["achieved_rate_per_s"] = f.rate;
    j["late_starts"] = f.all.late_starts;
    j["not_started"] = std::max<int64_t>(0, f.offered - f.all.flows);
  }
  j["cores"] = f.cores;
  j["load_average_1m"] = f.load1;
  auto pj = [](const Percentiles& p) {
    return json{{"n", p.n}, {"p50_ms", p.p50}, {"p99_ms", p.p99}, {"max_ms", p.max}, {"mean_ms", p.mean}};
  };
  json routes = json::object();
  for (int r = 0; r < kRoutes; ++r) routes[kRouteNames[r]] = pj(f.per[r]);
  j["latency"] = routes;
  if (f.offered_rate > 0) j["flow_latency_from_due"] = pj(f.flow);
  j["errors"] = f.all.errors;
  j["transport_errors"] = f.all.transport_errors;
  j["http_errors"] = f.all.http_errors;
  j["gave_up"] = f.gave_up;
  if (f.have_cpu) {
    j["duetd_pid"] = f.duetd_pid;
    j["duetd_cpu_s"] = f.duetd_cpu;
    j["duetd_cpu_us_per_cosignature"] = f.duetd_us;
  }
  if (f.have_db_cpu) {
    j["postgres_pid"] = f.db_pid;
    j["postgres_cpu_us_per_cosignature"] = f.db_us;
    j["duetd_plus_postgres_cpu_us_per_cosignature"] = f.duetd_us + f.db_us;
  }
  const Floor& cf = f.crypto_floor;
  j["crypto_floor_us_per_cosignature"] = cf.us_per_cosignature;  // the median batch
  j["crypto_floor_us_median"] = cf.us_per_cosignature;
  j["crypto_floor_us_min"] = cf.us_min;
  j["crypto_floor_us_max"] = cf.us_max;
  j["crypto_floor_repetitions"] = cf.repetitions;
  j["crypto_floor_iterations"] = cf.iterations;
  if (f.ratio > 0) j["ratio_duetd_cpu_to_crypto_floor"] = f.ratio;
  if (f.transport_floor_us > 0) {
    j["transport_floor_us_per_request"] = f.transport.us_per_request;
    j["transport_floor_requests"] = f.transport.pings;
    j["transport_floor_us_per_cosignature"] = f.transport_floor_us;
  }
  if (f.ratio_both > 0) {
    j["ratio_duetd_cpu_to_both_floors"] = f.ratio_both;
    j["duetd_cpu_beyond_floors_us_per_cosignature"] = f.overhead_us;
    j["ratio_duetd_cpu_beyond_floors_to_transport_floor"] = f.ratio_overhead;
    j["ratio_duetd_cpu_beyond_floors_to_transport_floor_target"] = kOverheadToTransportTarget;
  }
  j["client_cpu_s"] = f.times.self_cpu;
  j["kdf_iterations"] = f.kdf_iterations;
  return j;
}

double postgres_to_sqlite_ratio(const BenchFigures& sqlite, const BenchFigures& pg) {
  if (sqlite.duetd_us <= 0 || pg.duetd_us <= 0 || !pg.have_db_cpu) return 0;
  return (pg.duetd_us + pg.db_us) / sqlite.duetd_us;
}

void print_comparison(const BenchFigures& sqlite, const BenchFigures& pg) {
  std::cout << "\n==== PostgreSQL against SQLite, same invocation ====\n";
  const double r = postgres_to_sqlite_ratio(sqlite, pg);
  if (r > 0) {
    std::cout << "ratio (duetd + PostgreSQL CPU on PostgreSQL) / duetd CPU on SQLite = " << fixed(r, 2) << "  (("
              << fixed(pg.duetd_us, 0) << " + " << fixed(pg.db_us, 0) << ") / " << fixed(sqlite.duetd_us, 0)
              << " us; target <= " << fixed(kPostgresToSqliteTarget, 1) << ": " << met(r <= kPostgresToSqliteTarget)
              << ")\n";
  } else {
    std::cout << "ratio n/a (needs duetd's CPU in both runs and the PostgreSQL server's: give --postgres-pid)\n";
  }
}

}  // namespace duet::cli
