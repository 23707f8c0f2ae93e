// Tests specific to the SQLite backend: pragmas, migrations bookkeeping,
// crash safety (a child process dies inside a transaction) and several
// Store objects ("nodes") sharing one file.
#include "base/result_testing.h"
#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include "core/quota_order.h"
#include "store/ids.h"
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_test_util.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;

std::unique_ptr<Store> open_at(const std::string& path,
                               std::function<void(std::string_view)> hook = nullptr) {
  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  options.test_hook = std::move(hook);
  auto s = open_sqlite_store(std::move(options));
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Runs one SQL query on a raw connection and returns the first column of the first row.
std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      if (t) out = reinterpret_cast<const char*>(t);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

// The detail lines of EXPLAIN QUERY PLAN for `sql`, joined by newlines.
std::string query_plan(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    std::string explain = "EXPLAIN QUERY PLAN " + sql;
    if (sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 3);
        if (t) out += std::string(reinterpret_cast<const char*>(t)) + "\n";
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

struct Fixture {
  std::string tenant_id = new_id("ten_"), app_id = new_id("app_"), holder_id = new_id("hld_");
  SignOrder order;
  SignSession session;
};

// A tenant, app, holder, an order and an open session on it.
Fixture seed(Store& store) {
  Fixture f;
  Tenant t;
  t.tenant_id = f.tenant_id;
  t.name = "t";
  EXPECT_TRUE(store.create_tenant({}, t).ok());
  App a;
  a.tenant_id = f.tenant_id;
  a.app_id = f.app_id;
  a.secret_ciphertext = Bytes{1};
  EXPECT_TRUE(store.create_app({}, a).ok());
  Holder h;
  h.tenant_id = f.tenant_id;
  h.holder_id = f.holder_id;
  h.lookup_hash = Bytes{2};
  EXPECT_TRUE(store.create_holder({}, h).ok());
  f.order.tenant_id = f.tenant_id;
  f.order.order_id = new_id("ord_");
  f.order.app_id = f.app_id;
  f.order.holder_id = f.holder_id;
  f.order.items = {SignItem{Bytes(32, 1), true, {}}};
  f.order.expires_at = kNow + 600;
  f.order.callback_url = "https://biz.example/cb";
  EXPECT_TRUE(store.create_order({}, f.order).ok());
  f.session.tenant_id = f.tenant_id;
  f.session.session_id = new_id("ses_");
  f.session.order_id = f.order.order_id;
  f.session.holder_id = f.holder_id;
  f.session.r_values = {"ab"};
  EXPECT_TRUE(open_session(store, f.session, kNow).ok());  // the holder's count back at 0
  return f;
}

// seed() on the database at `path`, closed again.
Fixture seed_closed(const std::string& path) {
  auto store = open_at(path);
  return seed(*store);
}

CallbackJob callback(const Fixture& f) {
  CallbackJob j;
  j.url = f.order.callback_url;
  j.payload = "{}";
  j.next_attempt_at = kNow;
  return j;
}

TEST(SqliteStore, UsesWalAndRecordsEachMigrationOnce) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  for (int i = 0; i < 3; ++i) {
    auto store = open_at(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(*store->schema_version(), sqlite_store_latest_schema_version());
  }
  EXPECT_EQ(raw_query(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_query(path, "SELECT COUNT(*) FROM schema_version"),
            std::to_string(sqlite_store_latest_schema_version()));
}

TEST(SqliteStore, RefusesASchemaNewerThanTheBinary) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  ASSERT_TRUE(open_at(path));
  raw_query(path, "INSERT INTO schema_version (version) VALUES (9999)");
  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  auto s = open_sqlite_store(options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(store_error_kind(s.error()), StoreError::kCorrupt);
}

TEST(SqliteStore, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::string path = dir.file("junk.db");
  {
    std::ofstream junk(path, std::ios::binary);
    junk << std::string(4096, 'x');
  }
  SqliteStoreOptions options;
  options.quota_order = core::quota_order_rule();
  options.path = path;
  auto s = open_sqlite_store(options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(store_error_kind(s.error()), StoreError::kCorrupt);
  SqliteStoreOptions empty;
  EXPECT_EQ(open_sqlite_store(empty).code(), ErrorCode::kInvalidArgument);
}

// A child process runs a call through the API and dies (_exit) at a hook
// inside the write transaction; returns the child's exit code.
int crash_child_at(const std::string& path, const std::string& point, const std::function<void(Store&)>& call) {
  pid_t pid = fork();
  if (pid == 0) {
    SqliteStoreOptions options;
    options.quota_order = core::quota_order_rule();
    options.path = path;
    options.test_hook = [point](std::string_view at) {
      if (at == point) _exit(42);
    };
    auto s = open_sqlite_store(std::move(options));
    if (!s.ok()) _exit(1);
    call(**s);
    _exit(2);  // the hook never fired
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SqliteStore, CrashInsideFinishOrderLeavesNothingHalfWritten) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  Fixture f = seed_closed(path);  // closed before fork: the child opens its own connections
  for (const char* point : {"finish_order:after_order_update", "finish_order:before_callback"}) {
    int code = crash_child_at(path, point, [&](Store& s) {
      (void)s.finish_order({}, f.tenant_id, f.order.order_id, f.session.session_id, {Bytes{0x30, 0x01}}, callback(f),
                           kNow);
    });
    ASSERT_EQ(code, 42) << point;
    auto store = open_at(path);
    auto order = store->get_order(f.tenant_id, f.order.order_id);
    ASSERT_TRUE(order.ok());
    EXPECT_EQ(order->state, OrderState::kSigning) << point;
    EXPECT_TRUE(order->items[0].signature.empty()) << point;
    EXPECT_EQ(ok_value(store->get_sign_session(f.tenant_id, f.session.session_id)).state, SessionState::kOpen) << point;
    EXPECT_EQ(ok_value(store->get_holder(f.tenant_id, f.holder_id)).failed_attempts, 0) << point;
    EXPECT_TRUE(ok_value(store->claim_due_callbacks({}, "w", kNow, 30, 10)).empty()) << point;
  }
  // The survivor can still complete the order.
  auto store = open_at(path);
  EXPECT_TRUE(store
                  ->finish_order({}, f.tenant_id, f.order.order_id, f.session.session_id, {Bytes{0x30, 0x01}},
                                 callback(f), kNow)
                  .ok());
}

TEST(SqliteStore, CrashInsideCreateOrderAndSessionStartLeavesNoTrace) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  Fixture f = seed_closed(path);
  SignOrder second = f.order;
  second.order_id = new_id("ord_");
  second.items.push_back(SignItem{Bytes(32, 2), true, {}});
  ASSERT_EQ(
      crash_child_at(path, "create_order:after_order_insert", [&](Store& s) { (void)s.create_order({}, second); }), 42);
  SignSession again = f.session;
  again.session_id = new_id("ses_");
  ASSERT_EQ(crash_child_at(path, "begin_sign_attempt:after_attempt_counted",
                           [&](Store& s) { (void)begin_sign(s, again, kNow); }),
            42);
  auto store = open_at(path);
  EXPECT_EQ(store_error_kind(store->get_order(f.tenant_id, second.order_id)), StoreError::kNotFound);
  EXPECT_EQ(raw_query(path, "SELECT COUNT(*) FROM sign_order_items"), "1");
  EXPECT_EQ(store_error_kind(store->get_sign_session(f.tenant_id, again.session_id)), StoreError::kNotFound);
  EXPECT_EQ(ok_value(store->get_holder(f.tenant_id, f.holder_id)).failed_attempts, 0) << "the crashed attempt counted nothing";
  EXPECT_EQ(raw_query(path, "SELECT COUNT(*) FROM pin_attempts"), "1") << "the seed's attempt only";
}

TEST(SqliteStore, CrashInsideCompleteActivationLeavesTheOldEnrollment) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  Fixture f;
  HolderKeyShare old_key;
  DeviceToken old_token;
  ActivationCode code;
  {
    auto store = open_at(path);
    f = seed(*store);
    old_key.tenant_id = f.tenant_id;
    old_key.key_id = new_id("key_");
    old_key.holder_id = f.holder_id;
    old_key.public_key_hex = "04old";
    old_key.service_share_ciphertext = Bytes{1, 2};
    ASSERT_TRUE(store->add_holder_key({}, old_key).ok());
    old_token.tenant_id = f.tenant_id;
    old_token.token_hash = Bytes{0xd1};
    old_token.holder_id = f.holder_id;
    ASSERT_TRUE(store->create_device_token({}, old_token).ok());
    code.tenant_id = f.tenant_id;
    code.code_id = new_id("act_");
    code.holder_id = f.holder_id;
    code.code_hash = Bytes{0xc1};
    code.expires_at = kNow + 300;
    code.attempts_left = 3;
    ASSERT_TRUE(store->create_activation_code({}, code).ok());
    ASSERT_TRUE(store->lock_holder({}, f.tenant_id, f.holder_id).ok());
  }
  ActivationCompletion c;
  c.tenant_id = f.tenant_id;
  c.code_id = code.code_id;
  c.key.tenant_id = f.tenant_id;
  c.key.key_id = new_id("key_");
  c.key.holder_id = f.holder_id;
  c.key.public_key_hex = "04new";
  c.key.service_share_ciphertext = Bytes{3, 4};
  c.token.tenant_id = f.tenant_id;
  c.token.token_hash = Bytes{0xd2};
  c.token.holder_id = f.holder_id;
  c.now = kNow + 1;
  for (const char* point : {"complete_activation:after_code_used", "complete_activation:after_revocations",
                            "complete_activation:before_holder_update"}) {
    ASSERT_EQ(crash_child_at(path, point, [&](Store& s) { (void)s.complete_activation({}, c); }), 42) << point;
    auto store = open_at(path);
    EXPECT_FALSE(ok_value(store->find_activation_code(code.code_hash)).used_at.has_value()) << point;
    auto key = store->get_active_holder_key(f.tenant_id, f.holder_id);
    ASSERT_TRUE(key.ok()) << point;
    EXPECT_EQ(key->key_id, old_key.key_id) << point;
    EXPECT_EQ(key->service_share_ciphertext, (Bytes{1, 2})) << point;
    EXPECT_EQ(store_error_kind(store->get_holder_key(f.tenant_id, c.key.key_id)), StoreError::kNotFound) << point;
    EXPECT_TRUE(store->find_device_token(old_token.token_hash).ok()) << point;
    EXPECT_EQ(store_error_kind(store->find_device_token(c.token.token_hash)), StoreError::kNotFound) << point;
    auto h = store->get_holder(f.tenant_id, f.holder_id);
    ASSERT_OK(h);
    EXPECT_EQ(h->status, HolderStatus::kLocked) << point;
    EXPECT_EQ(h->failed_attempts, 0) << point;
  }
  auto store = open_at(path);
  ASSERT_TRUE(store->complete_activation({}, c).ok());
  EXPECT_EQ(ok_value(store->get_active_holder_key(f.tenant_id, f.holder_id)).key_id, c.key.key_id);
  EXPECT_EQ(ok_value(store->get_holder(f.tenant_id, f.holder_id)).status, HolderStatus::kActive);
}

TEST(SqliteStore, CrashInsideFailSignSessionLeavesTheSessionOpen) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  Fixture f;
  {
    auto store = open_at(path);
    f = seed(*store);
    ASSERT_TRUE(store->lock_holder({}, f.tenant_id, f.holder_id).ok());
  }
  for (const char* point : {"fail_sign_session:after_session_failed", "fail_sign_session:before_callback"}) {
    ASSERT_EQ(crash_child_at(path, point,
                             [&](Store& s) {
                               (void)s.fail_sign_session({}, f.tenant_id, f.session.session_id, callback(f), kNow);
                             }),
              42)
        << point;
    auto store = open_at(path);
    EXPECT_EQ(ok_value(store->get_sign_session(f.tenant_id, f.session.session_id)).state, SessionState::kOpen) << point;
    EXPECT_EQ(ok_value(store->get_order(f.tenant_id, f.order.order_id)).state, OrderState::kSigning) << point;
    EXPECT_TRUE(ok_value(store->claim_due_callbacks({}, "w", kNow, 30, 10)).empty()) << point;
  }
  auto store = open_at(path);
  auto after = store->fail_sign_session({}, f.tenant_id, f.session.session_id, callback(f), kNow);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, OrderState::kFailed);
  EXPECT_EQ(ok_value(store->claim_due_callbacks({}, "w", kNow, 30, 10)).size(), 1u);
}

