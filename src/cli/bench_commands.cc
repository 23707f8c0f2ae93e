// duet bench: see bench_commands.h and docs/performance.md.
//
// Shape of one run
//   setup (not timed)  tenant (production from now, a package), app, N holders, each enrolled by a
//                      HolderClient (MemoryStateStore, or files with
//                      --keep-holders; PIN KDF at --kdf-iterations, 1000 by default)
//   crypto floor       ServiceSigner::verify_session (the item proof and the
//                      PIN proof) + respond + finish in this process over a
//                      pre-built pool for --floor-seconds, CPU time per
//                      co-signature (as bench/cosign_bench.cc's
//                      service_cost_per_cosignature)
//   load               --threads workers (default: one per holder); each owns
//                      its holders and two HttpClients (the business system's
//                      and the phone's, both keep-alive) and loops
//                        create  POST /api/v1/orders (signed request, Idempotency-Key)
//                        start   POST /app/v1/orders/{id}/sessions
//                        finish  POST /app/v1/orders/{id}/sessions/{sid}/finish
//                        fetch   GET  /api/v1/orders/{id}  (signature = the device's)
//                      until --duration seconds or --orders orders.
//   transport floor    after the load, the same workers send GET /healthz on
//                      their keep-alive HTTPS connections for
//                      --transport-floor-seconds: duetd's CPU per request that
//                      does no work (TLS, HTTP parse/serialize, router, access
//                      log, metrics, kernel networking), × 4 requests per
//                      co-signature
//   report             co-signatures/s, p50/p99/max per route, errors by route
//                      and status, duetd CPU (/proc/PID/stat utime+stime) per
//                      co-signature and its ratio to the crypto floor, and to
//                      the crypto floor plus the transport floor.
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
#include "cli/bench_measure.h"

#include <CLI/CLI.hpp>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "cli/cli_common.h"
#include "cli/clients.h"
#include "cli/process.h"
#include "cli/spawned_duetd.h"
#include "client/holder_client.h"
#include "client/state_store.h"
#include "cosign/keygen.h"
#include "cosign/pin.h"
#include "cosign/sign.h"
#include "crypto/random.h"
#include "crypto/sm2.h"

namespace duet::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

// ---- CPU time -------------------------------------------------------------------

// utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat);
// a negative value when it cannot be read (the process is gone).
// ---- holders ------------------------------------------------------------------------

struct SimHolder {
  int index = 0;
  std::string holder_id;
  std::string token;
  std::string public_key_hex;
  std::unique_ptr<client::HolderClient> device;
};

std::string str(const json& j, const char* key, std::string_view what) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
    fail(std::string(what) + ": the answer has no string \"" + key + "\"");
  }
  return j[key].get<std::string>();
}

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Creates and enrolls one holder (business API + activation), not timed.
SimHolder enroll_holder(BusinessClient& business, Connection& phone, const BenchOptions& o, int index) {
  std::string n = std::to_string(index);
  json holder = business.create_holder("压测用户" + n, "110105199001" + std::string(6 - std::min<size_t>(6, n.size()), '0') + n,
                                       "139" + std::string(8 - std::min<size_t>(8, n.size()), '0') + n);
  SimHolder h;
  h.index = index;
  h.holder_id = str(holder, "holder_id", "create holder");
  json code = business.issue_activation_code(h.holder_id);
  std::string activation = str(code, "code", "issue activation code");

  std::unique_ptr<client::StateStore> store;
  if (o.keep_holders.empty()) {
    store = std::make_unique<client::MemoryStateStore>();
  } else {
    store = std::make_unique<client::FileStateStore>(o.keep_holders + "/holder-" + n + ".state");
  }
  client::HolderOptions ho;
  ho.kdf_iterations = o.kdf_iterations;
  h.device = std::make_unique<client::HolderClient>(std::move(store), ho);
  std::string keygen = unwrap(h.device->begin_enrollment(h.holder_id), "key generation");
  json body = {{"code", activation}, {"keygen", json::parse(keygen)}};
  json answer = expect_json(phone.send("POST", "/app/v1/activations", {}, body.dump()), {201, 200}, "activation");
  h.token = str(answer, "device_token", "activation");
  if (!answer.contains("keygen") || !answer["keygen"].is_object()) fail("activation: the answer has no keygen");
  unwrap(h.device->complete_enrollment(answer["keygen"].dump(), o.pin), "complete key generation");
  h.public_key_hex = answer.value("public_key", "");
  if (!o.keep_holders.empty()) {
    write_file(o.keep_holders + "/holder-" + n + ".state.token", h.token, /*private_file=*/true);
  }
  return h;
}

