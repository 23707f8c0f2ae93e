// duet bench: see bench_commands.h and docs/performance.md.
//
// Shape of one run
//   setup (not timed)  tenant (production from now, a package), app, N holders, each enrolled by a
//                      HolderClient (MemoryStateStore, or files with
//                      --keep-holders; PIN KDF at --kdf-iterations, 1000 by default)
//   crypto floor       ServiceSigner::verify_session (the item proof and the
//                      PIN proof) + respond + finish in this process over a
//                      pre-built pool for --floor-seconds in
//                      --floor-repetitions batches, CPU time per co-signature:
//                      the median batch (the floor of the ratios) and the
//                      minimum (as bench/cosign_bench.cc's
//                      service_cost_per_cosignature)
//   load               --threads workers (default: one per holder); each owns
//                      its holders and two HttpClients (the business system's
//                      and the phone's, both keep-alive) and loops
//                        create  POST /api/v1/orders (signed request, Idempotency-Key)
//                        start   POST /app/v1/orders/{id}/sessions
//                        finish  POST /app/v1/orders/{id}/sessions/{sid}/finish
//                        fetch   GET  /api/v1/orders/{id}  (signature = the device's)
//                      until --duration seconds or --orders orders; with
//                      --rate, each flow starts when it is due on a fixed
//                      schedule (open loop, bench_load_worker.h).
//   transport floor    after the load, the same workers send GET /healthz on
//                      their keep-alive HTTPS connections for
//                      --transport-floor-seconds: duetd's CPU per request that
//                      does no work (TLS, HTTP parse/serialize, router, access
//                      log, metrics, kernel networking), × 4 requests per
//                      co-signature
//   report             co-signatures/s, p50/p99/max per route, errors by route
//                      and status, duetd CPU (/proc/PID/stat utime+stime) per
//                      co-signature, and the ratios of issue 15: to both floors,
//                      and duetd's CPU beyond them to the transport floor
//                      (bench_report.cc). With --spawn --postgres-dsn the load
//                      runs again on a duetd over PostgreSQL, with the
//                      database server's CPU (--postgres-pid), and the ratio of
//                      the two runs.
//
// The simulated phones run on the same machine: their device steps (PBKDF2
// with 1000 iterations, k1·G, the proof, the combination and its check, about
// 2 ms of CPU per signature) compete with duetd for the cores. duetd's CPU per
// co-signature is its own CPU time and stays meaningful; throughput and
// latency are those of a machine shared with the load generator.
//
// A server that vanishes (crash test) is tolerated: transport failures are
// counted per route, each worker backs off 50 ms after one, and the run ends
// early once no request has succeeded for --give-up-after seconds. The report
// is always printed (and --json written). Exit status: 0 when every flow
// succeeded; 3 when some request got an HTTP error (or a wrong answer) but the
// server stayed reachable; 4 when requests failed at the transport level
// (server unreachable, reset, timeout). Setup failures exit as other duet
// commands do (1/3/4).
//
// Bounded: only loopback servers (127.0.0.0/8, ::1, localhost); stops by itself.
#include "cli/bench_commands.h"
#include "cli/bench_load_worker.h"
#include "cli/bench_measure.h"
#include "cli/bench_report.h"

#include <CLI/CLI.hpp>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <latch>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "cli/spawned_duetd.h"
#include "cosign/pin.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- loopback only -----------------------------------------------------------

std::string url_host(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) fail("--server must be a URL such as https://127.0.0.1:8443: " + url);
  std::string rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    return close == std::string::npos ? std::string() : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.find(':'));
}

void require_loopback(const std::string& url) {
  std::string host = url_host(url);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool ok = host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
  if (ok && host.rfind("127.", 0) == 0) {
    ok = host.find_first_not_of("0123456789.") == std::string::npos;
  }
  if (!ok) fail("duet bench only targets a server on this machine (127.0.0.0/8, ::1, localhost), not " + host);
}

// ---- setup (not timed) ---------------------------------------------------------------

struct BenchApp {
  std::string tenant_id;
  AppCredential cred;
};