TEST(SqliteStore, UpgradesAVersion2DatabaseWithItsData) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  // What a binary that knew only versions 1 and 2 left behind.
  std::string sql = schema_sql_up_to(2);
  sql += "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', 0, 1);";
  ASSERT_EQ(run_raw_sql(path, sql), "");
  auto store = open_at(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->schema_version(), sqlite_store_latest_schema_version());
  EXPECT_GE(sqlite_store_latest_schema_version(), 3);
  EXPECT_EQ(ok_value(store->get_tenant("ten_old")).name, "old");
  EXPECT_EQ(raw_query(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                            "('sign_orders_tenant_created', 'sign_orders_holder_created', 'device_tokens_holder')"),
            "3");
  // The newest-first page query is served by the index, not a table scan and sort.
  std::string plan = query_plan(path,
      "SELECT order_id FROM sign_orders WHERE tenant_id = 'x' AND (created_at < 5 OR (created_at = 5 AND "
      "order_id < 'o')) ORDER BY created_at DESC, order_id DESC LIMIT 10");
  EXPECT_NE(plan.find("sign_orders_tenant_created"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = query_plan(path,
      "SELECT order_id FROM sign_orders WHERE tenant_id = 'x' AND holder_id = 'h' "
      "ORDER BY created_at DESC, order_id DESC LIMIT 10");
  EXPECT_NE(plan.find("sign_orders_holder_created"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

// A key, a kCsr order for it with an open session, and the certificate
// finish_csr_order would store.
struct CsrFixture {
  Fixture base;
  HolderKeyShare key;
  SignOrder order;
  SignSession session;
  Certificate cert;
};

CsrFixture seed_csr(Store& store) {
  CsrFixture f;
  f.base = seed(store);
  f.key.tenant_id = f.base.tenant_id;
  f.key.key_id = new_id("key_");
  f.key.holder_id = f.base.holder_id;
  f.key.public_key_hex = "04csr";
  f.key.service_share_ciphertext = Bytes{9, 9};
  EXPECT_TRUE(store.add_holder_key({}, f.key).ok());
  f.order = f.base.order;
  f.order.order_id = new_id("ord_");
  f.order.kind = OrderKind::kCsr;
  f.order.key_id = f.key.key_id;
  f.order.callback_url.clear();
  EXPECT_TRUE(store.create_order({}, f.order).ok());
  f.session = f.base.session;
  f.session.session_id = new_id("ses_");
  f.session.order_id = f.order.order_id;
  EXPECT_TRUE(open_session(store, f.session, kNow).ok());
  f.cert.tenant_id = f.base.tenant_id;
  f.cert.cert_id = new_id("crt_");
  f.cert.holder_id = f.base.holder_id;
  f.cert.key_id = f.key.key_id;
  f.cert.serial_hex = "7f01";
  f.cert.issuer_id = "ca_issuing";
  f.cert.der = Bytes{0x30, 0x03};
  return f;
}

TEST(SqliteStore, CrashInsideFinishCsrOrderLeavesNeitherSignatureNorCertificate) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  CsrFixture f;
  {
    auto store = open_at(path);
    f = seed_csr(*store);
  }
  for (const char* point : {"finish_csr_order:after_order_update", "finish_csr_order:before_certificate"}) {
    int code = crash_child_at(path, point, [&](Store& s) {
      (void)s.finish_csr_order({}, f.base.tenant_id, f.order.order_id, f.session.session_id, {Bytes{0x30, 0x02}},
                               f.cert, kNow);
    });
    ASSERT_EQ(code, 42) << point;
    auto store = open_at(path);
    auto order = store->get_order(f.base.tenant_id, f.order.order_id);
    ASSERT_TRUE(order.ok());
    EXPECT_EQ(order->state, OrderState::kSigning) << point;
    EXPECT_TRUE(order->items[0].signature.empty()) << point;
    EXPECT_EQ(ok_value(store->get_sign_session(f.base.tenant_id, f.session.session_id)).state, SessionState::kOpen) << point;
    EXPECT_EQ(ok_value(store->get_holder(f.base.tenant_id, f.base.holder_id)).failed_attempts, 0) << point;
    EXPECT_EQ(store_error_kind(store->find_certificate_by_serial(f.cert.serial_hex)), StoreError::kNotFound) << point;
  }
  auto store = open_at(path);
  ASSERT_TRUE(store
                  ->finish_csr_order({}, f.base.tenant_id, f.order.order_id, f.session.session_id, {Bytes{0x30, 0x02}},
                                     f.cert, kNow)
                  .ok());
  EXPECT_EQ(ok_value(store->find_certificate_by_serial(f.cert.serial_hex)).cert_id, f.cert.cert_id);
  EXPECT_EQ(ok_value(store->get_order(f.base.tenant_id, f.order.order_id)).state, OrderState::kSigned);
  EXPECT_TRUE(ok_value(store->claim_due_callbacks({}, "w", kNow, 30, 10)).empty());
}

TEST(SqliteStore, CrashInsideRevokeCertificateLeavesCertificateKeyAndDevicesGood) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  CsrFixture f;
  DeviceToken token;
  {
    auto store = open_at(path);
    f = seed_csr(*store);
    ASSERT_TRUE(store->add_certificate({}, f.cert).ok());
    token.tenant_id = f.base.tenant_id;
    token.token_hash = Bytes{0xd7};
    token.holder_id = f.base.holder_id;
    ASSERT_TRUE(store->create_device_token({}, token).ok());
  }
  for (const char* point : {"revoke_certificate:after_certificate", "revoke_certificate:after_key"}) {
    ASSERT_EQ(crash_child_at(
                  path, point,
                  [&](Store& s) { (void)s.revoke_certificate({}, f.base.tenant_id, f.cert.cert_id, 1, true, kNow); }),
              42)
        << point;
    auto store = open_at(path);
    EXPECT_FALSE(ok_value(store->get_certificate(f.base.tenant_id, f.cert.cert_id)).revoked) << point;
    auto key = store->get_active_holder_key(f.base.tenant_id, f.base.holder_id);
    ASSERT_TRUE(key.ok()) << point;
    EXPECT_EQ(key->service_share_ciphertext, (Bytes{9, 9})) << point;
    EXPECT_TRUE(store->find_device_token(token.token_hash).ok()) << point;
    EXPECT_TRUE(ok_value(store->list_revoked_certificates("ca_issuing")).empty()) << point;
  }
  auto store = open_at(path);
  ASSERT_TRUE(store->revoke_certificate({}, f.base.tenant_id, f.cert.cert_id, 1, true, kNow).ok());
  EXPECT_TRUE(ok_value(store->get_certificate(f.base.tenant_id, f.cert.cert_id)).revoked);
  EXPECT_TRUE(ok_value(store->get_holder_key(f.base.tenant_id, f.key.key_id)).service_share_ciphertext.empty());
  EXPECT_EQ(store_error_kind(store->find_device_token(token.token_hash)), StoreError::kNotFound);
}

TEST(SqliteStore, UpgradesAVersion3DatabaseWithDefaultsForIssue4) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  // What a binary that knew versions 1-3 left behind: one of each row issue 4 extends.
  std::string sql = schema_sql_up_to(3);
  sql +=
      "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', 0, 1);"
      "INSERT INTO apps (tenant_id, app_id, secret_ciphertext, environment, created_at) "
      "  VALUES ('ten_old', 'app_old', X'01', 'sandbox', 1);"
      "INSERT INTO holders (tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, "
      "  lookup_hash, status, failed_attempts, created_at) VALUES ('ten_old', 'hld_old', X'', X'', X'', X'0b', "
      "  'active', 0, 1);"
      "INSERT INTO activation_codes (tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, "
      "  created_at) VALUES ('ten_old', 'act_old', 'hld_old', X'0c', 9999999999, 3, 1);"
      "INSERT INTO sign_orders (tenant_id, order_id, app_id, holder_id, title, display_text, output_format, "
      "  expires_at, callback_url, state, created_at, updated_at) VALUES ('ten_old', 'ord_old', 'app_old', "
      "  'hld_old', 't', 'd', 'raw', 9999999999, '', 'pending', 1, 1);"
      "INSERT INTO sign_order_items (tenant_id, order_id, item_index, input, input_is_digest) "
      "  VALUES ('ten_old', 'ord_old', 0, X'aa', 0);";
  ASSERT_EQ(run_raw_sql(path, sql), "");
  auto store = open_at(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->schema_version(), sqlite_store_latest_schema_version());
  EXPECT_GE(sqlite_store_latest_schema_version(), 4);
  auto app = store->get_app("ten_old", "app_old");
  ASSERT_TRUE(app.ok()) << app.error().to_string();
  EXPECT_EQ(app->identity_mode, "attested");
  EXPECT_FALSE(app->sms_otp_required);
  EXPECT_EQ(app->cms_oid_style, "pkcs7");
  auto holder = store->get_holder("ten_old", "hld_old");
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(holder->identity_verification, "");
  EXPECT_EQ(holder->identity_verified_at, 0);
  auto code = store->find_activation_code(Bytes{0x0c});
  ASSERT_TRUE(code.ok());
  EXPECT_TRUE(code->otp_hash.empty());
  EXPECT_EQ(code->otp_attempts_left, 0);
  EXPECT_EQ(code->attempts_left, 3);
  auto order = store->get_order("ten_old", "ord_old");
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order->kind, OrderKind::kSign);
  EXPECT_TRUE(order->key_id.empty());
  EXPECT_EQ(ok_value(store->list_orders("ten_old", OrderFilter{})).orders.size(), 1u);
  ASSERT_TRUE(store->update_app_settings({}, "ten_old", "app_old", "identity_source", true, "gmt").ok());

  // The certificate lookups are served by their indexes.
  std::string plan = query_plan(path,
      "SELECT cert_id FROM certificates WHERE tenant_id = 'x' AND holder_id = 'h' "
      "ORDER BY created_at DESC, cert_id DESC");
  EXPECT_NE(plan.find("certificates_holder"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = query_plan(path,
      "SELECT cert_id FROM certificates WHERE issuer_id = 'i' AND revoked_at IS NOT NULL ORDER BY serial_hex");
  EXPECT_NE(plan.find("certificates_revoked"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = query_plan(path, "SELECT cert_id FROM certificates WHERE serial_hex = 's'");
  EXPECT_NE(plan.find("certificates_serial"), std::string::npos) << plan;
}

TEST(SqliteStore, TwoNodesOnOneFileFinishAnOrderOnce) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  auto node_a = open_at(path);
  auto node_b = open_at(path);
  for (int round = 0; round < 5; ++round) {
    Fixture f = seed(*node_a);
    SignSession other = f.session;
    other.session_id = new_id("ses_");
    ASSERT_TRUE(open_session(*node_b, other, kNow).ok());
    std::atomic<int> wins{0}, conflicts{0};
    std::latch go(2);
    auto finish = [&](Store& node, const SignSession& s) {
      go.arrive_and_wait();
      Status r = node.finish_order({}, f.tenant_id, f.order.order_id, s.session_id, {Bytes{0x30}}, callback(f), kNow);
      if (r.ok()) ++wins;
      else if (store_error_kind(r) == StoreError::kConflict) ++conflicts;
    };
    std::thread ta(finish, std::ref(*node_a), f.session);
    std::thread tb(finish, std::ref(*node_b), other);
    ta.join();
    tb.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(conflicts.load(), 1);
    EXPECT_EQ(ok_value(node_b->get_order(f.tenant_id, f.order.order_id)).state, OrderState::kSigned);
  }
  EXPECT_EQ(ok_value(node_a->claim_due_callbacks({}, "w", kNow, 30, 100)).size(), 5u);
}

// --- the connection pool (sqlite_db.h): one writer, background checkpoints ---

TEST(SqliteConnectionPool, TheWalIsCheckpointedInTheBackground) {
  TempDir dir;
  std::string path = dir.file("pool.db");
  sqlite::ConnectionPool pool(path, 5000, 2, /*checkpoint_pages=*/8);
  {
    auto w = pool.acquire_writer();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->exec("CREATE TABLE t (x BLOB)", "setup").ok());
  }
  const auto db_size = [&] { return std::filesystem::file_size(path); };
  const auto before = db_size();
  // Each row fills about a page: the WAL passes 8 frames many times over.
  for (int i = 0; i < 200; ++i) {
    auto w = pool.acquire_writer();
    ASSERT_TRUE(w.ok());
    auto tx = sqlite::Transaction::begin(**w, sqlite::Transaction::Kind::kWrite);
    ASSERT_TRUE(tx.ok());
    auto st = sqlite::Statement::prepare(**w, "INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(st.ok());
    st->bind(1, Bytes(3000, static_cast<uint8_t>(i)));
    ASSERT_TRUE(st->run().ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  // Without a checkpoint every page would still be in the WAL only and the
  // database file would not have grown; the background thread copies them.
  // Polled for up to 30 s: under a loaded CI machine (valgrind and the HA
  // drill run beside it) the checkpoint thread may be scheduled late.
  bool grown = false;
  for (int i = 0; i < 3000 && !grown; ++i) {
    grown = db_size() > before + 100 * 4096;
    if (!grown) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(grown) << "database file stayed at " << db_size() << " bytes";
  // SQLite's own auto-checkpoint is off on every connection (the thread does it).
  auto r = pool.acquire();
  ASSERT_TRUE(r.ok());
  auto st = sqlite::Statement::prepare(**r, "PRAGMA wal_autocheckpoint");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), 0);
}

// A steady stream of writes (no pause for the background thread to finish a
// checkpoint between two of them) must still let the WAL start again from its
// beginning, again and again: the thread's checkpoint with the writer's lease
// does that. The WAL header's checkpoint sequence number (bytes 12-15,
// big-endian) moves on at each restart. Measured over 6000 one-page rows at
// checkpoint_pages 64: 13-33 restarts with it (four runs at once on 2 busy
// cores: 13-27), 0-3 without (the WAL then reached 28-75 MB; those few
// restarts happen only when a checkpoint ends by chance between two writes).
TEST(SqliteConnectionPool, TheWalRestartsUnderASteadyStreamOfWrites) {
  TempDir dir;
  std::string path = dir.file("pool.db");
  sqlite::ConnectionPool pool(path, 5000, 2, /*checkpoint_pages=*/64);
  {
    auto w = pool.acquire_writer();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->exec("CREATE TABLE t (x BLOB)", "setup").ok());
  }
  const auto wal_sequence = [&] {
    std::ifstream in(path + "-wal", std::ios::binary);
    unsigned char h[16] = {};
    in.read(reinterpret_cast<char*>(h), sizeof h);
    return in ? (uint32_t{h[12]} << 24 | uint32_t{h[13]} << 16 | uint32_t{h[14]} << 8 | h[15]) : uint32_t{0};
  };
  // 6000 one-page rows; each restart moves the sequence number on.
  uint32_t seen = wal_sequence();
  int restarts = 0;
  constexpr int kRows = 6000;
  for (int row = 0; row < kRows; ++row) {
    auto w = pool.acquire_writer();
    ASSERT_TRUE(w.ok());
    auto tx = sqlite::Transaction::begin(**w, sqlite::Transaction::Kind::kWrite);
    ASSERT_TRUE(tx.ok());
    auto st = sqlite::Statement::prepare(**w, "INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(st.ok());
    st->bind(1, Bytes(3000, static_cast<uint8_t>(row)));
    ASSERT_TRUE(st->run().ok());
    auto committed = tx->commit();
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    if (const uint32_t now = wal_sequence(); now != seen) {
      seen = now;
      ++restarts;
    }
  }
  EXPECT_GE(restarts, 6) << "the WAL restarted " << restarts << " times in " << kRows << " writes";
  // Every row is still there (read through the pool, as the store does).
  auto r = pool.acquire();
  ASSERT_TRUE(r.ok());
  auto st = sqlite::Statement::prepare(**r, "SELECT count(*) FROM t");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), kRows);
}

TEST(SqliteConnectionPool, OneWriterAtATimeAndReadsNeverWaitForIt) {
  TempDir dir;
  sqlite::ConnectionPool pool(dir.file("pool.db"), 5000, 2);
  auto w = pool.acquire_writer();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);", "setup").ok());
  sqlite::Connection* writer = &**w;
  // While the writer is lent, a read gets a reader connection at once.
  {
    auto r = pool.acquire_for_read();
    ASSERT_TRUE(r.ok());
    EXPECT_NE(&**r, writer);
  }
  // A second writer waits until the first is given back.
  std::atomic<bool> second_has_it{false};
  std::thread t([&] {
    auto w2 = pool.acquire_writer();
    ASSERT_TRUE(w2.ok());
    second_has_it = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_has_it.load());
  { auto given_back = std::move(w).value(); }
  t.join();
  EXPECT_TRUE(second_has_it.load());
  // An idle writer serves reads (its page cache is current).
  auto r = pool.acquire_for_read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(&**r, writer);
  auto st = sqlite::Statement::prepare(**r, "SELECT x FROM t");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), 7);
}

