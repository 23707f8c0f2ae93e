// The [store] table of the daemon config (server/daemon_config.h): backend choice,
// PostgreSQL DSN and pool size, their environment overrides and validation.
// (duetd on PostgreSQL end to end: tests/pg_duetd_test.sh, label pg.)
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "server/daemon.h"

namespace duet::server {
namespace {

http::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(StoreConfig, DefaultsToSqlite) {
  auto c = parse_daemon_config("", env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->store.backend, "sqlite");
  EXPECT_TRUE(c->store.postgres_dsn.empty());
  EXPECT_EQ(c->store.max_connections, 0);
  EXPECT_TRUE(c->validate().ok());
}

TEST(StoreConfig, PostgresFromTheFile) {
  auto c = parse_daemon_config(
      "[store]\nbackend = \"postgres\"\npostgres_dsn = \"host=/run/pg dbname=duet\"\nmax_connections = 12\n",
      env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->store.backend, "postgres");
  EXPECT_EQ(c->store.postgres_dsn, "host=/run/pg dbname=duet");
  EXPECT_EQ(c->store.max_connections, 12);
  Status v = c->validate();
  EXPECT_TRUE(v.ok()) << v.error().to_string();
}

TEST(StoreConfig, EnvironmentOverridesTheFile) {
  auto c = parse_daemon_config("[store]\nbackend = \"sqlite\"\npostgres_dsn = \"dbname=a\"\n",
                               env_of({{"DUET_STORE_BACKEND", "postgres"}, {"DUET_PG_DSN", "dbname=b"}}));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->store.backend, "postgres");
  EXPECT_EQ(c->store.postgres_dsn, "dbname=b");
  EXPECT_TRUE(c->validate().ok());
}

TEST(StoreConfig, RefusesWhatCannotWork) {
  auto no_dsn = parse_daemon_config("[store]\nbackend = \"postgres\"\n", env_of({}));
  ASSERT_TRUE(no_dsn.ok());
  EXPECT_EQ(no_dsn->validate().code(), ErrorCode::kInvalidArgument);
  auto other = parse_daemon_config("[store]\nbackend = \"mysql\"\n", env_of({}));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->validate().code(), ErrorCode::kInvalidArgument);
  auto big = parse_daemon_config("[store]\nmax_connections = 65\n", env_of({}));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->validate().code(), ErrorCode::kInvalidArgument);
  auto at_limit = parse_daemon_config("[store]\nmax_connections = 64\n", env_of({}));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_TRUE(at_limit->validate().ok());
  EXPECT_EQ(parse_daemon_config("[store]\ndsn = \"x\"\n", env_of({})).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_daemon_config("[store]\nmax_connections = \"8\"\n", env_of({})).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(parse_daemon_config("store = 1\n", env_of({})).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace duet::server
