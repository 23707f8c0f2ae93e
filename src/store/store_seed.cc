// duet_store_seed: fills a store with N holders and M signed orders of
// realistic sizes, through the store API, so that duetd's cost per
// co-signature can be measured on a grown store (issue 15 item 4,
// docs/performance.md "Cost as the store grows").
//
// What one holder is (as duetd writes it at enrollment): a holders row with
// name, ID number and phone ciphertexts of the sizes core's AES-GCM makes
// (12-byte nonce + text + 16-byte tag), a 32-byte lookup hash, one key (P in
// hex, a sealed service share of 93 bytes) and one device token, each write
// carrying its audit event. What one order is (as a co-signature leaves it):
// create_order (one item of --data-bytes bytes, DER output, an idempotency
// key), begin_sign_attempt + accept_sign_attempt (a session with r, a PIN
// attempt row), finish_order (a 72-byte DER signature), each with its audit
// event, and the fetch's order.get event — the rows and audit events of
// duet_store_bench's "audited" loop. Orders go round robin over the holders,
// spread over the last --days days (inside the default retention of 180
// days, so a duetd started on the store purges nothing at once); holders over
// --tenants tenants with one production app each. The ciphertexts are random
// bytes: duetd never decrypts a seeded row while it serves other tenants.
//
// Each store call is its own transaction, as in duetd: the store API has no
// call that spans several (a bulk path would be a second writer to keep
// identical to the first). On SQLite (synchronous=NORMAL) a commit does not
// fsync, so this runs at a few thousand calls per second on one core.
//
// Disk: before writing, the free space of the file system that holds the
// database (SQLite: the file's directory; PostgreSQL: the server's
// data_directory, when this process can see it) must exceed the estimate
// (--bytes-per-holder-estimate, --bytes-per-order-estimate) plus 2 GiB;
// otherwise it refuses (exit 2) and writes nothing.
//
// Report: wall time, calls per second, and the bytes on disk per holder and
// per order (SQLite: the database file after a checkpoint, as the store
// leaves it when closed; PostgreSQL: pg_database_size of the DSN's database,
// which should hold nothing else).
//
// Usage: duet_store_seed (--sqlite FILE | --postgres DSN) --holders N --orders M
//        [--tenants T] [--data-bytes B] [--days D] [--yes]
#include <stdlib.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <span>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/quota_order.h"
#include "crypto/random.h"
#include "store/ids.h"
#include "store/pg_db.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"
#include "store/write_context.h"

using namespace duet;
using namespace duet::store;
namespace fs = std::filesystem;

namespace {

struct Options {
  std::string sqlite_path;
  std::string pg_dsn;
  long holders = 0;
  long orders = 0;
  long tenants = 10;
  size_t data_bytes = 256;
  long days = 30;
  // Estimates for the disk check, measured at 20 k holders / 200 k orders
  // on SQLite (docs/performance.md) and rounded up.
  double holder_estimate = 2500;
  double order_estimate = 4500;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "duet_store_seed: %s\nusage: duet_store_seed (--sqlite FILE | --postgres DSN) --holders N --orders M "
               "[--tenants T] [--data-bytes B] [--days D]\n",
               why);
  std::exit(2);
}

template <typename T>
void must(const T& r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "duet_store_seed: %s failed: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
}

Bytes random_bytes(size_t n) {
  Bytes b(n);
  crypto::SystemRandom::instance().fill(std::span<uint8_t>(b.data(), b.size()));
  return b;
}