// --- the per-connection statement cache (sqlite_db.h) ---

std::unique_ptr<sqlite::Connection> open_connection(const std::string& path) {
  auto c = sqlite::Connection::open(path, 5000);
  EXPECT_TRUE(c.ok());
  return c.ok() ? std::move(c).value() : nullptr;
}

TEST(SqliteStatementCache, ReusesAStatementAndGivesANestedUseItsOwn) {
  TempDir dir;
  auto conn = open_connection(dir.file("cache.db"));
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);", "setup").ok());
  constexpr std::string_view kSql = "SELECT x FROM t ORDER BY x";
  {
    auto outer = sqlite::Statement::prepare(*conn, kSql);
    ASSERT_TRUE(outer.ok());
    EXPECT_TRUE(outer->cached());
    ASSERT_TRUE(*outer->step());
    EXPECT_EQ(outer->column_int(0), 1);
    {
      // The cached statement is lent out: the nested use gets a fresh one
      // and does not disturb the outer cursor.
      auto inner = sqlite::Statement::prepare(*conn, kSql);
      ASSERT_TRUE(inner.ok());
      EXPECT_FALSE(inner->cached());
      ASSERT_TRUE(*inner->step());
      EXPECT_EQ(inner->column_int(0), 1);
    }
    ASSERT_TRUE(*outer->step());
    EXPECT_EQ(outer->column_int(0), 2);
  }
  EXPECT_EQ(conn->statements().size(), 1u);
  // Given back reset: the next use starts from the first row again.
  auto again = sqlite::Statement::prepare(*conn, kSql);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cached());
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->column_int(0), 1);
}

