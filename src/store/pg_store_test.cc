// PostgreSQL-specific behaviour of the backend (the shared contract is in
// store_contract_test.cc): migrations guarded against nodes starting together,
// a schema newer than the binary refused, lost connections replaced, option
// validation, error messages without values. Needs DUET_TEST_PG_DSN (keyword
// form, as scripts/pg-test-server prints it); FAILS without it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "base/result_testing.h"
#include "core/quota_order.h"
#include "store/ids.h"
#include "store/pg_db.h"
#include "store/pg_store.h"

namespace duet::store {

using duet::testing_support::ok_value;
namespace {

std::string test_dsn() {
  const char* dsn = std::getenv("DUET_TEST_PG_DSN");
  return dsn ? dsn : "";
}

// A fresh schema name, dropped by the destructor.
class PgSchema {
 public:
  PgSchema() : name_("pgtest_" + new_id("").substr(0, 20)) {}
  ~PgSchema() {
    if (test_dsn().empty()) return;
    auto conn = pg::Connection::open(test_dsn(), "");
    if (conn.ok()) (void)(*conn)->exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE", "drop test schema");
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(test_dsn().empty()) << "DUET_TEST_PG_DSN is not set: start a server with "
                                        "eval \"$(scripts/pg-test-server start DIR)\" (scripts/test does this)";
  }
  PostgresStoreOptions options(const std::string& extra_dsn = "") {
    PostgresStoreOptions o;
    o.quota_order = core::quota_order_rule();
    o.dsn = test_dsn() + extra_dsn;
    o.schema = schema_.name();
    o.max_connections = 4;
    return o;
  }
  // A direct connection with the test schema on its search_path.
  std::unique_ptr<pg::Connection> admin() {
    auto c = pg::Connection::open(test_dsn(), schema_.name());
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  PgSchema schema_;
};

TEST_F(PgStoreTest, NodesStartingTogetherMigrateOnce) {
  constexpr int kNodes = 6;
  std::latch go(kNodes);
  std::atomic<int> ok{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i)
    nodes.emplace_back([&] {
      go.arrive_and_wait();
      auto s = open_postgres_store(options());
      if (s.ok() && (*s)->schema_version().ok()) ++ok;
      else if (!s.ok()) ADD_FAILURE() << s.error().to_string();
    });
  for (auto& t : nodes) t.join();
  EXPECT_EQ(ok.load(), kNodes);
  auto c = admin();
  ASSERT_TRUE(c);
  auto rows = c->query("SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_version");
  ASSERT_TRUE(rows.ok()) << rows.error().to_string();
  EXPECT_EQ(rows->get_int(0, 0), postgres_store_latest_schema_version()) << "each migration recorded once";
  EXPECT_EQ(rows->get_int(0, 1), postgres_store_latest_schema_version());
  EXPECT_EQ(rows->get_int(0, 2), postgres_store_latest_schema_version());
}

TEST_F(PgStoreTest, ASchemaNewerThanTheBinaryIsRefused) {
  ASSERT_TRUE(open_postgres_store(options()).ok());
  auto c = admin();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->query("INSERT INTO schema_version (version) VALUES ($1)",
                       {postgres_store_latest_schema_version() + 1}).ok());
  auto s = open_postgres_store(options());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(store_error_kind(s.error()), StoreError::kCorrupt);
}

// Ends every session named `app` (as a server restart would) and waits until
// their processes have exited, i.e. closed their sockets (the test server runs
// on this machine). Returns how many there were.
int end_sessions(pg::Connection& c, const std::string& app) {
  auto pids = c.query("SELECT pid::bigint FROM pg_stat_activity WHERE application_name = $1", {app});
  EXPECT_TRUE(pids.ok()) << pids.error().to_string();
  if (!pids.ok()) return 0;
  for (int i = 0; i < pids->size(); ++i)
    EXPECT_TRUE(c.query("SELECT pg_terminate_backend($1::int)", {pids->get_int(i, 0)}).ok());
  for (int i = 0; i < pids->size(); ++i) {
    const std::string status = "/proc/" + std::to_string(pids->get_int(i, 0)) + "/status";
    for (int tries = 0; tries < 500; ++tries) {
      std::ifstream in(status);
      std::string line;
      bool running = false;
      while (std::getline(in, line))
        if (line.rfind("State:", 0) == 0) running = line.find('Z') == std::string::npos;
      if (!running) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return pids->size();
}

TEST_F(PgStoreTest, LostConnectionsAreReplaced) {
  const std::string app = "duet_pgtest_" + new_id("").substr(0, 8);
  auto s = open_postgres_store(options(" application_name=" + app));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  Store& store = **s;
  Tenant t;
  t.tenant_id = new_id("ten_");
  t.name = "before";
  ASSERT_TRUE(store.create_tenant({}, t).ok());
  ASSERT_TRUE(store.get_tenant(t.tenant_id).ok());
  // The server ends every connection of this store (a failover, a restart).
  auto c = admin();
  ASSERT_TRUE(c);
  EXPECT_GE(end_sessions(*c, app), 1);
  // The pool finds the ended sessions before lending them (nothing is sent on
  // them), so a single-statement write runs on a new connection.
  Tenant t2 = t;
  t2.tenant_id = new_id("ten_");
  Status created = store.create_tenant({}, t2);
  EXPECT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_TRUE(store.get_tenant(t.tenant_id).ok());
  EXPECT_TRUE(store.set_tenant_suspended({}, t2.tenant_id, true, 0).ok());
  EXPECT_TRUE(ok_value(store.get_tenant(t2.tenant_id)).suspended);

  // Again, now for a transaction (and for a read).
  EXPECT_GE(end_sessions(*c, app), 1);
  App a;
  a.tenant_id = t.tenant_id;
  a.app_id = new_id("app_");
  a.secret_ciphertext = Bytes{1};
  a.created_at = 1;
  Holder h;
  h.tenant_id = t.tenant_id;
  h.holder_id = new_id("hld_");
  h.lookup_hash = Bytes{7};
  Status holder = store.create_holder({}, h);  // a write transaction (metering)
  EXPECT_TRUE(holder.ok()) << holder.error().to_string();
  EXPECT_TRUE(store.create_app({}, a).ok());
  // Killed without waiting: a read runs again even on a connection lost without notice.
  ASSERT_TRUE(c->query("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                       {app}).ok());
  EXPECT_TRUE(store.get_app(t.tenant_id, a.app_id).ok());
}

// BEGIN is deferred to the transaction's first statement and COMMIT may go
// with its last (pg_db.h): one round trip each fewer, same outcomes.
TEST_F(PgStoreTest, BeginAndCommitTravelWithStatements) {
  auto c = admin();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->exec("CREATE SCHEMA " + schema_.name(), "create schema").ok());
  ASSERT_TRUE(c->exec("CREATE TABLE pipe_t (k int PRIMARY KEY, v int NOT NULL)", "create").ok());

  // BEGIN + first statement: one round trip; plain COMMIT: one more.
  uint64_t r0 = pg::round_trips();
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kWrite);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(pg::round_trips(), r0);  // nothing sent yet
    ASSERT_TRUE(c->query("INSERT INTO pipe_t (k, v) VALUES ($1, $2)", {1, 10}).ok());
    EXPECT_EQ(pg::round_trips(), r0 + 1);
    ASSERT_TRUE(tx->commit().ok());
    EXPECT_EQ(pg::round_trips(), r0 + 2);
  }
  // A transaction that sends nothing costs nothing.
  r0 = pg::round_trips();
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kRead);
    ASSERT_TRUE(tx.ok());
    EXPECT_TRUE(tx->commit().ok());
  }
  { auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kWrite); }
  EXPECT_EQ(pg::round_trips(), r0);