std::string random_hex(size_t bytes) {
  static const char* digits = "0123456789abcdef";
  Bytes b = random_bytes(bytes);
  std::string s;
  for (uint8_t c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Free bytes of the file system holding `path`; -1 if unknown.
double free_bytes(const std::string& path) {
  struct statvfs v{};
  if (::statvfs(path.c_str(), &v) != 0) return -1;
  return static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize);
}

// Bytes the database takes now. SQLite: the file plus its WAL (the WAL is
// checkpointed into the file when the store closes); PostgreSQL:
// pg_database_size.
double database_bytes(const Options& o) {
  if (!o.sqlite_path.empty()) {
    std::error_code ec;
    double n = 0;
    for (const char* suffix : {"", "-wal"}) {
      auto size = fs::file_size(o.sqlite_path + suffix, ec);
      if (!ec) n += static_cast<double>(size);
    }
    return n;
  }
  auto c = pg::Connection::open(o.pg_dsn, "");
  must(c, "connect");
  auto r = (*c)->query("SELECT pg_database_size(current_database())::bigint");
  must(r, "pg_database_size");
  return static_cast<double>(r->get_int(0, 0));
}

AuditEvent event(const std::string& tenant, const char* action, const char* actor_type, const std::string& actor,
                 const std::string& target, UnixSeconds at) {
  AuditEvent e;
  e.at = at;
  e.tenant_id = tenant;
  e.actor_type = actor_type;
  e.actor_id = actor;
  e.action = action;
  e.outcome = "ok";
  e.target = target;
  e.address = "10.20.30.40";
  e.request_id = new_id("req_");
  return e;
}

struct SeedHolder {
  std::string tenant;
  std::string app;
  std::string holder;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    auto number = [&](long lo, long hi) {
      std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < lo || n > hi) usage((a + " must be a number in range").c_str());
      return n;
    };
    if (a == "--sqlite") o.sqlite_path = value();
    else if (a == "--postgres") o.pg_dsn = value();
    else if (a == "--holders") o.holders = number(1, 100'000'000);
    else if (a == "--orders") o.orders = number(0, 1'000'000'000);
    else if (a == "--tenants") o.tenants = number(1, 100'000);
    else if (a == "--data-bytes") o.data_bytes = static_cast<size_t>(number(1, 200'000));
    else if (a == "--days") o.days = number(1, 3650);
    else usage(("unknown argument " + a).c_str());
  }
  if (o.sqlite_path.empty() == o.pg_dsn.empty()) usage("give exactly one of --sqlite FILE and --postgres DSN");
  if (o.holders <= 0) usage("--holders is required");
  o.tenants = std::min(o.tenants, o.holders);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);

  // Disk first: refuse before writing anything.
  std::string where = o.sqlite_path.empty() ? std::string() : fs::absolute(o.sqlite_path).parent_path().string();
  if (!o.pg_dsn.empty()) {
    auto c = pg::Connection::open(o.pg_dsn, "");
    must(c, "connect");
    auto r = (*c)->query("SHOW data_directory");
    if (r.ok() && r->size() == 1) where = r->text(0, 0);
  }
  const double need = o.holder_estimate * static_cast<double>(o.holders) +
                      o.order_estimate * static_cast<double>(o.orders) + 2.0 * (1 << 30);
  const double free = where.empty() ? -1 : free_bytes(where);
  if (free < 0) {
    std::fprintf(stderr, "duet_store_seed: cannot see the free space of the database's file system (%s)\n",
                 where.c_str());
    return 2;
  }
  std::printf("disk: %.1f GiB free at %s, %.1f GiB needed (estimate + 2 GiB)\n", free / (1 << 30), where.c_str(),
              need / (1 << 30));
  if (free < need) {
    std::fprintf(stderr, "duet_store_seed: not enough free disk space; nothing written\n");
    return 2;
  }

  auto open_store = [&o] {
    Result<std::unique_ptr<Store>> opened = make_error(ErrorCode::kInternal, "no store");
    if (!o.pg_dsn.empty()) {
      PostgresStoreOptions options;
      options.quota_order = core::quota_order_rule();
      options.dsn = o.pg_dsn;
      opened = open_postgres_store(options);
    } else {
      SqliteStoreOptions options;
      options.quota_order = core::quota_order_rule();
      options.path = o.sqlite_path;
      opened = open_sqlite_store(options);
    }
    must(opened, "open the store");
    return std::move(opened).value();
  };
  std::unique_ptr<Store> s = open_store();
  const double bytes0 = database_bytes(o);

  const UnixSeconds now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const UnixSeconds start = now - o.days * 86400;
  const auto t0 = std::chrono::steady_clock::now();
  long calls = 0;

  // Tenants, one production app each.
  std::vector<std::pair<std::string, std::string>> tenants;  // (tenant, app)
  for (long t = 0; t < o.tenants; ++t) {
    Tenant tenant{new_id("ten_"), "seeded tenant " + std::to_string(t), start - 86400, false, start - 86400,
                  std::nullopt};
    must(s->create_tenant({}, tenant), "create_tenant");
    App app;
    app.tenant_id = tenant.tenant_id;
    app.app_id = new_id("app_");
    app.secret_ciphertext = random_bytes(12 + 32 + 16);
    app.environment = AppEnvironment::kProduction;
    app.created_at = start - 86400;
    must(s->create_app({}, app), "create_app");
    // Production holders and signatures are metered: an unlimited package,
    // so every holder and signed item gets its usage row.
    {
      Package p;
      p.tenant_id = tenant.tenant_id;
      p.package_id = new_id("pkg_");
      p.kind = PackageKind::kUnlimited;
      p.starts_at = start - 86400;
      p.expires_at = now + 365 * 86400;
      p.created_at = start - 86400;
      must(s->add_package({}, p), "add_package");
    }
    tenants.emplace_back(tenant.tenant_id, app.app_id);
    calls += 3;
  }

  // Holders: create, then the key and the device token of the activation.
  std::vector<SeedHolder> holders;
  holders.reserve(static_cast<size_t>(o.holders));
  for (long i = 0; i < o.holders; ++i) {
    const auto& [tenant, app] = tenants[static_cast<size_t>(i % o.tenants)];
    const UnixSeconds at = start - 3600 + i * 3600 / o.holders;
    Holder h;
    h.tenant_id = tenant;
    h.holder_id = new_id("hld_");
    h.name_ciphertext = random_bytes(12 + 9 + 16);        // a Chinese name of three characters
    h.id_number_ciphertext = random_bytes(12 + 18 + 16);  // 18 characters
    h.phone_ciphertext = random_bytes(12 + 11 + 16);      // 11 digits
    h.lookup_hash = random_bytes(32);
    h.created_at = at;
    h.identity_verification = "attested";
    h.identity_verified_by = app;
    {
      PendingAuditEvent pending{event(tenant, "holder.create", "app", app, "holder:" + h.holder_id, at)};
      must(s->create_holder(WriteContext{&pending, nullptr}, h), "create_holder");
    }
    {
      PendingAuditEvent pending{event(tenant, "holder.activate", "holder", h.holder_id, "holder:" + h.holder_id, at)};
      const WriteContext write{&pending, nullptr};
      HolderKeyShare k;
      k.tenant_id = tenant;
      k.key_id = new_id("key_");
      k.holder_id = h.holder_id;
      k.public_key_hex = "04" + random_hex(64);
      k.service_share_ciphertext = random_bytes(12 + 32 + 16 + 33);  // sealed d2 with its key id
      k.created_at = at;
      must(s->add_holder_key(write, k), "add_holder_key");
      DeviceToken d{tenant, random_bytes(32), h.holder_id, at, std::nullopt};
      must(s->create_device_token(write, d), "create_device_token");
    }
    calls += 3;
    holders.push_back({tenant, app, h.holder_id});
    if (o.holders >= 10 && (i + 1) % (o.holders / 10) == 0) {
      std::printf("  holders %ld / %ld  (%.0f s)\n", i + 1, o.holders, seconds_since(t0));
      std::fflush(stdout);
    }
  }
  const double holders_s = seconds_since(t0);
  s.reset();  // SQLite: closing the last connection checkpoints the WAL into the file
  const double bytes1 = database_bytes(o);
  s = open_store();

  // Orders, signed, round robin over the holders.
  const auto t1 = std::chrono::steady_clock::now();
  const std::string payload_prefix = "contract ";
  for (long i = 0; i < o.orders; ++i) {
    const SeedHolder& h = holders[static_cast<size_t>(i % o.holders)];
    const UnixSeconds at = start + static_cast<UnixSeconds>(static_cast<double>(i) * (o.days * 86400.0) /
                                                            static_cast<double>(std::max(1L, o.orders)));
    SignOrder order;
    order.tenant_id = h.tenant;
    order.order_id = new_id("ord_");
    order.app_id = h.app;
    order.holder_id = h.holder;
    order.title = "Loan agreement";
    order.display_text = "Please sign the loan agreement no. " + std::to_string(100000 + i);
    order.output_format = OutputFormat::kDer;
    Bytes data = random_bytes(o.data_bytes);
    order.items.push_back(SignItem{std::move(data), false, {}});
    order.expires_at = at + 86400;
    order.idempotency_key = "idem-" + random_hex(12);
    order.created_at = at;
    order.updated_at = at;
    {
      PendingAuditEvent pending{event(h.tenant, "order.create", "app", h.app, "", at)};
      pending.name_target("order", order.order_id);
      must(s->create_order(WriteContext{&pending, nullptr}, order), "create_order");
    }
    SignSession session;
    session.tenant_id = h.tenant;
    session.session_id = new_id("ses_");
    session.order_id = order.order_id;
    session.holder_id = h.holder;
    session.r_values = {random_hex(32)};
    session.created_at = at + 20;
    session.updated_at = at + 20;
    {
      PendingAuditEvent pending{event(h.tenant, "sign.start", "holder", h.holder, "order:" + order.order_id, at + 20)};
      must(testing::open_session(*s, session, at + 20, 5, WriteContext{&pending, nullptr}), "sign session");
    }
    {
      PendingAuditEvent pending{event(h.tenant, "sign.finish", "holder", h.holder, "order:" + order.order_id, at + 21)};
      must(s->finish_order(WriteContext{&pending, nullptr}, h.tenant, order.order_id, session.session_id,
                           {random_bytes(72)}, std::nullopt, at + 21),
           "finish_order");
    }
    must(s->append_audit_event(event(h.tenant, "order.get", "app", h.app, "order:" + order.order_id, at + 22)),
         "append_audit_event");
    calls += 5;
    if (o.orders >= 10 && (i + 1) % (o.orders / 10) == 0) {
      std::printf("  orders %ld / %ld  (%.0f s)\n", i + 1, o.orders, seconds_since(t1));
      std::fflush(stdout);
    }
  }
  const double orders_s = seconds_since(t1);
  s.reset();  // SQLite: the last connection closed checkpoints the WAL into the file
  const double bytes2 = database_bytes(o);

  const double total_s = seconds_since(t0);
  std::printf("seeded %s: %ld tenants, %ld holders, %ld signed orders of %zu data bytes, %ld store calls in %.1f s "
              "(%.0f calls/s; holders %.1f s, orders %.1f s)\n",
              o.sqlite_path.empty() ? "postgres" : "sqlite", o.tenants, o.holders, o.orders, o.data_bytes, calls,
              total_s, static_cast<double>(calls) / total_s, holders_s, orders_s);
  std::printf("bytes on disk: %.0f before, %.0f after the holders, %.0f after the orders\n", bytes0, bytes1, bytes2);
  std::printf("bytes per holder: %.0f\n", (bytes1 - bytes0) / static_cast<double>(o.holders));
  if (o.orders > 0) std::printf("bytes per order: %.0f\n", (bytes2 - bytes1) / static_cast<double>(o.orders));
  return 0;
}