// A tenant (production and active from now, with --package signatures bought
// first, unless --sandbox) and an app; with --keep-holders, the app's secret
// and an API profile written there.
BenchApp create_bench_app(const BenchOptions& o, const ServerOptions& server, const std::string& admin_token_file) {
  AdminClient admin(server, read_secret_file(admin_token_file));
  std::optional<int64_t> active_from;
  if (!o.sandbox) active_from = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count() - 1;
  json tenant = admin.create_tenant("bench " + utc_timestamp(), active_from);
  std::string tenant_id = json_string(tenant, "tenant_id", "create tenant");
  if (!o.sandbox && o.package > 0) {
    json pkg = {{"kind", "per_signature"}, {"quantity", o.package}, {"note", "duet bench"}};
    expect_json(admin.call("POST", "/admin/v1/tenants/" + url_encode(tenant_id) + "/packages", pkg), {201},
                "add package");
  }
  json app = admin.create_app(tenant_id);
  const char* env = o.sandbox ? "sandbox" : "production";
  if (!app.contains(env) || !app[env].is_object()) fail(std::string("create app: no ") + env + " credential");
  AppCredential cred{json_string(app[env], "app_id", "create app"), json_string(app[env], "secret", "create app")};
  if (!o.keep_holders.empty()) {
    std::error_code ec;
    fs::create_directories(o.keep_holders, ec);
    if (ec) fail("cannot create " + o.keep_holders + ": " + ec.message());
    write_file(o.keep_holders + "/app.secret", cred.secret, /*private_file=*/true);
    json profile = {{"server", server.server}, {"app_id", cred.app_id}, {"tenant_id", tenant_id},
                    {"secret_file", fs::absolute(o.keep_holders + "/app.secret").string()}, {"ca", server.ca_file}};
    write_file(o.keep_holders + "/profile.json", profile.dump(2) + "\n");
  }
  return {tenant_id, cred};
}

// Enrollment in parallel: each worker enrolls the holders it will own
// (holder i belongs to worker i mod workers).
void enroll_holders(const BenchOptions& o, std::vector<std::unique_ptr<LoadWorker>>& workers) {
  const int threads = static_cast<int>(workers.size());
  std::vector<std::string> failures(workers.size());
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      try {
        for (int i = t; i < o.holders; i += threads) {
          LoadWorker& w = *workers[static_cast<size_t>(t)];
          w.holders().push_back(enroll_holder(w.business(), w.phone(), o, i));
        }
      } catch (const std::exception& e) {
        failures[static_cast<size_t>(t)] = e.what();
      }
    });
  }
  for (auto& th : ts) th.join();
  for (const std::string& f : failures) {
    if (!f.empty()) fail("setup (enrollment): " + f, kExitServer);
  }
}

// --keep-holders: holders.json (where each holder's state is, and the PIN),
// and orders.jsonl opened for the workers' order log.
void keep_holders(const BenchOptions& o, const std::vector<std::unique_ptr<LoadWorker>>& workers,
                  LoadControl& control) {
  json list = json::array();
  for (auto& w : workers) {
    for (const SimHolder& h : w->holders()) {
      list.push_back({{"index", h.index},
                      {"holder_id", h.holder_id},
                      {"state_file", fs::absolute(o.keep_holders + "/holder-" + std::to_string(h.index) + ".state").string()}});
    }
  }
  // The PIN is not secret here (a benchmark holder), but keep the file private.
  json doc = {{"holders", list}, {"pin", o.pin}};
  write_file(o.keep_holders + "/holders.json", doc.dump(2) + "\n", /*private_file=*/true);
  control.order_log = std::make_unique<std::ofstream>(o.keep_holders + "/orders.jsonl", std::ios::app);
  if (!*control.order_log) fail("cannot write " + o.keep_holders + "/orders.jsonl");
}

// ---- the load -----------------------------------------------------------------------

