// Audit and operator roles against a real in-process duetd (real SQLite file,
// HTTPS on loopback): every request becomes an event; roles and separation of
// duties on EVERY admin route; operator tokens; fail-closed writes when the
// audit table refuses inserts; tenant listing; no secrets or personal data in
// the log. The tampering tests on a real data directory are in
// tests/audit_tamper_test.sh.
#include <sqlite3.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/audit_chain.h"
#include "core/audit_witness.h"
#include "core/request_signing.h"
#include "crypto/sm2_evp.h"
#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"
#include "store/audit_snapshot.h"

namespace duet::server {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class AuditServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("audit");
    DaemonConfig c = testing::loopback_dev_config(dir, 4);
    c.audit.checkpoint_events = 5;
    c.audit.checkpoint_seconds = 1;
    auto d = testing::start_daemon(c);
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    base = daemon->url();
    op_token = testing::trim(testing::read_text(dir / "admin.token"));
    so_token = testing::trim(testing::read_text(dir / "security-officer.token"));
    auditor_token = testing::trim(testing::read_text(dir / "auditor.token"));
  }
  void TearDown() override {
    if (daemon) daemon->stop();
    daemon.reset();
    std::filesystem::remove_all(dir);
    std::filesystem::remove(witness_path());
  }
  // [audit] witness_file's default: beside the data directory.
  std::filesystem::path witness_path() const { return dir.string() + ".audit-witness.jsonl"; }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& token,
                                const std::string& body = "", httpclient::HeaderList headers = {}) {
    httpclient::HttpRequest req;
    req.method = method;
    req.url = base + target;
    req.body = body;
    req.headers = std::move(headers);
    req.insecure = true;
    if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
    return testing::send(client, std::move(req));
  }
  static std::string code(const httpclient::HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("error")) return "<none>";
    return j["error"]["code"].get<std::string>();
  }
  // Every event, through the API (auditor), once the background writer has
  // written those of read-only and refused requests: each request's event is
  // queued before its response is sent, so flushing the recorder now makes
  // the events of every request answered so far visible (no fixed sleep).
  std::vector<json> events(const std::string& query = "") {
    Status flushed = daemon->flush_audit_events();
    EXPECT_TRUE(flushed.ok()) << flushed.error().to_string();
    std::vector<json> out;
    int64_t after = 0;
    for (;;) {
      auto r = call("GET", "/admin/v1/audit/events?limit=1000&after_seq=" + std::to_string(after) + query,
                    auditor_token);
      EXPECT_EQ(r.status, 200) << r.body;
      json j = json::parse(r.body);
      for (auto& e : j["events"]) out.push_back(e);
      if (j["next_after_seq"].is_null()) break;
      after = j["next_after_seq"].get<int64_t>();
    }
    return out;
  }
  std::string create_tenant(const std::string& name) {
    auto r = call("POST", "/admin/v1/tenants", op_token, json{{"name", name}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["tenant_id"].get<std::string>();
  }
  std::string db_path() const { return (dir / "duet.db").string(); }
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }
  int64_t count(const std::string& table) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, ("SELECT COUNT(*) FROM " + table).c_str(), -1, &st, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }

  std::filesystem::path dir;
  std::unique_ptr<Daemon> daemon;
  std::string base, op_token, so_token, auditor_token;
  httpclient::HttpClient client;
};