TEST(SqliteStatementCache, ClearsBindingsAndEndsTheReadWhenGivenBack) {
  TempDir dir;
  std::string path = dir.file("cache.db");
  auto reader = open_connection(path);
  auto writer = open_connection(path);
  ASSERT_TRUE(reader && writer);
  ASSERT_TRUE(writer->exec("CREATE TABLE t (x INTEGER)", "setup").ok());
  {
    auto st = sqlite::Statement::prepare(*reader, "SELECT ?1");
    ASSERT_TRUE(st.ok());
    st->bind(1, int64_t{42});
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->column_int(0), 42);
  }
  {
    auto st = sqlite::Statement::prepare(*reader, "SELECT ?1");
    ASSERT_TRUE(st.ok());
    EXPECT_TRUE(st->cached());
    ASSERT_TRUE(*st->step());
    EXPECT_TRUE(st->column_is_null(0));  // the 42 did not linger
  }
  constexpr std::string_view kCount = "SELECT COUNT(*) FROM t";
  {
    // One step of a one-row query leaves the statement un-done; giving it
    // back must still end its (autocommit) read transaction.
    auto st = sqlite::Statement::prepare(*reader, kCount);
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->column_int(0), 0);
  }
  ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (1)", "insert").ok());
  auto st = sqlite::Statement::prepare(*reader, kCount);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->cached());
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), 1);  // a new snapshot, not the old one
}