// Runs the workers (one thread each) from the same instant until the
// deadline, the orders or a give-up; a progress line every 5 s.
LoadTimes run_load(const BenchOptions& o, std::vector<std::unique_ptr<LoadWorker>>& workers, LoadControl& control,
                   int duetd_pid, int db_pid) {
  control.limited = o.orders > 0;
  control.tickets = o.orders;
  std::latch ready(static_cast<std::ptrdiff_t>(workers.size()) + 1);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < workers.size(); ++t) {
    ts.emplace_back([&, t] {
      ready.arrive_and_wait();
      workers[t]->run(static_cast<int>(t), static_cast<int>(workers.size()));
    });
  }
  LoadTimes times;
  times.duetd_cpu0 = duetd_pid > 0 ? process_cpu_seconds(duetd_pid) : -1;
  times.db_cpu0 = db_pid > 0 ? process_tree_cpu_seconds(db_pid) : -1;
  double self_cpu0 = self_cpu_seconds();
  auto start = Clock::now();
  control.start = start;
  control.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  control.last_success_ns = bench_now_ns();
  ready.arrive_and_wait();
  std::thread progress([&] {
    while (!control.stop) {
      for (int i = 0; i < 50 && !control.stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (control.stop) break;
      std::cout << "  … " << fixed(std::chrono::duration<double>(Clock::now() - start).count(), 0) << " s" << std::endl;
    }
  });
  for (auto& th : ts) th.join();
  times.wall = std::chrono::duration<double>(Clock::now() - start).count();
  control.stop = true;
  progress.join();
  times.duetd_cpu1 = duetd_pid > 0 ? process_cpu_seconds(duetd_pid) : -1;
  times.db_cpu1 = db_pid > 0 ? process_tree_cpu_seconds(db_pid) : -1;
  times.self_cpu = self_cpu_seconds() - self_cpu0;
  return times;
}

// The transport floor: the same connections, requests that do no work, for
// --transport-floor-seconds; duetd's CPU per GET /healthz.
TransportFloor measure_transport_floor(const BenchOptions& o, std::vector<std::unique_ptr<LoadWorker>>& workers,
                                       int duetd_pid) {
  TransportFloor floor;
  std::vector<int64_t> counts(workers.size(), 0);
  const double cpu0 = process_cpu_seconds(duetd_pid);
  const Clock::time_point until =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.transport_floor_seconds));
  std::vector<std::thread> pingers;
  for (size_t t = 0; t < workers.size(); ++t) pingers.emplace_back([&, t] { counts[t] = workers[t]->ping(until); });
  for (auto& th : pingers) th.join();
  const double cpu1 = process_cpu_seconds(duetd_pid);
  for (int64_t c : counts) floor.pings += c;
  if (floor.pings > 0 && cpu0 >= 0 && cpu1 >= 0) {
    floor.us_per_request = (cpu1 - cpu0) * 1e6 / static_cast<double>(floor.pings);
  }
  return floor;
}

// ---- the run ------------------------------------------------------------------------------

struct BenchRun {
  int status = 0;
  BenchFigures figures;
};

BenchRun run_bench(const BenchOptions& o, ServerOptions server, const std::string& admin_token_file, int duetd_pid,
                   const std::string& backend) {
  require_loopback(server.server);
  unwrap(cosign::check_pin(o.pin), "--pin");
  const int threads = o.threads > 0 ? std::min(o.threads, o.holders) : o.holders;
  std::cout << "duet bench against " << server.server << (backend.empty() ? "" : " (" + backend + ")") << ": "
            << o.holders << " holders on " << threads << " worker threads, "
            << (o.rate > 0 ? "open loop at " + fixed(o.rate, 1) + " flows/s offered, " : std::string("closed loop, "))
            << (o.orders > 0 ? std::to_string(o.orders) + " orders or " : std::string()) << o.duration << " s"
            << std::endl;

  auto setup_start = Clock::now();
  BenchApp app = create_bench_app(o, server, admin_token_file);
  LoadControl control;
  std::vector<std::unique_ptr<LoadWorker>> workers;
  for (int t = 0; t < threads; ++t) workers.push_back(std::make_unique<LoadWorker>(o, server, app.cred, control));
  enroll_holders(o, workers);
  if (!o.keep_holders.empty()) keep_holders(o, workers, control);
  double setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  std::cout << "setup: tenant " << app.tenant_id << ", app " << app.cred.app_id << ", " << o.holders
            << " holders enrolled in " << fixed(setup_s, 1) << " s" << std::endl;

  // Crypto floor, in this process, before the load.
  BenchRun run;
  BenchFigures& f = run.figures;
  if (o.floor_seconds > 0) {
    f.crypto_floor = measure_crypto_floor(o.floor_seconds, o.floor_repetitions);
    std::cout << "crypto floor: ServiceSigner::verify_session + respond + finish = median "
              << fixed(f.crypto_floor.us_per_cosignature, 1) << " us (min " << fixed(f.crypto_floor.us_min, 1)
              << ") CPU per co-signature over " << f.crypto_floor.repetitions << " batches ("
              << f.crypto_floor.iterations << " in-process)" << std::endl;
  }

  const int db_pid = backend == "sqlite" ? 0 : o.postgres_pid;
  f.times = run_load(o, workers, control, duetd_pid, db_pid);
  if (o.transport_floor_seconds > 0 && duetd_pid > 0 && f.times.duetd_cpu1 >= 0 && !control.gave_up) {
    f.transport = measure_transport_floor(o, workers, duetd_pid);
  }

  f.server = server.server;
  f.backend = backend;
  f.holders = o.holders;
  f.threads = threads;
  f.kdf_iterations = o.kdf_iterations;
  f.offered_rate = o.rate;
  f.duration = o.duration;
  f.gave_up = control.gave_up.load();
  f.duetd_pid = duetd_pid;
  f.db_pid = db_pid;
  for (auto& w : workers) f.all.add(w->stats());
  f.derive();
  print_report(f);
  std::cout << std::flush;
  if (f.all.transport_errors > 0) run.status = kExitTransport;
  else if (f.all.http_errors > 0) run.status = kExitServer;
  return run;
}