TEST_F(AuditServerTest, RoleTokensAreWrittenPrivateAtFirstStart) {
  for (const char* f : {"admin.token", "security-officer.token", "auditor.token"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir / f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  EXPECT_NE(op_token, so_token);
  EXPECT_NE(so_token, auditor_token);
  auto ops = call("GET", "/admin/v1/operators", so_token);
  ASSERT_EQ(ops.status, 200) << ops.body;
  json j = json::parse(ops.body);
  std::map<std::string, std::string> roles;
  for (auto& o : j["operators"]) roles[o["name"]] = o["role"];
  EXPECT_EQ(roles["bootstrap"], "operator");
  EXPECT_EQ(roles["security-officer"], "security_officer");
  EXPECT_EQ(roles["auditor"], "auditor");
}

TEST_F(AuditServerTest, AuditorIsRefusedOnEveryNonAuditAdminRouteAndChangesNothing) {
  std::string t = create_tenant("Acme");
  int64_t tenants_before = count("tenants");
  int checked = 0, officer_only = 0;
  for (const auto& route : daemon->routes()) {
    if (route.pattern.rfind("/admin/v1/", 0) != 0) continue;
    if (route.pattern.rfind("/admin/v1/audit/", 0) == 0) {
      EXPECT_EQ(call(route.method, route.pattern, op_token).status, 403) << "operator on " << route.pattern;
      auto r = call(route.method, route.pattern, auditor_token, route.method == "GET" ? "" : "{}");
      if (route.method == "GET") {  // a read; an unknown id is a 404 after the role check
        EXPECT_EQ(r.status, route.pattern.find('{') == std::string::npos ? 200 : 404) << route.pattern;
      } else if (route.pattern.ends_with("/approve") || route.pattern.ends_with("/refuse")) {
        // A disclosure's decision is the security officer's (four eyes).
        EXPECT_EQ(r.status, 403) << route.pattern;
        ++officer_only;
      } else {
        // The auditor's own steps of a disclosure (request, run): admitted by
        // role, then refused for what the empty request lacks.
        EXPECT_NE(r.status, 403) << route.pattern << ": " << r.body;
      }
      continue;
    }
    if (route.pattern == "/admin/v1/me") {  // every role may read its own name and role (the console)
      EXPECT_EQ(call(route.method, route.pattern, auditor_token).status, 200);
      continue;
    }
    std::string path = route.pattern;
    for (size_t a; (a = path.find('{')) != std::string::npos;) {
      size_t b = path.find('}', a);
      std::string param = path.substr(a + 1, b - a - 1);
      path.replace(a, b - a + 1, param == "tenant_id" ? t : "x");
    }
    auto r = call(route.method, path, auditor_token, route.method == "GET" || route.method == "DELETE" ? "" : "{}");
    EXPECT_EQ(r.status, 403) << route.method << " " << route.pattern << ": " << r.body;
    EXPECT_EQ(code(r), "forbidden") << route.pattern;
    ++checked;
  }
  EXPECT_GE(checked, 12);
  EXPECT_EQ(count("tenants"), tenants_before);
  // Each refusal is itself an audit event.
  int forbidden = 0;
  for (auto& e : events())
    if (e["actor_id"] == "auditor" && e["outcome"] == "forbidden") ++forbidden;
  EXPECT_EQ(officer_only, 2);
  EXPECT_EQ(forbidden, checked + officer_only);
}

TEST_F(AuditServerTest, SeparationOfDuties) {
  // The operator runs tenants but cannot read the log or manage operators.
  EXPECT_EQ(call("GET", "/admin/v1/audit/events", op_token).status, 403);
  EXPECT_EQ(call("GET", "/admin/v1/audit/checkpoints", op_token).status, 403);
  EXPECT_EQ(call("GET", "/admin/v1/operators", op_token).status, 403);
  EXPECT_EQ(call("POST", "/admin/v1/operators", op_token, R"({"name":"x","role":"operator"})").status, 403);
  // The security officer manages operators and reads the log, but runs no tenants.
  EXPECT_EQ(call("POST", "/admin/v1/tenants", so_token, R"({"name":"x"})").status, 403);
  EXPECT_EQ(call("GET", "/admin/v1/tenants", so_token).status, 403);
  EXPECT_EQ(call("GET", "/admin/v1/audit/events", so_token).status, 200);
  EXPECT_EQ(call("GET", "/admin/v1/tenants", op_token).status, 200);
}

TEST_F(AuditServerTest, OperatorTokensAreCreatedShownOnceAndRevoked) {
  auto c = call("POST", "/admin/v1/operators", so_token, R"({"name":"eve","role":"auditor"})");
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(std::string(c.header("Cache-Control").value_or("")), "no-store");
  std::string eve = json::parse(c.body)["token"];
  EXPECT_EQ(call("GET", "/admin/v1/audit/events", eve).status, 200);
  EXPECT_EQ(call("POST", "/admin/v1/operators", so_token, R"({"name":"eve","role":"operator"})").status, 409);
  EXPECT_EQ(call("POST", "/admin/v1/operators", so_token, R"({"name":"bad name","role":"operator"})").status, 400);
  EXPECT_EQ(call("POST", "/admin/v1/operators", so_token, R"({"name":"z","role":"root"})").status, 400);
  auto list = call("GET", "/admin/v1/operators", so_token);
  EXPECT_EQ(list.body.find(eve), std::string::npos);  // shown once
  EXPECT_EQ(call("DELETE", "/admin/v1/operators/security-officer", so_token).status, 409);  // not oneself
  EXPECT_EQ(call("DELETE", "/admin/v1/operators/eve", so_token).status, 204);
  EXPECT_EQ(call("GET", "/admin/v1/audit/events", eve).status, 401);
  EXPECT_EQ(call("DELETE", "/admin/v1/operators/eve", so_token).status, 404);
  // Every operator action is in the log with its actor and outcome; the token is not.
  bool created = false, revoked = false;
  for (auto& e : events()) {
    EXPECT_EQ(e.dump().find(eve), std::string::npos);
    if (e["action"] == "POST /admin/v1/operators" && e["outcome"] == "ok" && e["actor_id"] == "security-officer")
      created = true;
    if (e["action"] == "DELETE /admin/v1/operators/{name}" && e["outcome"] == "ok" && e["target"] == "name:eve")
      revoked = true;
  }
  EXPECT_TRUE(created);
  EXPECT_TRUE(revoked);
}

TEST_F(AuditServerTest, EveryRequestIsAnEventWithActorOutcomeAddressAndRequestId) {
  std::string t = create_tenant("Acme");
  auto list = call("GET", "/admin/v1/tenants", op_token);
  std::string list_rid(list.header("X-Request-Id").value_or(""));
  auto bad = call("GET", "/admin/v1/tenants", "adm_wrong");
  EXPECT_EQ(bad.status, 401);
  auto missing = call("GET", "/admin/v1/tenants/ten_nope", op_token);
  EXPECT_EQ(missing.status, 404);
  bool saw_create = false, saw_list = false, saw_401 = false, saw_404 = false;
  for (auto& e : events()) {
    if (e["action"] == "POST /admin/v1/tenants" && e["outcome"] == "ok") {
      saw_create = true;
      EXPECT_EQ(e["actor_type"], "operator");
      EXPECT_EQ(e["actor_id"], "bootstrap");
      EXPECT_EQ(e["address"], "127.0.0.1");
      EXPECT_EQ(e["details"], "");  // the write carried it: one event only
      EXPECT_EQ(e["target"], "tenant_id:" + t);  // the created tenant is named
    }
    if (e["action"] == "GET /admin/v1/tenants" && e["request_id"] == list_rid) {
      saw_list = true;
      EXPECT_EQ(e["outcome"], "ok");
    }
    if (e["action"] == "GET /admin/v1/tenants" && e["outcome"] == "unauthenticated") {
      saw_401 = true;
      EXPECT_EQ(e["actor_type"], "anonymous");
    }
    if (e["action"] == "GET /admin/v1/tenants/{tenant_id}" && e["outcome"] == "not_found") {
      saw_404 = true;
      EXPECT_EQ(e["target"], "tenant_id:ten_nope");
      EXPECT_EQ(e["tenant_id"], "ten_nope");
    }
  }
  EXPECT_TRUE(saw_create && saw_list && saw_401 && saw_404);
}

// Issue 12 item 3: the tenant's hybrid-previews switch is off by default, set
// through the Admin API (a boolean only), shown in the tenant's view, and
// audited like the tenant's other changes.
TEST_F(AuditServerTest, HybridPreviewsSwitchIsSetShownAndAudited) {
  std::string t = create_tenant("Acme hybrid");
  auto shown = [&] { return json::parse(call("GET", "/admin/v1/tenants/" + t, op_token).body)["hybrid_previews"]; };
  EXPECT_EQ(shown(), false);
  auto set = call("POST", "/admin/v1/tenants/" + t + "/hybrid-previews", op_token, json{{"enabled", true}}.dump());
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["hybrid_previews"], true);
  EXPECT_EQ(shown(), true);
  EXPECT_EQ(call("POST", "/admin/v1/tenants/" + t + "/hybrid-previews", op_token, json{{"enabled", "no"}}.dump()).status,
            400);
  EXPECT_EQ(shown(), true);
  EXPECT_EQ(call("POST", "/admin/v1/tenants/ten_nope/hybrid-previews", op_token, json{{"enabled", true}}.dump()).status,
            404);
  size_t ok = 0;
  for (auto& e : events()) {
    if (e["action"] != "POST /admin/v1/tenants/{tenant_id}/hybrid-previews" || e["outcome"] != "ok") continue;
    ++ok;
    EXPECT_EQ(e["actor_type"], "operator");
    EXPECT_EQ(e["target"], "tenant_id:" + t);
  }
  EXPECT_EQ(ok, 1u);
}

// Issue 12: the tenant's certificate identity policy is set through the Admin
// API, shown in the tenant's view, and audited like the tenant's other changes.
TEST_F(AuditServerTest, CertIdentityPolicyIsSetShownAndAudited) {
  std::string t = create_tenant("Acme");
  EXPECT_EQ(json::parse(call("GET", "/admin/v1/tenants/" + t, op_token).body)["cert_identity_policy"], "none");
  auto set = call("POST", "/admin/v1/tenants/" + t + "/cert-identity-policy", op_token,
                  json{{"cert_identity_policy", "gmt0015"}}.dump());
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["cert_identity_policy"], "gmt0015");
  EXPECT_EQ(json::parse(call("GET", "/admin/v1/tenants/" + t, op_token).body)["cert_identity_policy"], "gmt0015");
  auto bad = call("POST", "/admin/v1/tenants/" + t + "/cert-identity-policy", op_token,
                  json{{"cert_identity_policy", "all"}}.dump());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json::parse(call("GET", "/admin/v1/tenants/" + t, op_token).body)["cert_identity_policy"], "gmt0015");
  EXPECT_EQ(call("POST", "/admin/v1/tenants/ten_nope/cert-identity-policy", op_token,
                 json{{"cert_identity_policy", "none"}}.dump()).status, 404);
  size_t ok = 0, refused = 0;
  for (auto& e : events()) {
    if (e["action"] != "POST /admin/v1/tenants/{tenant_id}/cert-identity-policy") continue;
    if (e["outcome"] == "ok") {
      ++ok;
      EXPECT_EQ(e["actor_type"], "operator");
      EXPECT_EQ(e["target"], "tenant_id:" + t);
    } else {
      ++refused;
    }
  }
  EXPECT_EQ(ok, 1u);
  EXPECT_EQ(refused, 2u);
}

