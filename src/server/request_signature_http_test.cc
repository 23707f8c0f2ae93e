// Against a real duetd in-process (server::Daemon on 127.0.0.1, port 0,
// SQLite): request-signature v2 (the Idempotency-Key is signed), the
// per-tenant v1 cut-off set over the Admin API and announced by a notice,
// and store errors that reach a client only as fixed texts (issue 10 items
// 10 and 11).
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/business_auth.h"
#include "core/clock.h"
#include "core/request_signing.h"
#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/public_errors.h"
#include "server/test_support.h"

namespace duet::server {
namespace {

using json = nlohmann::json;

using Cred = testing::AppCred;

class SignatureHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("sig");
    DaemonConfig c = testing::loopback_dev_config(dir, 2);
    DaemonOptions o;
    o.clock = &clock;
    auto d = testing::start_daemon(c, std::move(o));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    base = daemon->url();
    admin_token = testing::trim(testing::read_text(daemon->admin_token_path()));
    testing::TenantApps t = testing::create_tenant_apps(
        [this](const std::string& m, const std::string& target, const std::string& b) { return admin(m, target, b); },
        json{{"name", "Sig, Inc."}});
    ASSERT_FALSE(t.sandbox.app_id.empty());
    tenant_id = t.tenant_id;
    cred = t.sandbox;
  }
  void TearDown() override {
    if (daemon) daemon->stop();
    daemon.reset();
    std::filesystem::remove_all(dir);
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body,
                                httpclient::HeaderList headers) {
    return testing::send(client, method, base + target, body, std::move(headers));
  }
  httpclient::HttpResponse admin(const std::string& method, const std::string& target, const std::string& body = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + admin_token}});
  }

  // A Business API request. `signed_key` is what the signature covers,
  // `sent_key` the Idempotency-Key header sent (nullopt: none); v2 false
  // signs v1 and sends no version header.
  httpclient::HttpResponse biz(const std::string& method, const std::string& path, const std::string& body, bool v2,
                               const std::string& signed_key = "",
                               std::optional<std::string> sent_key = std::nullopt) {
    std::string ts = std::to_string(clock.now());
    std::string nonce = "sig-nonce-" + std::to_string(++nonces);
    httpclient::HeaderList h = {{"X-Duet-App-Id", cred.app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", nonce}};
    if (v2) {
      h.emplace_back(std::string(core::kSignatureVersionHeader), "2");
      h.emplace_back("X-Duet-Signature",
                     core::sign_request_v2(cred.secret, {.method = method,
                                                         .path = path,
                                                         .query = "",
                                                         .timestamp = ts,
                                                         .nonce = nonce,
                                                         .idempotency_key = signed_key,
                                                         .body = body}));
    } else {
      h.emplace_back("X-Duet-Signature", core::sign_request(cred.secret, method, path, "", ts, nonce, body));
    }
    if (sent_key) h.emplace_back("Idempotency-Key", *sent_key);
    return call(method, path, body, h);
  }

  static json error_of(const httpclient::HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"] : json();
  }

  std::filesystem::path dir;
  core::ManualClock clock{1'790'000'000};
  std::unique_ptr<Daemon> daemon;
  std::string base, admin_token, tenant_id;
  Cred cred;
  httpclient::HttpClient client;
  int nonces = 0;
};

TEST_F(SignatureHttpTest, V2SignsTheIdempotencyKey) {
  const std::string holder = json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump();
  auto created = biz("POST", "/api/v1/holders", holder, true, "key-1", "key-1");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(biz("GET", "/api/v1/holders", "", true).status, 200);  // no key: an empty line
  EXPECT_EQ(biz("GET", "/api/v1/holders", "", true, "", "").status, 200);  // empty header = absent

  // Someone on the path swaps, adds or drops the key: 401, nothing created.
  const std::string order = json{{"holder_id", "hld_x"}, {"title", "t"}, {"digest_hex", std::string(64, 'a')}}.dump();
  for (auto [signed_key, sent] : {std::pair<std::string, std::optional<std::string>>{"key-2", "key-3"},
                                  {"", "key-3"},
                                  {"key-2", std::nullopt}}) {
    auto r = biz("POST", "/api/v1/orders", order, true, signed_key, sent);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(error_of(r)["code"], "unauthenticated");
    EXPECT_EQ(error_of(r)["message"], "signature does not match");
  }
  // Signed and sent alike, it passes authentication (the handler answers:
  // the holder does not exist, which is 404, not 401).
  EXPECT_EQ(biz("POST", "/api/v1/orders", order, true, "key-2", "key-2").status, 404);

  // A v2 signature sent without the version header is checked as v1: refused.
  std::string ts = std::to_string(clock.now());
  std::string sig = core::sign_request_v2(cred.secret, {.method = "GET", .path = "/api/v1/holders", .query = "",
                                                        .timestamp = ts, .nonce = "sig-downgrade-1",
                                                        .idempotency_key = "", .body = ""});
  auto down = call("GET", "/api/v1/holders", "",
                   {{"X-Duet-App-Id", cred.app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", "sig-downgrade-1"},
                    {"X-Duet-Signature", sig}});
  EXPECT_EQ(down.status, 401) << down.body;
  // An unknown version: 401.
  auto v3 = call("GET", "/api/v1/holders", "",
                 {{"X-Duet-App-Id", cred.app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", "sig-v3-0001"},
                  {"X-Duet-Signature", sig}, {"X-Duet-Signature-Version", "3"}});
  EXPECT_EQ(v3.status, 401) << v3.body;
}

TEST_F(SignatureHttpTest, V1AcceptedUntilTheTenantsCutoffThenRefused) {
  EXPECT_EQ(biz("GET", "/api/v1/holders", "", false).status, 200);
  const std::string route = "/admin/v1/tenants/" + tenant_id + "/signature-v1-cutoff";
  // Validation: the past, a missing field, an unknown tenant.
  EXPECT_EQ(admin("POST", route, json{{"signature_v1_cutoff", clock.now() - 1}}.dump()).status, 400);
  EXPECT_EQ(admin("POST", route, json::object().dump()).status, 400);
  auto unknown = admin("POST", "/admin/v1/tenants/ten_nope/signature-v1-cutoff",
                       json{{"signature_v1_cutoff", clock.now() + 60}}.dump());
  EXPECT_EQ(unknown.status, 404) << unknown.body;

  const int64_t cutoff = clock.now() + 3600;
  auto set = admin("POST", route, json{{"signature_v1_cutoff", cutoff}}.dump());
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["signature_v1_cutoff"], cutoff);
  EXPECT_EQ(json::parse(admin("GET", "/admin/v1/tenants/" + tenant_id).body)["signature_v1_cutoff"], cutoff);

  // The tenant was told: a notice with the date.
  auto notices = biz("GET", "/api/v1/notices", "", true);
  ASSERT_EQ(notices.status, 200) << notices.body;
  json nj = json::parse(notices.body)["notices"];
  ASSERT_EQ(nj.size(), 1u) << notices.body;
  EXPECT_EQ(nj[0]["kind"], "signature_v1_cutoff");
  EXPECT_EQ(nj[0]["effective_at"], cutoff);
  EXPECT_TRUE(nj[0]["package_id"].is_null());

  clock.set(cutoff - 1);
  EXPECT_EQ(biz("GET", "/api/v1/holders", "", false).status, 200);  // the last second of v1
  clock.set(cutoff);
  auto refused = biz("GET", "/api/v1/holders", "", false);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(error_of(refused)["code"], "unauthenticated");
  EXPECT_EQ(error_of(refused)["message"], std::string(core::kSignatureV1RetiredMessage));
  EXPECT_EQ(biz("GET", "/api/v1/holders", "", true).status, 200);  // v2 goes on
}

// A store constraint violation answered over HTTP: the status and code of
// the kind, a fixed message, nothing of SQL, tables or paths. The
// violations are made in the database itself (an extra unique index, a
// refusing trigger), so the test does not depend on which checks core makes
// first.
TEST_F(SignatureHttpTest, StoreErrorsReachTheClientWithoutInternals) {
  const std::string holder = json{{"name", "李四"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump();
  auto h = biz("POST", "/api/v1/holders", holder, true);
  ASSERT_EQ(h.status, 201) << h.body;
  std::string holder_id = json::parse(h.body)["holder_id"];
  const std::string codes = "/api/v1/holders/" + holder_id + "/activation-codes";
  ASSERT_EQ(biz("POST", codes, "", true).status, 201);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "duet.db").string().c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
  };
  // The directory's text lives as long as the lambda: a temporary's c_str() in
  // the braced list would dangle inside the loop (C++20 extends only the list).
  const std::string dir_text = dir.string();
  auto expect_clean = [&](const httpclient::HttpResponse& r) {
    for (std::string_view bad : {"INSERT", "SELECT", "UPDATE", "constraint", "UNIQUE", "activation_codes",
                                 "sign_sessions", "sqlite", "SQLITE", "store/", "duet.db", dir_text.c_str(), "/tmp"})
      EXPECT_EQ(r.body.find(bad), std::string::npos) << bad << " in " << r.body;
  };

  exec("CREATE UNIQUE INDEX test_one_code ON activation_codes (tenant_id, holder_id)");
  auto dup = biz("POST", codes, "", true);
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(error_of(dup)["code"], "conflict");
  EXPECT_EQ(error_of(dup)["message"], std::string(fixed_message(ErrorCode::kConflict)));
  EXPECT_TRUE(error_of(dup)["request_id"].is_string());
  expect_clean(dup);

  exec("DROP INDEX test_one_code");
  exec("CREATE TRIGGER test_refuse BEFORE INSERT ON activation_codes "
       "BEGIN SELECT RAISE(ABORT, 'refused at /var/lib/duet/duet.db'); END");
  auto refused = biz("POST", codes, "", true);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(error_of(refused)["code"], "invalid_argument");
  EXPECT_EQ(error_of(refused)["message"], std::string(fixed_message(ErrorCode::kInvalidArgument)));
  expect_clean(refused);
  sqlite3_close(db);

  // A not-found from the store: the fixed text too.
  auto missing = biz("GET", "/api/v1/holders/hld_missing", "", true);
  EXPECT_EQ(missing.status, 404) << missing.body;
  expect_clean(missing);
}

}  // namespace
}  // namespace duet::server