  // Statement + COMMIT in one round trip; commit() reports the COMMIT.
  r0 = pg::round_trips();
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kWrite);
    ASSERT_OK(tx);
    ASSERT_TRUE(c->query("UPDATE pipe_t SET v = v + 1 WHERE k = $1", {1}).ok());
    c->commit_with_next();
    auto last = c->query("INSERT INTO pipe_t (k, v) VALUES ($1, $2)", {2, 20});
    ASSERT_TRUE(last.ok()) << last.error().to_string();
    EXPECT_EQ(last->affected(), 1);
    EXPECT_TRUE(tx->commit().ok());
  }
  EXPECT_EQ(pg::round_trips(), r0 + 2);
  auto v = c->query("SELECT v FROM pipe_t WHERE k = $1", {1});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->get_int(0, 0), 11);
  EXPECT_EQ(ok_value(c->query("SELECT 1 FROM pipe_t WHERE k = $1", {2})).size(), 1);

  // A last statement that fails: the COMMIT is skipped, everything rolls
  // back, the statement's own error is reported.
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kWrite);
    ASSERT_TRUE(c->query("UPDATE pipe_t SET v = 99 WHERE k = $1", {1}).ok());
    c->commit_with_next();
    auto dup = c->query("INSERT INTO pipe_t (k, v) VALUES ($1, $2)", {2, 0});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(store_error_kind(dup.error()), StoreError::kDuplicate);
    EXPECT_EQ(c->last_constraint(), "pipe_t_pkey");
  }
  EXPECT_EQ(ok_value(c->query("SELECT v FROM pipe_t WHERE k = $1", {1})).get_int(0, 0), 11);
  // ... also when it is the transaction's only statement (BEGIN, statement
  // and COMMIT in one pipeline).
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kWrite);
    c->commit_with_next();
    EXPECT_FALSE(c->query("INSERT INTO pipe_t (k, v) VALUES ($1, NULL)", {3}).ok());
    EXPECT_EQ(c->last_sqlstate(), "23502");
  }
  EXPECT_EQ(ok_value(c->query("SELECT 1 FROM pipe_t WHERE k = $1", {3})).size(), 0);
  // A failed first statement (sent with BEGIN) fails the transaction only.
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kWrite);
    EXPECT_FALSE(c->query("INSERT INTO pipe_t (k, v) VALUES ($1, $2)", {1, 0}).ok());
    EXPECT_FALSE(c->begin_unanswered());
  }
  EXPECT_FALSE(c->broken());
  EXPECT_TRUE(c->query("SELECT 1").ok());
  // A read transaction is one snapshot, read only.
  {
    auto tx = pg::Transaction::begin(*c, pg::Transaction::Kind::kRead);
    auto w = c->query("INSERT INTO pipe_t (k, v) VALUES ($1, $2)", {4, 4});
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(c->last_sqlstate(), "25006");  // read_only_sql_transaction
  }
  ASSERT_TRUE(c->exec("DROP TABLE pipe_t", "drop").ok());
}