// ---- the load ---------------------------------------------------------------------------

enum Route { kCreate = 0, kStart, kFinish, kFetch, kRoutes };
constexpr const char* kRouteNames[kRoutes] = {"create", "start", "finish", "fetch"};

struct WorkerStats {
  std::vector<double> latency_ms[kRoutes];
  std::map<std::string, int64_t> errors;  // "route status" → count
  int64_t cosignatures = 0;
  int64_t flows = 0;
  int64_t transport_errors = 0;
  int64_t http_errors = 0;
};

struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> tickets{0};  // orders left when --orders is given
  std::atomic<int64_t> last_success_ns{0};
  std::atomic<bool> gave_up{false};
  Clock::time_point deadline;
  bool limited = false;
  // --keep-holders: orders.jsonl, one line per acknowledged create and per
  // acknowledged signature, flushed at once (the crash test reads it).
  std::mutex log_mutex;
  std::unique_ptr<std::ofstream> order_log;

  void log_order(const json& line) {
    if (!order_log) return;
    std::lock_guard lock(log_mutex);
    *order_log << line.dump() << std::endl;
  }
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

class Worker {
 public:
  Worker(const BenchOptions& o, const ServerOptions& server, const AppCredential& cred, Shared& shared)
      : o_(o), business_(server, cred), phone_(server), shared_(shared) {}

  std::vector<SimHolder>& holders() { return holders_; }
  BusinessClient& business() { return business_; }
  Connection& phone() { return phone_; }
  WorkerStats& stats() { return stats_; }

  // The transport floor: GET /healthz on the phone's keep-alive connection
  // until `until`; returns how many got 200.
  int64_t ping(Clock::time_point until) {
    int64_t n = 0;
    while (Clock::now() < until) {
      try {
        if (phone_.send("GET", "/healthz", {}).status == 200) ++n;
      } catch (const CliError&) {
        return n;  // the server is gone: no floor from this worker
      }
    }
    return n;
  }

  void run() {
    size_t next = 0;
    while (!shared_.stop.load(std::memory_order_relaxed)) {
      if (Clock::now() >= shared_.deadline) break;
      if (shared_.limited && shared_.tickets.fetch_sub(1) <= 0) break;
      SimHolder& h = holders_[next++ % holders_.size()];
      try {
        one_flow(h);
      } catch (const std::exception& e) {  // e.g. an answer that is not JSON where JSON was parsed
        ++stats_.http_errors;
        ++stats_.errors["flow exception: " + std::string(e.what()).substr(0, 80)];
      }
    }
  }

 private:
  // A request, timed; transport failures counted (and backed off) here.
  std::optional<httpclient::HttpResponse> timed(Route route, const std::function<httpclient::HttpResponse()>& send) {
    auto t0 = Clock::now();
    try {
      httpclient::HttpResponse r = send();
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      stats_.latency_ms[route].push_back(ms);
      return r;
    } catch (const CliError& e) {
      ++stats_.transport_errors;
      std::string kind = "transport";
      std::string what = e.what();
      if (what.find("timeout:") != std::string::npos) kind = "timeout";
      else if (what.find("connect:") != std::string::npos) kind = "connect";
      ++stats_.errors[std::string(kRouteNames[route]) + " " + kind];
      give_up_check();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return std::nullopt;
    }
  }

