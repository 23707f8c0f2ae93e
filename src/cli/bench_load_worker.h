// The load of `duet bench`: its options, the simulated holders, and one load
// worker — the business system's and the phone's keep-alive connections
// looping create order → start session → finish → fetch order over the holders
// it owns, timing each request and counting failures by route. bench_commands.cc
// sets the run up, starts the workers and prints the report.
//
// Two ways to pace the flows. Closed loop (the default): each worker starts
// its next flow when the previous one ended, so the offered load follows the
// answers. Open loop (--rate R): flow i of the run is due at start + i/R
// whatever the answers; worker t takes the flows i ≡ t (mod workers), and a
// flow that starts late (its worker still busy with the previous one) is timed
// from when it was due, not from when it was sent — otherwise a stall would
// hide the very requests that waited behind it (coordinated omission).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "client/holder_client.h"

namespace duet::cli {

using BenchClock = std::chrono::steady_clock;

// Open loop: how long after --duration the flows that were due within it may
// still start (bench_load_worker.cc).
inline constexpr std::chrono::seconds kOpenLoopDrain{5};

struct BenchOptions {
  ServerOptions server;
  std::string admin_token_file;
  bool spawn = false;
  std::string duetd;
  int duetd_pid = 0;
  int holders = 32;
  int threads = 0;  // 0: one per holder
  double duration = 20;
  int64_t orders = 0;  // 0: no limit (duration only)
  std::string pin = "135790";
  uint32_t kdf_iterations = 1000;
  size_t data_bytes = 256;
  double floor_seconds = 2;
  int floor_repetitions = 16;  // batches of floor_seconds / floor_repetitions
  double rate = 0;             // > 0: open loop, co-signature flows offered per second
  // PostgreSQL (bench_commands.cc): --postgres-pid counts the database
  // server's CPU; with --spawn, --postgres-dsn runs the load a second time on
  // a duetd over that database, for the ratio to SQLite in the same run.
  int postgres_pid = 0;
  std::string postgres_dsn;
  std::string data_dir;  // --spawn --data-dir: an existing data directory for the SQLite duetd
  double transport_floor_seconds = 3;
  double give_up_after = 10;
  std::string json_file;
  std::string keep_holders;
  int startup_timeout = 60;
  // Production credentials by default: the tenant active from now, metered,
  // with a per-signature package of `package` signatures bought first (0:
  // none). --sandbox uses the sandbox credentials instead (never metered,
  // and rate-limited by [limits] sandbox_requests_per_second: not for load).
  bool sandbox = false;
  int64_t package = 1'000'000;
  std::string callback_url;  // set on every order when not empty
};

// One enrolled holder: its id, device token and device (the holder SDK over a
// memory state, or a file under --keep-holders).
struct SimHolder {
  int index = 0;
  std::string holder_id;
  std::string token;
  std::string public_key_hex;
  std::unique_ptr<client::HolderClient> device;
};

// Creates and enrolls holder `index` (Business API + activation), not timed.
SimHolder enroll_holder(BusinessClient& business, Connection& phone, const BenchOptions& o, int index);

enum Route { kCreate = 0, kStart, kFinish, kFetch, kRoutes };
inline constexpr const char* kRouteNames[kRoutes] = {"create", "start", "finish", "fetch"};

struct WorkerStats {
  std::vector<double> latency_ms[kRoutes];
  // Open loop: each co-signed flow from when it was due to its fetched
  // signature, and the flows that started more than 1 ms after they were due.
  std::vector<double> flow_ms;
  int64_t late_starts = 0;
  std::map<std::string, int64_t> errors;  // "route status" → count
  int64_t cosignatures = 0;
  int64_t flows = 0;
  int64_t transport_errors = 0;
  int64_t http_errors = 0;

  // Adds `other`'s latencies and counts to these.
  void add(const WorkerStats& other);
};

// What the workers of one run share: when to stop, and the order log.
struct LoadControl {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> tickets{0};  // orders left when --orders is given
  std::atomic<int64_t> last_success_ns{0};
  std::atomic<bool> gave_up{false};
  BenchClock::time_point deadline;
  BenchClock::time_point start;  // open loop: flow i is due at start + i / rate
  bool limited = false;
  // --keep-holders: orders.jsonl, one line per acknowledged create and per
  // acknowledged signature, flushed at once (the crash test reads it).
  std::mutex log_mutex;
  std::unique_ptr<std::ofstream> order_log;

  void log_order(const json& line);
};

// Nanoseconds of the steady clock, for LoadControl::last_success_ns.
int64_t bench_now_ns();

// One thread of the load. Not thread-safe: a worker and its holders belong to
// one thread at a time.
class LoadWorker {
 public:
  LoadWorker(const BenchOptions& o, const ServerOptions& server, const AppCredential& cred, LoadControl& control)
      : o_(o), business_(server, cred), phone_(server), control_(control) {}

  std::vector<SimHolder>& holders() { return holders_; }
  BusinessClient& business() { return business_; }
  Connection& phone() { return phone_; }
  const WorkerStats& stats() const { return stats_; }

  // Loops co-signature flows over the holders, round robin, until the
  // deadline, the order tickets run out or the run stops. Open loop
  // (o.rate > 0): this worker is number `index` of `count` and runs the flows
  // due at control.start + (index + k·count) / rate, k = 0, 1, …
  void run(int index, int count);

  // The transport floor: GET /healthz on the phone's keep-alive connection
  // until `until`; returns how many got 200.
  int64_t ping(BenchClock::time_point until);

 private:
  // A request, timed from `since` (when it was due; now when unset);
  // transport failures counted (and backed off) here.
  std::optional<httpclient::HttpResponse> timed(Route route, const std::function<httpclient::HttpResponse()>& send,
                                                std::optional<BenchClock::time_point> since = std::nullopt);
  void give_up_check();
  // True when the status is one of `ok`; otherwise counts the error by route,
  // status and the error code of the answer.
  bool expect(Route route, const httpclient::HttpResponse& r, std::initializer_list<int> ok);
  void wrong_answer(Route route, const std::string& what);
  // create → start → finish → fetch for holder `h`; the fetched signature must
  // be the one the device computed. `due`: when the flow was due (open loop);
  // the create request is timed from then.
  void one_flow(SimHolder& h, std::optional<BenchClock::time_point> due = std::nullopt);

  const BenchOptions& o_;
  BusinessClient business_;
  Connection phone_;
  LoadControl& control_;
  std::vector<SimHolder> holders_;
  WorkerStats stats_;
};

}  // namespace duet::cli