// A connection the server ended before the deferred BEGIN was answered: the
// statement reports the BEGIN's failure, nothing can have committed, so the
// store runs the transaction again (PostgresStore::run).
TEST_F(PgStoreTest, ALostDeferredBeginIsReportedAndRunAgain) {
  const std::string app = "duet_pgtest_" + new_id("").substr(0, 8);
  auto victim = pg::Connection::open(test_dsn() + " application_name=" + app, schema_.name());
  ASSERT_TRUE(victim.ok());
  pg::Connection& v = **victim;
  ASSERT_TRUE(v.query("SELECT 1").ok());
  auto c = admin();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->query("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                       {app}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    auto tx = pg::Transaction::begin(v, pg::Transaction::Kind::kWrite);
    ASSERT_TRUE(tx.ok());
    auto r = v.query("SELECT 1");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("begin transaction"), std::string::npos) << r.error().message;
    EXPECT_EQ(store_error_kind(r.error()), StoreError::kUnavailable);
    EXPECT_TRUE(v.begin_unanswered());
    EXPECT_TRUE(v.broken());
    // Nothing else of the transaction runs, and it does not commit.
    EXPECT_FALSE(v.query("SELECT 2").ok());
    EXPECT_FALSE(tx->commit().ok());
  }
  EXPECT_TRUE(v.begin_unanswered());  // still known after the transaction ended

  // Through the store: every pooled connection ended without notice, then a
  // write transaction (create_holder) still succeeds, exactly once.
  auto s = open_postgres_store(options(" application_name=" + app));
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  Tenant t;
  t.tenant_id = new_id("ten_");
  t.name = "t";
  ASSERT_TRUE((*s)->create_tenant({}, t).ok());
  ASSERT_TRUE(c->query("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                       {app}).ok());
  Holder h;
  h.tenant_id = t.tenant_id;
  h.holder_id = new_id("hld_");
  h.lookup_hash = Bytes{7};
  Status created = (*s)->create_holder({}, h);
  EXPECT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_TRUE((*s)->get_holder(t.tenant_id, h.holder_id).ok());
}

TEST_F(PgStoreTest, OptionsAreValidated) {
  PostgresStoreOptions o = options();
  o.dsn.clear();
  EXPECT_EQ(open_postgres_store(o).code(), ErrorCode::kInvalidArgument);
  o = options();
  o.schema = "Bad-Name; DROP";
  EXPECT_EQ(open_postgres_store(o).code(), ErrorCode::kInvalidArgument);
  o = options();
  o.max_connections = 0;
  EXPECT_EQ(open_postgres_store(o).code(), ErrorCode::kInvalidArgument);
  o = options();
  o.dsn = "host=/nonexistent-duet-socket-dir port=1 connect_timeout=2";
  auto s = open_postgres_store(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(store_error_kind(s.error()), StoreError::kUnavailable);
}

TEST_F(PgStoreTest, ErrorsNameNoValues) {
  auto s = open_postgres_store(options());
  ASSERT_TRUE(s.ok());
  Tenant t;
  t.tenant_id = "ten_secret_value_1234";
  t.name = "x";
  ASSERT_TRUE((*s)->create_tenant({}, t).ok());
  Status dup = (*s)->create_tenant({}, t);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(store_error_kind(dup), StoreError::kDuplicate);
  EXPECT_EQ(dup.error().message.find("secret_value"), std::string::npos) << dup.error().message;
}

}  // namespace
}  // namespace duet::store