  void give_up_check() {
    int64_t last = shared_.last_success_ns.load();
    if (now_ns() - last > static_cast<int64_t>(o_.give_up_after * 1e9)) {
      if (!shared_.gave_up.exchange(true)) {
        std::cerr << "duet bench: no request succeeded for " << o_.give_up_after << " s; stopping" << std::endl;
      }
      shared_.stop = true;
    }
  }

  bool expect(Route route, const httpclient::HttpResponse& r, std::initializer_list<int> ok) {
    for (int s : ok) {
      if (r.status == s) {
        shared_.last_success_ns.store(now_ns(), std::memory_order_relaxed);
        return true;
      }
    }
    ++stats_.http_errors;
    std::string key = std::string(kRouteNames[route]) + " " + std::to_string(r.status);
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("code") &&
        j["error"]["code"].is_string()) {
      key += " " + j["error"]["code"].get<std::string>();
    }
    ++stats_.errors[key];
    if (r.status >= 500) shared_.last_success_ns.store(now_ns(), std::memory_order_relaxed);  // reachable
    return false;
  }

  void wrong_answer(Route route, const std::string& what) {
    ++stats_.http_errors;
    ++stats_.errors[std::string(kRouteNames[route]) + " " + what];
  }

  void one_flow(SimHolder& h) {
    ++stats_.flows;
    // 1. The business system creates an order over some data.
    std::string payload = "duet bench order " + random_hex(8) + " for " + h.holder_id + " ";
    payload.resize(std::max(payload.size(), o_.data_bytes), '.');
    json create = {{"holder_id", h.holder_id},
                   {"title", "bench"},
                   {"output", "der"},
                   {"data_base64", encode_base64(as_bytes(payload))}};
    if (!o_.callback_url.empty()) create["callback_url"] = o_.callback_url;
    std::string body = create.dump();
    std::string idem = "bench-" + random_hex(12);
    auto created = timed(kCreate, [&] { return business_.call("POST", "/api/v1/orders", body, idem); });
    if (!created || !expect(kCreate, *created, {201})) return;
    json order = json::parse(created->body, nullptr, false);
    if (!order.is_object() || !order.contains("order_id") || !order["order_id"].is_string()) {
      return wrong_answer(kCreate, "no order_id");
    }
    const std::string order_id = order["order_id"].get<std::string>();
    const std::string seg = url_encode(order_id);
    shared_.log_order({{"event", "created"}, {"order_id", order_id}, {"holder_id", h.holder_id},
                       {"holder_index", h.index}, {"data_base64", create["data_base64"]}});

    // 2. The phone computes e itself and starts the co-signature.
    auto e = h.device->message_digest(as_bytes(payload));
    if (!e.ok()) return wrong_answer(kStart, "device digest " + e.error().to_string());
    std::string session_id = "ses_" + random_hex(16);
    auto request = h.device->begin_signing(order_id, session_id, {*e}, o_.pin);
    if (!request.ok()) return wrong_answer(kStart, "device start " + request.error().to_string());
    json start = json::parse(*request);  // {"items":[…],"pin_proof":{…}}
    start["session_id"] = session_id;
    std::string start_body = start.dump();
    const httpclient::HeaderList auth = {{"Authorization", "Bearer " + h.token}};
    auto started = timed(kStart, [&] { return phone_.send("POST", "/app/v1/orders/" + seg + "/sessions", auth, start_body); });
    if (!started || !expect(kStart, *started, {201, 200})) return;

    // 3. The phone finishes (its own check of (r, s) included) and sends s.
    auto finished = h.device->complete_signing(started->body);
    if (!finished.ok()) {
      return wrong_answer(finished.code() == ErrorCode::kBadEncoding ? kStart : kFinish,
                          "device finish " + finished.error().to_string());
    }
    const std::string& fin_body = finished->finish_json;
    auto done = timed(kFinish, [&] {
      return phone_.send("POST", "/app/v1/orders/" + seg + "/sessions/" + url_encode(session_id) + "/finish", auth,
                         fin_body);
    });
    if (!done || !expect(kFinish, *done, {200, 201})) return;
    json state = json::parse(done->body, nullptr, false);
    if (!state.is_object() || state.value("state", "") != "signed") return wrong_answer(kFinish, "not signed");
    ++stats_.cosignatures;
    shared_.log_order({{"event", "signed"}, {"order_id", order_id}});

    // 4. The business system fetches the signed order.
    auto fetched = timed(kFetch, [&] { return business_.call("GET", "/api/v1/orders/" + seg); });
    if (!fetched || !expect(kFetch, *fetched, {200})) return;
    json got = json::parse(fetched->body, nullptr, false);
    if (!got.is_object() || got.value("state", "") != "signed" || !got.contains("items") || !got["items"].is_array() ||
        got["items"].empty() || !got["items"][0].is_object() || !got["items"][0].contains("signature") ||
        !got["items"][0]["signature"].is_string()) {
      return wrong_answer(kFetch, "no signature");
    }
    auto der = from_hex(got["items"][0]["signature"].get<std::string>());
    if (!der.ok() || finished->signatures_der.size() != 1 || *der != finished->signatures_der[0]) {
      return wrong_answer(kFetch, "signature differs");
    }
  }

  const BenchOptions& o_;
  BusinessClient business_;
  Connection phone_;
  Shared& shared_;
  std::vector<SimHolder> holders_;
  WorkerStats stats_;
};