// The load on a duetd spawned on a fresh data directory; with `postgres_dsn`,
// over that PostgreSQL database instead of SQLite (DUET_STORE_BACKEND and
// DUET_PG_DSN in the child's environment: docs/configuration.md).
BenchRun run_spawned(const BenchOptions& o, const std::string& postgres_dsn) {
  TempDir temp("duet-bench-server-");  // removed after duetd stopped
  // --data-dir: an existing directory instead (e.g. a store seeded by
  // duet_store_seed), kept afterwards; only for the SQLite run.
  const std::string data_dir = !o.data_dir.empty() && postgres_dsn.empty() ? o.data_dir : temp.path();
  if (!postgres_dsn.empty()) {
    ::setenv("DUET_STORE_BACKEND", "postgres", 1);
    ::setenv("DUET_PG_DSN", postgres_dsn.c_str(), 1);
  }
  std::optional<SpawnedDuetd> server;
  try {
    server.emplace(DuetdLaunch{o.duetd, data_dir, o.startup_timeout, o.server.timeout_ms});
  } catch (...) {
    ::unsetenv("DUET_STORE_BACKEND");
    ::unsetenv("DUET_PG_DSN");
    throw;
  }
  if (!postgres_dsn.empty()) {
    ::unsetenv("DUET_STORE_BACKEND");
    ::unsetenv("DUET_PG_DSN");
  }
  return run_bench(o, server->options(), server->admin_token_file(), o.duetd_pid > 0 ? o.duetd_pid : server->pid(),
                   postgres_dsn.empty() ? "sqlite" : "postgres");
}

void write_json(const BenchOptions& o, const json& j) {
  if (o.json_file.empty()) return;
  write_file(o.json_file, j.dump(2) + "\n");
  std::cout << "wrote " << o.json_file << std::endl;
}

}  // namespace

