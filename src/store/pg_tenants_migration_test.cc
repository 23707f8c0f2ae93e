// Schema v14 on PostgreSQL (store/migrations_v13_on.cc), as
// sqlite_tenants_migration_test.cc does it on SQLite: a database a v13 binary
// left behind gets tenants.cert_identity_policy = 'none' for its tenants when
// the store opens it, and the column's CHECK and DEFAULT hold for writers
// other than the store — read and written with the psql CLI as well, not only
// through the store. Needs DUET_TEST_PG_DSN (scripts/pg-test-server).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "core/quota_order.h"
#include "store/ids.h"
#include "store/pg_db.h"
#include "store/pg_schema.h"
#include "store/pg_store.h"

namespace duet::store {
namespace {

std::string test_dsn() {
  const char* dsn = std::getenv("DUET_TEST_PG_DSN");
  return dsn ? dsn : "";
}

// Runs psql with `sql` in `schema`; its output (unaligned, tuples only) and
// whether it succeeded.
std::pair<bool, std::string> psql(const std::string& schema, const std::string& sql) {
  std::string cmd = "psql '" + test_dsn() + "' -X -q -v ON_ERROR_STOP=1 -tA -c \"SET search_path TO " + schema +
                    "\" -c \"" + sql + "\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {false, "popen failed"};
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  return {rc == 0, out};
}

TEST(PgStoreMigration, UpgradesAVersion13DatabaseToIdentityPolicyNone) {
  ASSERT_FALSE(test_dsn().empty()) << "DUET_TEST_PG_DSN is not set: start a server with "
                                      "eval \"$(scripts/pg-test-server start DIR)\"";
  const std::string schema = "pgmig_" + new_id("").substr(0, 20);
  struct Drop {
    std::string name;
    ~Drop() {
      auto c = pg::Connection::open(test_dsn(), "");
      if (c.ok()) (void)(*c)->exec("DROP SCHEMA IF EXISTS " + name + " CASCADE", "drop test schema");
    }
  } drop{schema};
  {
    // What a binary that knew versions 1 … 13 left: those migrations, each
    // recorded, and a tenant written then.
    auto admin = pg::Connection::open(test_dsn(), "");
    ASSERT_TRUE(admin.ok()) << admin.error().to_string();
    ASSERT_TRUE((*admin)->exec("CREATE SCHEMA " + schema, "create schema").ok());
    auto c = pg::Connection::open(test_dsn(), schema);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    ASSERT_TRUE((*c)->exec("CREATE TABLE schema_version (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT "
                           "NULL DEFAULT (EXTRACT(EPOCH FROM now())::bigint))",
                           "schema_version")
                    .ok());
    for (const pg::Migration& m : pg::migrations()) {
      if (m.version > 13) break;
      Status st = (*c)->exec(m.sql, "migration");
      ASSERT_TRUE(st.ok()) << "v" << m.version << ": " << st.error().to_string();
      ASSERT_TRUE((*c)->query("INSERT INTO schema_version (version) VALUES ($1)", {m.version}).ok());
    }
    ASSERT_TRUE((*c)->query("INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_old', 'old', "
                            "0, 1)")
                    .ok());
    auto no_column = psql(schema, "SELECT cert_identity_policy FROM tenants");
    EXPECT_FALSE(no_column.first) << "a v13 database has no policy column yet: " << no_column.second;
  }
  {
    PostgresStoreOptions o;
    o.quota_order = core::quota_order_rule();
    o.dsn = test_dsn();
    o.schema = schema;
    o.max_connections = 2;
    auto opened = open_postgres_store(std::move(o));
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    Store& store = **opened;
    EXPECT_EQ(*store.schema_version(), postgres_store_latest_schema_version());
    auto tenant = store.get_tenant("ten_old");
    ASSERT_TRUE(tenant.ok()) << tenant.error().to_string();
    EXPECT_EQ(tenant->cert_identity_policy, "none");
    ASSERT_TRUE(store.set_tenant_cert_identity_policy({}, "ten_old", "gmt0015").ok());
  }
  auto read = psql(schema, "SELECT cert_identity_policy FROM tenants WHERE tenant_id = 'ten_old'");
  ASSERT_TRUE(read.first) << read.second;
  EXPECT_EQ(read.second, "gmt0015\n");
  auto bad = psql(schema, "UPDATE tenants SET cert_identity_policy = 'all' WHERE tenant_id = 'ten_old'");
  EXPECT_FALSE(bad.first) << bad.second;
  EXPECT_NE(bad.second.find("check constraint"), std::string::npos) << bad.second;
  auto made = psql(schema,
                   "INSERT INTO tenants (tenant_id, name, suspended, created_at) VALUES ('ten_new', 'n', 0, 2); "
                   "SELECT cert_identity_policy FROM tenants WHERE tenant_id = 'ten_new'");
  ASSERT_TRUE(made.first) << made.second;
  EXPECT_EQ(made.second, "none\n");
  auto versions = psql(schema, "SELECT count(*) FROM schema_version WHERE version = 14");
  ASSERT_TRUE(versions.first) << versions.second;
  EXPECT_EQ(versions.second, "1\n") << "v14 recorded once";
}

}  // namespace
}  // namespace duet::store