// ---- report ------------------------------------------------------------------------------

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

int run_bench(const BenchOptions& o, ServerOptions server, const std::string& admin_token_file, int duetd_pid) {
  require_loopback(server.server);
  unwrap(cosign::check_pin(o.pin), "--pin");
  const int threads = o.threads > 0 ? std::min(o.threads, o.holders) : o.holders;
  std::cout << "duet bench against " << server.server << ": " << o.holders << " holders on " << threads
            << " worker threads, " << (o.orders > 0 ? std::to_string(o.orders) + " orders or " : std::string())
            << o.duration << " s" << std::endl;

  // Setup: tenant, app, holders (not timed).
  auto setup_start = Clock::now();
  AdminClient admin(server, read_secret_file(admin_token_file));
  std::optional<int64_t> active_from;
  if (!o.sandbox) active_from = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count() - 1;
  json tenant = admin.create_tenant("bench " + utc_stamp(), active_from);
  std::string tenant_id = str(tenant, "tenant_id", "create tenant");
  if (!o.sandbox && o.package > 0) {
    json pkg = {{"kind", "per_signature"}, {"quantity", o.package}, {"note", "duet bench"}};
    expect_json(admin.call("POST", "/admin/v1/tenants/" + url_encode(tenant_id) + "/packages", pkg), {201},
                "add package");
  }
  json app = admin.create_app(tenant_id);
  const char* env = o.sandbox ? "sandbox" : "production";
  if (!app.contains(env) || !app[env].is_object()) fail(std::string("create app: no ") + env + " credential");
  AppCredential cred{str(app[env], "app_id", "create app"), str(app[env], "secret", "create app")};
  if (!o.keep_holders.empty()) {
    std::error_code ec;
    fs::create_directories(o.keep_holders, ec);
    if (ec) fail("cannot create " + o.keep_holders + ": " + ec.message());
    write_file(o.keep_holders + "/app.secret", cred.secret, /*private_file=*/true);
    json profile = {{"server", server.server}, {"app_id", cred.app_id}, {"tenant_id", tenant_id},
                    {"secret_file", fs::absolute(o.keep_holders + "/app.secret").string()}, {"ca", server.ca_file}};
    write_file(o.keep_holders + "/profile.json", profile.dump(2) + "\n");
  }

  Shared shared;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>(o, server, cred, shared));
  {
    // Enrollment in parallel: each worker enrolls the holders it will own.
    std::vector<std::string> failures(static_cast<size_t>(threads));
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        try {
          for (int i = t; i < o.holders; i += threads) {
            Worker& w = *workers[static_cast<size_t>(t)];
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
  if (!o.keep_holders.empty()) {
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
    shared.order_log = std::make_unique<std::ofstream>(o.keep_holders + "/orders.jsonl", std::ios::app);
    if (!*shared.order_log) fail("cannot write " + o.keep_holders + "/orders.jsonl");
  }
  double setup_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  std::cout << "setup: tenant " << tenant_id << ", app " << cred.app_id << ", " << o.holders << " holders enrolled in "
            << fixed(setup_s, 1) << " s" << std::endl;

  // Crypto floor, in this process, before the load.
  Floor floor{};
  if (o.floor_seconds > 0) {
    floor = measure_crypto_floor(o.floor_seconds);
    std::cout << "crypto floor: ServiceSigner::verify_session + respond + finish = "
              << fixed(floor.us_per_cosignature, 1) << " us CPU per co-signature (" << floor.iterations << " in-process)" << std::endl;
  }

  // The load.
  shared.limited = o.orders > 0;
  shared.tickets = o.orders;
  std::latch ready(threads + 1);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      ready.arrive_and_wait();
      workers[static_cast<size_t>(t)]->run();
    });
  }
  double duetd_cpu0 = duetd_pid > 0 ? process_cpu_seconds(duetd_pid) : -1;
  double self_cpu0 = self_cpu_seconds();
  auto start = Clock::now();
  shared.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  shared.last_success_ns = now_ns();
  ready.arrive_and_wait();
  std::thread progress([&] {
    while (!shared.stop) {
      for (int i = 0; i < 50 && !shared.stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (shared.stop) break;
      std::cout << "  … " << fixed(std::chrono::duration<double>(Clock::now() - start).count(), 0) << " s" << std::endl;
    }
  });
  for (auto& th : ts) th.join();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  shared.stop = true;
  progress.join();
  double duetd_cpu1 = duetd_pid > 0 ? process_cpu_seconds(duetd_pid) : -1;
  double self_cpu = self_cpu_seconds() - self_cpu0;

  // The transport floor: the same connections, requests that do no work.
  double transport_us_per_request = 0;
  int64_t pings = 0;
  if (o.transport_floor_seconds > 0 && duetd_pid > 0 && duetd_cpu1 >= 0 && !shared.gave_up) {
    std::vector<int64_t> counts(workers.size(), 0);
    const double cpu0 = process_cpu_seconds(duetd_pid);
    const Clock::time_point until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.transport_floor_seconds));
    std::vector<std::thread> pingers;
    for (size_t t = 0; t < workers.size(); ++t) pingers.emplace_back([&, t] { counts[t] = workers[t]->ping(until); });
    for (auto& th : pingers) th.join();
    const double cpu1 = process_cpu_seconds(duetd_pid);
    for (int64_t c : counts) pings += c;
    if (pings > 0 && cpu0 >= 0 && cpu1 >= 0) transport_us_per_request = (cpu1 - cpu0) * 1e6 / static_cast<double>(pings);
  }
  const double transport_floor_us = 4 * transport_us_per_request;  // four requests per co-signature

  // Figures.
  WorkerStats all;
  for (auto& w : workers) {
    WorkerStats& s = w->stats();
    for (int r = 0; r < kRoutes; ++r) all.latency_ms[r].insert(all.latency_ms[r].end(), s.latency_ms[r].begin(), s.latency_ms[r].end());
    for (auto& [k, v] : s.errors) all.errors[k] += v;
    all.cosignatures += s.cosignatures;
    all.flows += s.flows;
    all.transport_errors += s.transport_errors;
    all.http_errors += s.http_errors;
  }
  const double rate = all.cosignatures / wall;
  const bool have_cpu = duetd_cpu0 >= 0 && duetd_cpu1 >= 0;
  const double duetd_cpu = have_cpu ? duetd_cpu1 - duetd_cpu0 : 0;
  const double duetd_us = have_cpu && all.cosignatures > 0 ? duetd_cpu * 1e6 / static_cast<double>(all.cosignatures) : 0;
  const double ratio = floor.us_per_cosignature > 0 && duetd_us > 0 ? duetd_us / floor.us_per_cosignature : 0;
  const unsigned cores = std::thread::hardware_concurrency();
  double load1 = 0;
  if (double l[1]; ::getloadavg(l, 1) == 1) load1 = l[0];

  std::cout << "\n==== duet bench: " << o.holders << " concurrent holders, " << fixed(wall, 1) << " s ====\n";
  std::cout << "co-signatures:       " << all.cosignatures << " of " << all.flows << " flows  ("
            << fixed(rate, 1) << " /s)\n";
  std::cout << "latency (ms)         " << std::left << std::setw(8) << "n" << std::setw(9) << "p50" << std::setw(9)
            << "p99" << std::setw(9) << "max" << "mean\n";
  Percentiles per[kRoutes];
  for (int r = 0; r < kRoutes; ++r) {
    per[r] = percentiles(all.latency_ms[r]);
    std::cout << "  " << std::setw(19) << kRouteNames[r] << std::setw(8) << per[r].n << std::setw(9)
              << fixed(per[r].p50, 1) << std::setw(9) << fixed(per[r].p99, 1) << std::setw(9) << fixed(per[r].max, 1)
              << fixed(per[r].mean, 1) << "\n";
  }
  std::cout << std::right;
  if (all.errors.empty()) {
    std::cout << "errors:              none\n";
  } else {
    std::cout << "errors (route status/kind: count):\n";
    for (auto& [k, v] : all.errors) std::cout << "  " << k << ": " << v << "\n";
  }
  if (have_cpu) {
    std::cout << "duetd CPU:           " << fixed(duetd_cpu, 2) << " s over the run (" << fixed(100 * duetd_cpu / wall, 0)
              << " % of one core), " << fixed(duetd_us, 0) << " us per co-signature\n";
  } else if (duetd_pid > 0) {
    std::cout << "duetd CPU:           n/a (pid " << duetd_pid << " could not be read at the start or the end)\n";
  } else {
    std::cout << "duetd CPU:           n/a (give --duetd-pid PID, or --spawn)\n";
  }
  if (floor.us_per_cosignature > 0) {
    std::cout << "crypto floor:        " << fixed(floor.us_per_cosignature, 0)
              << " us CPU per co-signature (ServiceSigner::verify_session + respond + finish, in-process)\n";
  }
  if (ratio > 0) {
    std::cout << "ratio duetd CPU per co-signature / crypto floor = " << fixed(ratio, 2) << "  (target <= 1.25: "
              << (ratio <= 1.25 ? "MET" : "NOT MET") << ")\n";
  }
  const double both_floors = floor.us_per_cosignature + transport_floor_us;
  if (transport_floor_us > 0) {
    std::cout << "transport floor:     " << fixed(transport_us_per_request, 1) << " us duetd CPU per GET /healthz ("
              << pings << " on the same keep-alive HTTPS connections) x 4 requests = " << fixed(transport_floor_us, 0)
              << " us per co-signature\n";
    if (floor.us_per_cosignature > 0 && duetd_us > 0) {
      std::cout << "ratio duetd CPU per co-signature / (crypto floor + transport floor) = "
                << fixed(duetd_us / both_floors, 2) << "; the floors alone are "
                << fixed(both_floors / floor.us_per_cosignature, 2) << " x the crypto floor\n";
    }
  }
  std::cout << "client (this process) CPU: " << fixed(self_cpu, 2) << " s ("
            << (all.cosignatures > 0 ? fixed(self_cpu * 1e6 / static_cast<double>(all.cosignatures), 0) : "-")
            << " us per co-signature)\n";
  std::cout << "note: the simulated phones run on the same " << cores
            << " cores as duetd (device step ~2 ms of EC work per signature, plus HTTP/TLS), so\n"
               "      throughput and latency are those of a machine shared with the load generator; duetd's\n"
               "      CPU per co-signature is its own CPU time and is not inflated by the client. load average "
            << fixed(load1, 2) << "\n";

  if (!o.json_file.empty()) {
    json j;
    j["server"] = server.server;
    j["holders"] = o.holders;
    j["threads"] = threads;
    j["duration_s"] = wall;
    j["flows"] = all.flows;
    j["cosignatures"] = all.cosignatures;
    j["cosignatures_per_s"] = rate;
    j["cores"] = cores;
    j["load_average_1m"] = load1;
    json routes = json::object();
    for (int r = 0; r < kRoutes; ++r) {
      routes[kRouteNames[r]] = {{"n", per[r].n},          {"p50_ms", per[r].p50}, {"p99_ms", per[r].p99},
                                {"max_ms", per[r].max},   {"mean_ms", per[r].mean}};
    }
    j["latency"] = routes;
    j["errors"] = all.errors;
    j["transport_errors"] = all.transport_errors;
    j["http_errors"] = all.http_errors;
    j["gave_up"] = shared.gave_up.load();
    if (have_cpu) {
      j["duetd_pid"] = duetd_pid;
      j["duetd_cpu_s"] = duetd_cpu;
      j["duetd_cpu_us_per_cosignature"] = duetd_us;
    }
    j["crypto_floor_us_per_cosignature"] = floor.us_per_cosignature;
    j["crypto_floor_iterations"] = floor.iterations;
    if (ratio > 0) {
      j["ratio_duetd_cpu_to_crypto_floor"] = ratio;
      j["ratio_target"] = 1.25;
    }
    if (transport_floor_us > 0) {
      j["transport_floor_us_per_request"] = transport_us_per_request;
      j["transport_floor_requests"] = pings;
      j["transport_floor_us_per_cosignature"] = transport_floor_us;
      if (duetd_us > 0 && floor.us_per_cosignature > 0) j["ratio_duetd_cpu_to_both_floors"] = duetd_us / both_floors;
    }
    j["client_cpu_s"] = self_cpu;
    j["kdf_iterations"] = o.kdf_iterations;
    write_file(o.json_file, j.dump(2) + "\n");
    std::cout << "wrote " << o.json_file << "\n";
  }
  std::cout << std::flush;
  if (all.transport_errors > 0) return kExitTransport;
  if (all.http_errors > 0) return kExitServer;
  return 0;
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
  bench->callback([o] {
    int status = 0;
    run_guarded("bench", [&] {
      if (o->spawn) {
        TempDir data("duet-bench-server-");  // removed after duetd stopped
        SpawnedDuetd server({o->duetd, data.path(), o->startup_timeout, o->server.timeout_ms});
        status = run_bench(*o, server.options(), server.admin_token_file(), o->duetd_pid > 0 ? o->duetd_pid : server.pid());
      } else {
        if (o->server.server.empty() || o->admin_token_file.empty()) {
          fail("give --server URL --admin-token-file FILE [--ca FILE] [--duetd-pid PID], or --spawn");
        }
        ServerOptions s = o->server;
        while (!s.server.empty() && s.server.back() == '/') s.server.pop_back();
        status = run_bench(*o, s, o->admin_token_file, o->duetd_pid);
      }
    });
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace duet::cli