void add_bench_commands(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* bench = app.add_subcommand(
      "bench", "Load generator: N simulated holders co-signing against a loopback duetd (see docs/performance.md)");
  add_server_options(*bench, o->server, /*server_required=*/false);
  add_spawn_options(*bench, o->admin_token_file, o->spawn, o->duetd);
  bench->add_option("--duetd-pid", o->duetd_pid, "PID of the duetd behind --server, for its CPU time")
      ->check(CLI::PositiveNumber);
  bench->add_option("--holders", o->holders, "Concurrent simulated holders (default 32)")->check(CLI::Range(1, 1024));
  bench->add_option("--threads", o->threads, "Worker threads (default: one per holder)")->check(CLI::Range(1, 1024));
  bench->add_option("--duration", o->duration, "Seconds of load (default 20)")->check(CLI::Range(1.0, 3600.0));
  bench->add_option("--orders", o->orders, "Stop after this many orders in total (0: duration only)")
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));
  bench->add_option("--pin", o->pin, "The simulated holders' PIN");
  bench->add_option("--kdf-iterations", o->kdf_iterations, "PIN KDF iterations of the simulated devices (default 1000)")
      ->check(CLI::Range(1000u, 100000000u));
  bench->add_option("--data-bytes", o->data_bytes, "Bytes of data per order (default 256)")
      ->check(CLI::Range(size_t{1}, size_t{200'000}));
  bench->add_option("--floor-seconds", o->floor_seconds, "Seconds of the in-process crypto floor (0: skip; default 2)")
      ->check(CLI::Range(0.0, 60.0));
  bench->add_option("--transport-floor-seconds", o->transport_floor_seconds,
                    "Seconds of GET /healthz after the load, for duetd's CPU per request that does no work "
                    "(0: skip; default 3; needs duetd's pid)")
      ->check(CLI::Range(0.0, 60.0));
  bench->add_option("--give-up-after", o->give_up_after,
                    "Stop early when no request has succeeded for this many seconds (default 10)")
      ->check(CLI::Range(1.0, 3600.0));
  bench->add_option("--keep-holders", o->keep_holders,
                    "Keep the holders' device state in DIR (holder-<i>.state + .token, profile.json, holders.json) "
                    "for `duet holder` / `duet api --profile` afterwards");
  bench->add_option("--json", o->json_file, "Also write the figures as JSON to FILE");
  bench->add_flag("--sandbox", o->sandbox,
                  "Sandbox credentials (not metered, rate-limited) instead of production ones");
  bench->add_option("--package", o->package,
                    "Production: per-signature package bought first (default 1000000; 0: none)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  bench->add_option("--callback-url", o->callback_url, "Callback URL set on every order (e.g. a duet webhook-sink)");
  bench->add_option("--startup-timeout", o->startup_timeout, "Seconds to wait for a spawned duetd")
      ->check(CLI::Range(1, 600));
  bench->add_option("--floor-repetitions", o->floor_repetitions,
                    "Batches the crypto floor is split into; the report gives their median (used in the ratios) "
                    "and minimum (default 16)")
      ->check(CLI::Range(1, 1000));
  bench->add_option("--rate", o->rate,
                    "Open loop: co-signature flows offered per second on a fixed schedule, whatever the answers; "
                    "latency counted from when each flow was due (default: closed loop)")
      ->check(CLI::Range(0.1, 100000.0));
  bench->add_option("--postgres-pid", o->postgres_pid,
                    "PID of the PostgreSQL server (the postmaster) behind duetd: its CPU and its children's is "
                    "reported per co-signature")
      ->check(CLI::PositiveNumber);
  bench->add_option("--postgres-dsn", o->postgres_dsn,
                    "With --spawn: after the SQLite run, spawn a second duetd over this PostgreSQL database (its "
                    "schema is migrated) and run the same load, for (duetd + PostgreSQL CPU) / duetd-on-SQLite");
  bench->add_option("--data-dir", o->data_dir,
                    "With --spawn: the spawned duetd's data directory (kept), e.g. one whose duet.db "
                    "duet_store_seed filled; default: a fresh temporary directory")
      ->check(CLI::ExistingDirectory);
  bench->callback([o] {
    int status = 0;
    run_guarded("bench", [&] {
      if (!o->data_dir.empty() && !o->spawn) fail("--data-dir needs --spawn");
      if (!o->postgres_dsn.empty() && !o->spawn) fail("--postgres-dsn needs --spawn (give --postgres-pid for a running duetd)");
      if (o->spawn) {
        if (o->duetd_pid > 0 && !o->postgres_dsn.empty()) fail("--duetd-pid cannot name both spawned servers");
        BenchRun sqlite = run_spawned(*o, "");
        status = sqlite.status;
        json j = report_json(sqlite.figures);
        if (!o->postgres_dsn.empty()) {
          BenchRun pg = run_spawned(*o, o->postgres_dsn);
          if (status == 0) status = pg.status;
          print_comparison(sqlite.figures, pg.figures);
          j["postgres"] = report_json(pg.figures);
          if (double r = postgres_to_sqlite_ratio(sqlite.figures, pg.figures); r > 0) {
            j["ratio_postgres_total_cpu_to_sqlite_duetd_cpu"] = r;
            j["ratio_postgres_total_cpu_to_sqlite_duetd_cpu_target"] = kPostgresToSqliteTarget;
          }
        }
        write_json(*o, j);
      } else {
        ServerOptions s = running_server(o->server, o->admin_token_file,
                                         "give --server URL --admin-token-file FILE [--ca FILE] [--duetd-pid PID], or --spawn");
        BenchRun run = run_bench(*o, s, o->admin_token_file, o->duetd_pid, o->postgres_pid > 0 ? "postgres" : "");
        status = run.status;
        write_json(*o, report_json(run.figures));
      }
    });
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace duet::cli
