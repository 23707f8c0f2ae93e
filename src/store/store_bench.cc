// duet_store_bench: the store's cost per call (SQLite, or PostgreSQL with
// --postgres), outside the service.
//
// A small program (no benchmark library): it opens a fresh database in a
// temporary directory, sets up one tenant, app, holder and key, and then
// times two loops on one thread, in wall time and thread CPU time:
//
//  cycle   begin_sign_attempt + accept_sign_attempt (signing step 1 with a
//          valid PIN proof) + finish_order + get_order + insert_nonce
//          on an order created beforehand (creation not timed);
//  cosign  the 25 store calls duetd makes per co-signature
//          (docs/performance.md, "Where duetd's CPU goes"), create included.
//  audited the same flow as duetd runs it now: each request's audit event
//          in the writes' context (store/write_context.h) so every write
//          carries it, the create request's nonce folded into create_order,
//          and the read-only fetch's event appended on its own.
//
// Usage: duet_store_bench [seconds per loop, default 3] [database directory]
//        duet_store_bench SECONDS --postgres DSN
// With --postgres the same loops run on the PostgreSQL backend, in a fresh
// schema of that database (dropped afterwards; DSN in keyword form); the
// report adds the CPU the server's backends serving the bench spent (read
// from /proc, so the server must run on this machine).
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/quota_order.h"
#include "store/ids.h"
#include "store/pg_db.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"
#include "store/write_context.h"

using namespace duet;
using namespace duet::store;

namespace {

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
double wall_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename T>
void must(const T& r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
}

struct Fixture {
  std::unique_ptr<Store> s;
  std::string tenant = new_id("ten_");
  std::string app = new_id("app_");
  std::string holder = new_id("hld_");
  std::string key = new_id("key_");
  Bytes token_hash = Bytes(32, 0x5a);
  UnixSeconds now = 1'800'000'000;
  long serial = 0;

  SignOrder order() {
    SignOrder o;
    o.tenant_id = tenant;
    o.order_id = new_id("ord_");
    o.app_id = app;
    o.holder_id = holder;
    o.title = "bench";
    o.display_text = "bench order";
    o.output_format = OutputFormat::kDer;
    o.items.push_back(SignItem{Bytes(256, 0x42), false, {}});
    o.expires_at = now + 3600;
    o.idempotency_key = "idem-" + std::to_string(++serial);
    o.created_at = now;
    o.updated_at = now;
    return o;
  }
  SignSession session(const std::string& order_id) {
    SignSession ss;
    ss.tenant_id = tenant;
    ss.session_id = new_id("ses_");
    ss.order_id = order_id;
    ss.holder_id = holder;
    ss.r_values = {std::string(64, 'a')};
    ss.created_at = now;
    ss.updated_at = now;
    return ss;
  }
  std::string nonce() { return "nonce-" + std::to_string(++serial); }
};

// The server processes (backends) serving this program's connections, found
// by application_name once the pool is open.
std::vector<std::string> g_backend_pids;

// CPU time (us) of those backends.
double postgres_cpu_us() {
  double total = 0;
  const double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const std::string& pid : g_backend_pids) {
    std::ifstream in("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
    }
    total += (utime + stime) * tick_us;
  }
  return total;
}

Fixture setup(const std::string& dir, const std::string& pg_dsn, const std::string& pg_schema) {
  Fixture f;
  Result<std::unique_ptr<Store>> s = make_error(ErrorCode::kInternal, "no store");
  if (!pg_dsn.empty()) {
    PostgresStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.dsn = pg_dsn;
    options.schema = pg_schema;
    options.dsn += " application_name=duet_store_bench";  // (a keyword DSN)
    s = open_postgres_store(options);
  } else {
    SqliteStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.path = dir + "/duet.db";
    s = open_sqlite_store(options);
  }
  must(s, "open");
  f.s = std::move(s).value();
  Tenant t{f.tenant, "bench", std::nullopt, false, f.now, std::nullopt};
  must(f.s->create_tenant({}, t), "create_tenant");
  App a;
  a.tenant_id = f.tenant;
  a.app_id = f.app;
  a.secret_ciphertext = Bytes(48, 1);
  a.created_at = f.now;
  must(f.s->create_app({}, a), "create_app");
  Holder h;
  h.tenant_id = f.tenant;
  h.holder_id = f.holder;
  h.name_ciphertext = Bytes(40, 2);
  h.id_number_ciphertext = Bytes(40, 3);
  h.phone_ciphertext = Bytes(40, 4);
  h.lookup_hash = Bytes(32, 5);
  h.created_at = f.now;
  h.identity_verification = "attested";
  h.identity_verified_by = f.app;
  must(f.s->create_holder({}, h), "create_holder");
  HolderKeyShare k;
  k.tenant_id = f.tenant;
  k.key_id = f.key;
  k.holder_id = f.holder;
  k.public_key_hex = "04" + std::string(128, 'b');
  k.service_share_ciphertext = Bytes(80, 6);
  k.created_at = f.now;
  must(f.s->add_holder_key({}, k), "add_holder_key");
  DeviceToken d{f.tenant, f.token_hash, f.holder, f.now, std::nullopt};
  must(f.s->create_device_token({}, d), "create_device_token");
  return f;
}