TEST(SqliteStatementCache, IsBoundedAndEvictsTheLeastRecentlyUsed) {
  TempDir dir;
  auto conn = open_connection(dir.file("cache.db"));
  ASSERT_TRUE(conn);
  const size_t cap = sqlite::StatementCache::kDefaultCapacity;
  for (size_t i = 0; i < cap + 50; ++i) {
    std::string sql = "SELECT " + std::to_string(i);
    auto st = sqlite::Statement::prepare(*conn, sql);
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(*st->step());
    EXPECT_EQ(st->column_int(0), static_cast<int64_t>(i));
  }
  EXPECT_EQ(conn->statements().size(), cap);
  EXPECT_FALSE(conn->statements().contains("SELECT 0"));
  EXPECT_TRUE(conn->statements().contains("SELECT " + std::to_string(cap + 49)));
}

TEST(SqliteStatementCache, TransactionsStillCommitAndRollBack) {
  TempDir dir;
  std::string path = dir.file("cache.db");
  auto conn = open_connection(path);
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->exec("CREATE TABLE t (x INTEGER)", "setup").ok());
  for (int round = 0; round < 3; ++round) {
    {
      auto tx = sqlite::Transaction::begin(*conn, sqlite::Transaction::Kind::kWrite);
      ASSERT_TRUE(tx.ok());
      auto st = sqlite::Statement::prepare(*conn, "INSERT INTO t VALUES (?1)");
      ASSERT_TRUE(st.ok());
      st->bind(1, int64_t{round});
      ASSERT_TRUE(st->run().ok());
    }  // rolled back
    auto tx = sqlite::Transaction::begin(*conn, sqlite::Transaction::Kind::kWrite);
    ASSERT_TRUE(tx.ok());
    {
      auto st = sqlite::Statement::prepare(*conn, "INSERT INTO t VALUES (?1)");
      ASSERT_TRUE(st.ok());
      st->bind(1, int64_t{100 + round});
      ASSERT_TRUE(st->run().ok());
    }
    ASSERT_TRUE(tx->commit().ok());
  }
  EXPECT_EQ(raw_query(path, "SELECT group_concat(x) FROM t"), "100,101,102");
}

}  // namespace
}  // namespace duet::store::testing
