// Tests specific to the SQLite backend: pragmas, migrations bookkeeping,
// crash safety (a child process dies inside a transaction) and several
// Store objects ("nodes") sharing one file.
#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include "store/ids.h"
#include "store/sqlite_test_util.h"

namespace duet::store::testing {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;

std::unique_ptr<Store> open_at(const std::string& path,
                               std::function<void(std::string_view)> hook = nullptr) {
  SqliteStoreOptions options;
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
  EXPECT_TRUE(store.create_tenant(t).ok());
  App a;
  a.tenant_id = f.tenant_id;
  a.app_id = f.app_id;
  a.secret_ciphertext = Bytes{1};
  EXPECT_TRUE(store.create_app(a).ok());
  Holder h;
  h.tenant_id = f.tenant_id;
  h.holder_id = f.holder_id;
  h.lookup_hash = Bytes{2};
  EXPECT_TRUE(store.create_holder(h).ok());
  f.order.tenant_id = f.tenant_id;
  f.order.order_id = new_id("ord_");
  f.order.app_id = f.app_id;
  f.order.holder_id = f.holder_id;
  f.order.items = {SignItem{Bytes(32, 1), true, {}}};
  f.order.expires_at = kNow + 600;
  f.order.callback_url = "https://biz.example/cb";
  EXPECT_TRUE(store.create_order(f.order).ok());
  f.session.tenant_id = f.tenant_id;
  f.session.session_id = new_id("ses_");
  f.session.order_id = f.order.order_id;
  f.session.holder_id = f.holder_id;
  f.session.r_values = {"ab"};
  EXPECT_TRUE(store.start_sign_session(f.session, 5, kNow).ok());
  return f;
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
  Fixture f;
  {
    auto store = open_at(path);
    f = seed(*store);
  }  // closed before fork: the child opens its own connections
  for (const char* point : {"finish_order:after_order_update", "finish_order:before_callback"}) {
    int code = crash_child_at(path, point, [&](Store& s) {
      (void)s.finish_order(f.tenant_id, f.order.order_id, f.session.session_id, {Bytes{0x30, 0x01}},
                           callback(f), kNow);
    });
    ASSERT_EQ(code, 42) << point;
    auto store = open_at(path);
    auto order = store->get_order(f.tenant_id, f.order.order_id);
    ASSERT_TRUE(order.ok());
    EXPECT_EQ(order->state, OrderState::kSigning) << point;
    EXPECT_TRUE(order->items[0].signature.empty()) << point;
    EXPECT_EQ(store->get_sign_session(f.tenant_id, f.session.session_id)->state, SessionState::kOpen) << point;
    EXPECT_EQ(store->get_holder(f.tenant_id, f.holder_id)->failed_attempts, 1) << point;
    EXPECT_TRUE(store->claim_due_callbacks("w", kNow, 30, 10)->empty()) << point;
  }
  // The survivor can still complete the order.
  auto store = open_at(path);
  EXPECT_TRUE(store->finish_order(f.tenant_id, f.order.order_id, f.session.session_id, {Bytes{0x30, 0x01}},
                                  callback(f), kNow)
                  .ok());
}

TEST(SqliteStore, CrashInsideCreateOrderAndSessionStartLeavesNoTrace) {
  TempDir dir;
  std::string path = dir.file("duet.db");
  Fixture f;
  {
    auto store = open_at(path);
    f = seed(*store);
  }
  SignOrder second = f.order;
  second.order_id = new_id("ord_");
  second.items.push_back(SignItem{Bytes(32, 2), true, {}});
  ASSERT_EQ(crash_child_at(path, "create_order:after_order_insert",
                           [&](Store& s) { (void)s.create_order(second); }),
            42);
  SignSession again = f.session;
  again.session_id = new_id("ses_");
  ASSERT_EQ(crash_child_at(path, "start_sign_session:after_attempt_counted",
                           [&](Store& s) { (void)s.start_sign_session(again, 5, kNow); }),
            42);
  auto store = open_at(path);
  EXPECT_EQ(store_error_kind(store->get_order(f.tenant_id, second.order_id)), StoreError::kNotFound);
  EXPECT_EQ(raw_query(path, "SELECT COUNT(*) FROM sign_order_items"), "1");
  EXPECT_EQ(store_error_kind(store->get_sign_session(f.tenant_id, again.session_id)), StoreError::kNotFound);
  EXPECT_EQ(store->get_holder(f.tenant_id, f.holder_id)->failed_attempts, 1);
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
    ASSERT_TRUE(node_b->start_sign_session(other, 5, kNow).ok());
    std::atomic<int> wins{0}, conflicts{0};
    std::latch go(2);
    auto finish = [&](Store& node, const SignSession& s) {
      go.arrive_and_wait();
      Status r = node.finish_order(f.tenant_id, f.order.order_id, s.session_id, {Bytes{0x30}}, callback(f), kNow);
      if (r.ok()) ++wins;
      else if (store_error_kind(r) == StoreError::kConflict) ++conflicts;
    };
    std::thread ta(finish, std::ref(*node_a), f.session);
    std::thread tb(finish, std::ref(*node_b), other);
    ta.join();
    tb.join();
    EXPECT_EQ(wins.load(), 1);
    EXPECT_EQ(conflicts.load(), 1);
    EXPECT_EQ(node_b->get_order(f.tenant_id, f.order.order_id)->state, OrderState::kSigned);
  }
  EXPECT_EQ(node_a->claim_due_callbacks("w", kNow, 30, 100)->size(), 5u);
}

}  // namespace
}  // namespace duet::store::testing