TEST_F(AuditServerTest, AWriteWhoseAuditEventCannotBeWrittenIsNotCarriedOut) {
  create_tenant("Before");
  int64_t tenants = count("tenants");
  sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit refused'); END;");
  // Counted once no event can be added any more (background sweeps and the
  // batch writer append on their own schedule).
  int64_t events_before = count("audit_events");
  auto r = call("POST", "/admin/v1/tenants", op_token, R"({"name":"Never"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(code(r), "unavailable");
  auto s = call("POST", "/admin/v1/operators", so_token, R"({"name":"never","role":"operator"})");
  EXPECT_EQ(s.status, 503) << s.body;
  EXPECT_EQ(count("tenants"), tenants);
  EXPECT_EQ(count("admin_tokens"), 3);
  EXPECT_EQ(count("audit_events"), events_before);
  sql("DROP TRIGGER refuse_audit;");
  EXPECT_EQ(call("POST", "/admin/v1/tenants", op_token, R"({"name":"After"})").status, 201);
  EXPECT_EQ(count("tenants"), tenants + 1);
}

TEST_F(AuditServerTest, TenantListingAndNoSecretsOrPersonalDataInTheLog) {
  std::string a = create_tenant("Tenant A");
  std::string b = create_tenant("Tenant B");
  auto app = call("POST", "/admin/v1/tenants/" + a + "/apps", op_token);
  ASSERT_EQ(app.status, 201);
  json cred = json::parse(app.body)["sandbox"];
  std::string app_id = cred["app_id"], secret = cred["secret"];
  EXPECT_EQ(call("POST", "/admin/v1/tenants/" + b + "/apps", op_token).status, 201);
  // A holder with personal data, through the signed Business API.
  std::string body = json{{"name", "张三丰"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump();
  std::string ts = std::to_string(std::time(nullptr)), nonce = "nonce-audit-1";
  std::string sig = core::sign_request(secret, "POST", "/api/v1/holders", "", ts, nonce, body);
  auto h = call("POST", "/api/v1/holders", "", body,
                {{"X-Duet-App-Id", app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", nonce}, {"X-Duet-Signature", sig}});
  ASSERT_EQ(h.status, 201) << h.body;
  // A replay is refused and audited as the claimed app, anonymous.
  auto replay = call("POST", "/api/v1/holders", "", body,
                     {{"X-Duet-App-Id", app_id}, {"X-Duet-Timestamp", ts}, {"X-Duet-Nonce", nonce}, {"X-Duet-Signature", sig}});
  EXPECT_EQ(replay.status, 401);

  auto all = events();
  bool holder_event = false;
  for (auto& e : all) {
    std::string text = e.dump();
    for (const std::string& s : {secret, op_token, so_token, auditor_token, std::string("110101199003071234"),
                                 std::string("13812345678"), std::string("张三丰"), std::string(nonce), sig})
      EXPECT_EQ(text.find(s), std::string::npos) << "leaked into " << text;
    if (e["action"] == "POST /api/v1/holders" && e["outcome"] == "ok") {
      holder_event = true;
      EXPECT_EQ(e["actor_type"], "app");
      EXPECT_EQ(e["actor_id"], app_id);
      EXPECT_EQ(e["tenant_id"], a);
    }
  }
  EXPECT_TRUE(holder_event);
  // The raw table too (the whole file, WAL included, is the privacy helper's test).
  store::AuditSnapshot snap = *store::read_sqlite_audit_snapshot(db_path());
  for (const auto& e : snap.events)
    for (const std::string* f : {&e.actor_id, &e.target, &e.details, &e.action})
      EXPECT_EQ(f->find("1381234"), std::string::npos);

  // A tenant's events go out only through an approved disclosure (§4.4).
  EXPECT_EQ(call("GET", "/admin/v1/audit/events?tenant=" + a, auditor_token).status, 403);
  EXPECT_EQ(call("GET", "/admin/v1/audit/events?tenant=" + a, so_token).status, 403);
  auto request = [&](int64_t from, int64_t to) {
    auto r = call("POST", "/admin/v1/audit/disclosures", auditor_token,
                  json{{"tenant_id", a}, {"from", from}, {"to", to}, {"purpose", "order 17"}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["disclosure_id"].get<std::string>();
  };
  std::string all_time = request(0, 9999999999), none_time = request(0, 1);
  auto run = [&](const std::string& id) { return call("POST", "/admin/v1/audit/disclosures/" + id + "/run", auditor_token); };
  auto refused = run(all_time);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("not approved by a security officer"), std::string::npos) << refused.body;
  EXPECT_EQ(call("POST", "/admin/v1/audit/disclosures/" + all_time + "/approve", auditor_token).status, 403);
  EXPECT_EQ(call("POST", "/admin/v1/audit/disclosures/" + all_time + "/approve", op_token).status, 403);
  for (const std::string& id : {all_time, none_time})
    EXPECT_EQ(call("POST", "/admin/v1/audit/disclosures/" + id + "/approve", so_token).status, 200);
  auto ran = run(all_time);
  ASSERT_EQ(ran.status, 200) << ran.body;
  json mine = json::parse(ran.body);
  EXPECT_EQ(mine["disclosure"]["state"], "run");
  ASSERT_FALSE(mine["events"].empty());
  for (auto& e : mine["events"]) EXPECT_EQ(e["tenant_id"], a);
  EXPECT_EQ(run(all_time).status, 409) << "once";
  auto none = run(none_time);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(json::parse(none.body)["events"].empty());
  // Each step is an event of its caller, refusals included.
  int requested = 0, approved = 0, ran_ok = 0, run_refused = 0;
  for (auto& e : events()) {
    if (e["action"] == "POST /admin/v1/audit/disclosures" && e["outcome"] == "ok") ++requested;
    if (e["action"] == "POST /admin/v1/audit/disclosures/{disclosure_id}/approve" && e["outcome"] == "ok") {
      ++approved;
      EXPECT_EQ(e["actor_id"], "security-officer");
    }
    if (e["action"] == "POST /admin/v1/audit/disclosures/{disclosure_id}/run") {
      if (e["outcome"] == "ok") ++ran_ok;
      else ++run_refused;
    }
  }
  EXPECT_EQ(requested, 2);
  EXPECT_EQ(approved, 2);
  EXPECT_EQ(ran_ok, 2);
  EXPECT_EQ(run_refused, 2);
}

TEST_F(AuditServerTest, CheckpointsAreSignedAndTheLiveChainVerifies) {
  for (int i = 0; i < 6; ++i) create_tenant("T" + std::to_string(i));
  // [audit] checkpoint_events = 5: the worker signs within its poll.
  json j;
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    j = json::parse(call("GET", "/admin/v1/audit/checkpoints", auditor_token).body);
    if (!j["checkpoints"].empty()) break;
  }
  ASSERT_FALSE(j["checkpoints"].empty()) << j.dump();
  ASSERT_EQ(j["keys"].size(), 1u);
  // The witness the route reports holds what the store holds (each checkpoint
  // is appended after its commit, so it may lag by the newest one).
  EXPECT_EQ(j["checkpoint_seconds"], 1);
  ASSERT_TRUE(j["witness"].is_object()) << j.dump();
  EXPECT_EQ(j["witness"]["keys"], j["keys"]);
  ASSERT_FALSE(j["witness"]["checkpoints"].empty());
  EXPECT_EQ(j["witness"]["checkpoints"][0], j["checkpoints"][0]);
  EXPECT_FALSE(j["checkpoints"][0]["prev_hash"].get<std::string>().empty());  // chained (v2)
  daemon->stop();  // final checkpoint of the head
  store::AuditSnapshot snap = *store::read_sqlite_audit_snapshot(db_path());
  core::AuditVerifyInput in;
  in.events = snap.events;
  in.checkpoints = snap.checkpoints;
  for (const auto& k : snap.keys) in.keys.emplace(k.key_id, *crypto::public_key_from_spki(k.public_key_der));
  in.head = snap.head;
  auto witness = core::parse_audit_witness(testing::read_text(witness_path()));
  ASSERT_TRUE(witness.ok()) << witness.error().to_string();
  ASSERT_EQ(witness->checkpoints.size(), snap.checkpoints.size());  // the shutdown checkpoint too
  in.witness = *witness;
  auto r = core::verify_audit_chain(in);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.last_seq, snap.head.seq);
  EXPECT_EQ(r.last_checkpoint_seq, snap.head.seq);  // signed at shutdown
  EXPECT_GE(r.checkpoints, 2);
  // The newest checkpoint and its events cut from the store: the witness shows it.
  const int64_t kept = snap.checkpoints[snap.checkpoints.size() - 2].seq;
  while (in.events.back().seq > kept) in.events.pop_back();
  in.checkpoints.pop_back();
  in.head.reset();
  auto cut = core::verify_audit_chain(in);
  EXPECT_FALSE(cut.ok);
  EXPECT_EQ(cut.damage, core::AuditDamage::kDeleted);
  EXPECT_EQ(cut.first_bad_seq, kept + 1);
}

TEST(AuditWitnessConfig, AWitnessInsideTheDataDirectoryIsRefused) {
  set_logging_enabled(false);
  auto dir = testing::temp_dir("witness-inside");
  DaemonConfig c = testing::loopback_dev_config(dir, 1);
  c.audit.witness_file = (dir / "sub" / "witness.jsonl").string();
  auto d = testing::start_daemon(c);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("outside the data directory"), std::string::npos) << d.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(dir / "sub" / "witness.jsonl"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace duet::server