struct Timing {
  long n = 0;
  double wall = 0, cpu = 0, server_cpu = -1;  // server_cpu: PostgreSQL only
  uint64_t round_trips = 0;                    // PostgreSQL only, timed part
};

bool g_postgres = false;

template <typename Prep, typename Body>
Timing time_loop(double seconds, Prep prep, Body body) {
  Timing t;
  double end = wall_us() + seconds * 1e6;
  // Server CPU comes in clock ticks (10 ms): measured over the whole loop,
  // so it includes prep() (the untimed order creation of "cycle").
  const double s0 = g_postgres ? postgres_cpu_us() : 0;
  while (wall_us() < end) {
    auto arg = prep();
    const uint64_t r0 = pg::round_trips();
    double w0 = wall_us(), c0 = thread_cpu_us();
    body(arg);
    t.cpu += thread_cpu_us() - c0;
    t.round_trips += pg::round_trips() - r0;
    t.wall += wall_us() - w0;
    ++t.n;
  }
  if (g_postgres) t.server_cpu = postgres_cpu_us() - s0;
  return t;
}

void report(const char* name, const Timing& t, int calls) {
  std::printf("%-8s %7ld iterations  wall %8.1f us  cpu %8.1f us  per iteration  (%d store calls, cpu %.1f us/call)\n",
              name, t.n, t.wall / t.n, t.cpu / t.n, calls, t.cpu / t.n / calls);
  if (t.server_cpu >= 0) {
    std::printf("%-8s server (its backends) cpu %8.1f us per iteration (whole loop)\n", name,
                t.server_cpu / t.n);
    std::printf("%-8s round trips to the server %6.2f per iteration\n", name,
                static_cast<double>(t.round_trips) / static_cast<double>(t.n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::string dir, pg_dsn, pg_schema;
  bool remove_dir = false;
  if (argc > 3 && std::string(argv[2]) == "--postgres") {
    pg_dsn = argv[3];
    if (pg_dsn.empty()) {
      std::fprintf(stderr, "--postgres needs a DSN\n");
      return 2;
    }
    pg_schema = "bench_" + new_id("").substr(0, 16);
    g_postgres = true;
  } else if (argc > 2) {
    dir = argv[2];
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "duet-store-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return 1;
    dir = pattern;
    remove_dir = true;
  }
  Fixture f = setup(dir, pg_dsn, pg_schema);
  std::printf("backend: %s\n", g_postgres ? "postgres" : "sqlite");
  Store& s = *f.s;

  // Warm-up (and the per-connection caches, if any).
  for (int i = 0; i < 50; ++i) {
    auto o = f.order();
    must(s.create_order({}, o), "create_order");
  }

  if (g_postgres) {
    auto c = pg::Connection::open(pg_dsn, "");
    must(c, "connect");
    auto pids = (*c)->query("SELECT pid::bigint FROM pg_stat_activity WHERE application_name = 'duet_store_bench'");
    must(pids, "backend pids");
    for (int i = 0; i < pids->size(); ++i) g_backend_pids.push_back(std::to_string(pids->get_int(i, 0)));
    std::printf("server: %zu backend(s) measured\n", g_backend_pids.size());
  }

  Timing cycle = time_loop(
      seconds,
      [&] {
        auto o = f.order();
        must(s.create_order({}, o), "create_order");
        return o.order_id;
      },
      [&](const std::string& order_id) {
        auto ss = f.session(order_id);
        must(testing::begin_sign(s, ss, f.now), "begin_sign_attempt");
        must(s.accept_sign_attempt({}, f.tenant, ss.session_id, testing::attempt_id_for(ss), ss.r_values, f.now),
             "accept_sign_attempt");
        must(s.finish_order({}, f.tenant, order_id, ss.session_id, {Bytes(72, 9)}, std::nullopt, f.now),
             "finish_order");
        must(s.get_order(f.tenant, order_id), "get_order");
        must(s.insert_nonce({}, f.tenant, f.app, f.nonce(), f.now), "insert_nonce");
      });
  report("cycle", cycle, 5);

  // The store calls of one co-signature in duetd (create, start, finish, fetch).
  Timing cosign = time_loop(
      seconds, [&] { return 0; },
      [&](int) {
        // create
        must(s.find_app(f.app), "find_app");
        must(s.get_tenant(f.tenant), "get_tenant");
        must(s.insert_nonce({}, f.tenant, f.app, f.nonce(), f.now), "insert_nonce");
        must(s.get_holder(f.tenant, f.holder), "get_holder");
        must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
        auto o = f.order();
        must(s.create_order({}, o), "create_order");
        // start
        must(s.find_device_token(f.token_hash), "find_device_token");
        must(s.get_tenant(f.tenant), "get_tenant");
        must(s.get_order(f.tenant, o.order_id), "get_order");
        must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
        must(s.get_holder(f.tenant, f.holder), "get_holder");
        must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
        auto ss = f.session(o.order_id);
        must(testing::begin_sign(s, ss, f.now), "begin_sign_attempt");
        must(s.accept_sign_attempt({}, f.tenant, ss.session_id, testing::attempt_id_for(ss), ss.r_values, f.now),
             "accept_sign_attempt");
        // finish
        must(s.find_device_token(f.token_hash), "find_device_token");
        must(s.get_tenant(f.tenant), "get_tenant");
        must(s.get_sign_session(f.tenant, ss.session_id), "get_sign_session");
        must(s.get_order(f.tenant, o.order_id), "get_order");
        must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
        must(s.finish_order({}, f.tenant, o.order_id, ss.session_id, {Bytes(72, 9)}, std::nullopt, f.now),
             "finish_order");
        must(s.get_order(f.tenant, o.order_id), "get_order");
        // fetch
        must(s.find_app(f.app), "find_app");
        must(s.get_tenant(f.tenant), "get_tenant");
        must(s.insert_nonce({}, f.tenant, f.app, f.nonce(), f.now), "insert_nonce");
        must(s.get_order(f.tenant, o.order_id), "get_order");
      });
  report("cosign", cosign, 25);

  // The co-signature as duetd makes it today (server/holder_routes.cc, core/holder_service.cc).
  auto event = [&](const char* action, const char* actor_type, const std::string& actor) {
    AuditEvent e;
    e.at = f.now;
    e.tenant_id = f.tenant;
    e.actor_type = actor_type;
    e.actor_id = actor;
    e.action = action;
    e.outcome = "ok";
    e.target = "ord_0123456789abcdef";
    e.address = "127.0.0.1";
    e.request_id = "req_0123456789abcdef";
    return e;
  };
  // What the Holder API reads first on every call: the device token, then its tenant.
  auto authenticate_device = [&] {
    must(s.find_device_token(f.token_hash), "find_device_token");
    must(s.get_tenant(f.tenant), "get_tenant");
  };
  Timing audited = time_loop(
      seconds, [&] { return 0; },
      [&](int) {
        std::string order_id;
        {  // create
          PendingAuditEvent pending{event("order.create", "app", f.app)};
          PendingNonce nonce{f.tenant, f.app, f.nonce(), f.now, false};
          must(s.find_app(f.app), "find_app");
          must(s.get_tenant(f.tenant), "get_tenant");
          const WriteContext bound{&pending, &nonce};
          must(s.get_holder(f.tenant, f.holder), "get_holder");
          must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
          auto o = f.order();
          must(s.create_order(bound, o), "create_order");
          order_id = o.order_id;
          if (!nonce.recorded || pending.appended != 1) {
            std::fprintf(stderr, "create: nonce or audit event not carried by the write\n");
            std::exit(1);
          }
        }
        std::string session_id;
        {  // start
          PendingAuditEvent pending{event("sign.start", "holder", f.holder)};
          authenticate_device();
          const WriteContext bound{&pending, nullptr};
          must(s.get_order(f.tenant, order_id), "get_order");
          must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
          must(s.get_holder(f.tenant, f.holder), "get_holder");
          auto ss = f.session(order_id);
          must(testing::begin_sign(s, ss, f.now, 5, bound), "begin_sign_attempt");
          must(s.accept_sign_attempt(bound, f.tenant, ss.session_id, testing::attempt_id_for(ss), ss.r_values, f.now),
               "accept_sign_attempt");
          session_id = ss.session_id;
        }
        {  // finish
          PendingAuditEvent pending{event("sign.finish", "holder", f.holder)};
          authenticate_device();
          const WriteContext bound{&pending, nullptr};
          must(s.get_sign_session(f.tenant, session_id), "get_sign_session");
          must(s.get_order(f.tenant, order_id), "get_order");
          must(s.get_active_holder_key(f.tenant, f.holder), "get_active_holder_key");
          must(s.finish_order(bound, f.tenant, order_id, session_id, {Bytes(72, 9)}, std::nullopt, f.now),
               "finish_order");
          must(s.get_order(f.tenant, order_id), "get_order");
        }
        {  // fetch (read only: nonce on its own, event appended afterwards)
          must(s.find_app(f.app), "find_app");
          must(s.get_tenant(f.tenant), "get_tenant");
          must(s.get_order(f.tenant, order_id), "get_order");
          must(s.insert_nonce({}, f.tenant, f.app, f.nonce(), f.now), "insert_nonce");
          must(s.append_audit_event(event("order.get", "app", f.app)), "append_audit_event");
        }
      });
  report("audited", audited, 24);

  f.s.reset();
  if (g_postgres) {
    auto c = pg::Connection::open(pg_dsn, "");
    if (c.ok()) (void)(*c)->exec("DROP SCHEMA IF EXISTS " + pg_schema + " CASCADE", "drop bench schema");
  }
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
