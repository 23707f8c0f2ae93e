// The tenant portal and the console's Admin API additions through a real
// duetd (server::Daemon on loopback): the session cookie's attributes, the
// CSRF header, the lockout, sign-out, tenant isolation of every /portal/v1
// read (another tenant's order, holders and apps are never shown), the FAQ
// and the guide, and the roles of /admin/v1/me, /admin/v1/tenants (an
// auditor is refused server-side) and /admin/v1/audit/verify; SLA claims
// filed by a tenant admin.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/result_testing.h"
#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"

namespace duet::server {
namespace {

using json = nlohmann::json;

class PortalHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("portal");
    DaemonConfig c = testing::loopback_dev_config(dir, 4);
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
    std::filesystem::remove(dir.string() + ".audit-witness.jsonl");
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                                httpclient::HeaderList headers = {}) {
    return testing::send(client, method, base + target, body, std::move(headers));
  }
  httpclient::HttpResponse admin(const std::string& method, const std::string& target, const std::string& body = "",
                                 const std::string& token = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + (token.empty() ? op_token : token)}});
  }
  static json parse(const httpclient::HttpResponse& r) { return json::parse(r.body, nullptr, false); }

  testing::TenantApps new_tenant(const std::string& name) {
    return testing::create_tenant_apps(
        [this](const std::string& m, const std::string& t, const std::string& b) { return admin(m, t, b); },
        json{{"name", name}});
  }
  void new_user(const std::string& tenant, const std::string& login, const std::string& role = "admin") {
    auto r = admin("POST", "/admin/v1/tenants/" + tenant + "/portal-users",
                   json{{"login", login}, {"password", "correct horse battery"}, {"role", role}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  struct Session {
    std::string cookie;  // "__Host-duet_portal=pts_..."
    std::string csrf;
  };
  Session sign_in(const std::string& login, const std::string& password = "correct horse battery") {
    auto r = call("POST", "/portal/v1/sessions", json{{"login", login}, {"password", password}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    std::string set = std::string(r.header("Set-Cookie").value_or(""));
    return Session{set.substr(0, set.find(';')), parse(r).value("csrf_token", "")};
  }
  httpclient::HttpResponse portal(const Session& s, const std::string& method, const std::string& target,
                                  const std::string& body = "", bool with_csrf = true) {
    httpclient::HeaderList h{{"Cookie", s.cookie}};
    if (with_csrf) h.emplace_back("X-CSRF-Token", s.csrf);
    return call(method, target, body, h);
  }

  std::filesystem::path dir;
  std::unique_ptr<Daemon> daemon;
  std::string base, op_token, so_token, auditor_token;
  httpclient::HttpClient client;
};

TEST_F(PortalHttpTest, SignInSetsAStrictHttpOnlyCookieAndStateChangesNeedTheCsrfToken) {
  auto t = new_tenant("acme");
  new_user(t.tenant_id, "alice@acme.example");
  auto r = call("POST", "/portal/v1/sessions",
                json{{"login", "alice@acme.example"}, {"password", "correct horse battery"}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  std::string set(r.header("Set-Cookie").value_or(""));
  EXPECT_EQ(set.rfind("__Host-duet_portal=pts_", 0), 0u) << set;
  for (const char* attr : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/;"})
    EXPECT_NE(set.find(attr), std::string::npos) << attr << " in " << set;
  EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(r.body.find("pts_"), std::string::npos);  // the token is only in the cookie

  Session s{set.substr(0, set.find(';')), parse(r)["csrf_token"]};
  auto me = portal(s, "GET", "/portal/v1/me", "", false);  // a GET needs no CSRF token
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(parse(me)["tenant"]["tenant_id"], t.tenant_id);
  EXPECT_EQ(parse(me)["csrf_token"], s.csrf);
  EXPECT_EQ(call("GET", "/portal/v1/me").status, 401);

  const std::string app = t.sandbox.app_id;
  EXPECT_EQ(portal(s, "POST", "/portal/v1/apps/" + app + "/rotate-secret", "", false).status, 403);
  Session forged = s;
  forged.csrf = std::string(s.csrf.size(), '0');
  EXPECT_EQ(portal(forged, "POST", "/portal/v1/apps/" + app + "/rotate-secret").status, 403);
  auto rotated = portal(s, "POST", "/portal/v1/apps/" + app + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(parse(rotated)["secret"].get<std::string>().size(), 64u);

  auto out = portal(s, "DELETE", "/portal/v1/sessions/current");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(std::string(out.header("Set-Cookie").value_or("")).find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(portal(s, "GET", "/portal/v1/me").status, 401);
}

// POST /portal/v1/sla/claims is the Business API's claim (docs/sla.md
// "Claims") filed by a tenant admin's session: the CSRF header is required,
// a member is refused, a running month and a second claim are 409, and only
// the own tenant's claims are listed.
TEST_F(PortalHttpTest, ATenantAdminFilesAnSlaClaimOncePerEndedMonth) {
  auto t = new_tenant("acme");
  new_user(t.tenant_id, "alice@acme.example");
  new_user(t.tenant_id, "bob@acme.example", "member");
  auto other = new_tenant("globex");
  new_user(other.tenant_id, "carol@globex.example");
  Session s = sign_in("alice@acme.example");
  const std::string claim = json{{"month", "2025-01"}, {"statement", "45 minutes down"}}.dump();

  EXPECT_EQ(portal(s, "POST", "/portal/v1/sla/claims", claim, false).status, 403);
  EXPECT_EQ(portal(sign_in("bob@acme.example"), "POST", "/portal/v1/sla/claims", claim).status, 403);
  EXPECT_EQ(portal(s, "POST", "/portal/v1/sla/claims", json{{"month", "2999-01"}}.dump()).status, 409);
  EXPECT_EQ(portal(s, "POST", "/portal/v1/sla/claims", json{{"month", "January"}}.dump()).status, 400);
  EXPECT_EQ(portal(s, "POST", "/portal/v1/sla/claims", "{}").status, 400);

  auto filed = portal(s, "POST", "/portal/v1/sla/claims", claim);
  ASSERT_EQ(filed.status, 201) << filed.body;
  json c = parse(filed);
  EXPECT_EQ(c["tenant_id"], t.tenant_id);
  EXPECT_EQ(c["month"], "2025-01");
  EXPECT_EQ(c["state"], "filed");
  EXPECT_EQ(c["filed_by"].get<std::string>().rfind("usr_", 0), 0u) << c.dump();
  EXPECT_EQ(portal(s, "POST", "/portal/v1/sla/claims", claim).status, 409);

  auto mine = portal(s, "GET", "/portal/v1/sla/claims", "", false);
  ASSERT_EQ(mine.status, 200) << mine.body;
  ASSERT_EQ(parse(mine)["claims"].size(), 1u);
  EXPECT_EQ(parse(mine)["claims"][0]["claim_id"], c["claim_id"]);
  auto theirs = portal(sign_in("carol@globex.example"), "GET", "/portal/v1/sla/claims");
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_TRUE(parse(theirs)["claims"].empty());
  // The operator sees it as any other claim.
  auto listed = admin("GET", "/admin/v1/sla/claims?tenant=" + t.tenant_id);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(parse(listed)["claims"][0]["claim_id"], c["claim_id"]);
}

TEST_F(PortalHttpTest, FiveFailuresLockTheUserWithOneAnswerForEveryFailure) {
  auto t = new_tenant("acme");
  new_user(t.tenant_id, "bob@acme.example", "member");
  auto unknown = call("POST", "/portal/v1/sessions", R"({"login":"nobody@acme.example","password":"whatever-it-is"})");
  EXPECT_EQ(unknown.status, 401);
  for (int i = 0; i < 4; ++i) {
    auto r = call("POST", "/portal/v1/sessions", R"({"login":"bob@acme.example","password":"wrong password"})");
    EXPECT_EQ(r.status, 401) << i;
    EXPECT_EQ(parse(r)["error"]["message"], parse(unknown)["error"]["message"]);
  }
  // The fifth failure locks the user, but answers like any failure (a 423
  // here would tell that the login exists: unknown logins never lock).
  auto fifth = call("POST", "/portal/v1/sessions", R"({"login":"bob@acme.example","password":"wrong password"})");
  EXPECT_EQ(fifth.status, 401) << fifth.body;
  auto still_wrong = call("POST", "/portal/v1/sessions", R"({"login":"bob@acme.example","password":"wrong password"})");
  EXPECT_EQ(still_wrong.status, 401) << still_wrong.body;
  EXPECT_EQ(parse(still_wrong)["error"]["message"], parse(unknown)["error"]["message"]);
  // Only the right password learns of the lock.
  auto right = call("POST", "/portal/v1/sessions", R"({"login":"bob@acme.example","password":"correct horse battery"})");
  EXPECT_EQ(right.status, 423) << right.body;
  EXPECT_FALSE(right.header("Set-Cookie").has_value());
}

TEST_F(PortalHttpTest, SignInTakesJsonOnlyAndIsThrottledPerAddress) {
  auto t = new_tenant("acme");
  new_user(t.tenant_id, "bob@acme.example", "member");
  // What a cross-site form can send without a preflight is refused before
  // any password is checked (login CSRF).
  auto form = call("POST", "/portal/v1/sessions", R"({"login":"bob@acme.example","password":"correct horse battery"})",
                   {{"Content-Type", "text/plain"}});
  EXPECT_EQ(form.status, 400) << form.body;
  EXPECT_FALSE(form.header("Set-Cookie").has_value());
  // 30 attempts per address and minute (core/signin_throttle.h); the next is
  // 429 with Retry-After, whatever the login, before any Argon2id work. (70
  // tries: a minute boundary may restart the window once during the loop.)
  int refused = 0;
  for (int i = 0; i < 70 && refused == 0; ++i) {
    auto r = call("POST", "/portal/v1/sessions", R"({"login":"nobody@acme.example","password":"whatever-it-is"})");
    if (r.status == 429) {
      ++refused;
      ASSERT_TRUE(r.header("Retry-After").has_value());
      const int after = std::stoi(std::string(*r.header("Retry-After")));
      EXPECT_GE(after, 1);
      EXPECT_LE(after, 60);
      EXPECT_GE(i, 30) << "refused before the limit";
    } else {
      EXPECT_EQ(r.status, 401) << r.body;
    }
  }
  EXPECT_EQ(refused, 1) << "no attempt was refused";
}

TEST_F(PortalHttpTest, ATenantUserNeverSeesAnotherTenantsData) {
  auto a = new_tenant("a");
  auto b = new_tenant("b");
  new_user(a.tenant_id, "admin@a.example");
  new_user(b.tenant_id, "admin@b.example");
  // Tenant B has a sandbox holder and an order.
  auto holder = call("POST", "/api/v1/holders",
                     json{{"name", "李四"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump(),
                     testing::signed_request_headers(b.sandbox, "POST", "/api/v1/holders",
                                                     json{{"name", "李四"}, {"id_number", "110101199003071234"},
                                                          {"phone", "13812345678"}}.dump(),
                                                     std::to_string(::time(nullptr)), "portal-nonce-1"));
  ASSERT_EQ(holder.status, 201) << holder.body;
  const std::string holder_id = parse(holder)["holder_id"];
  const std::string code_path = "/api/v1/holders/" + holder_id + "/activation-codes";
  auto code = call("POST", code_path, "",
                   testing::signed_request_headers(b.sandbox, "POST", code_path, "", std::to_string(::time(nullptr)),
                                                   "portal-nonce-0"));
  ASSERT_EQ(code.status, 201) << code.body;
  testing::activate_device(
      [this](const std::string& m, const std::string& t, const std::string& body) { return call(m, t, body); },
      holder_id, parse(code)["code"], "246810", 1000);
  const std::string order_body =
      json{{"holder_id", holder_id}, {"title", "b's contract"}, {"data_base64", "aGVsbG8="}}.dump();
  auto order = call("POST", "/api/v1/orders", order_body,
                    testing::signed_request_headers(b.sandbox, "POST", "/api/v1/orders", order_body,
                                                    std::to_string(::time(nullptr)), "portal-nonce-2"));
  ASSERT_EQ(order.status, 201) << order.body;
  const std::string order_id = parse(order)["order_id"];

  Session sa = sign_in("admin@a.example");
  Session sb = sign_in("admin@b.example");
  // B sees its own.
  ASSERT_EQ(portal(sb, "GET", "/portal/v1/orders/" + order_id).status, 200);
  EXPECT_EQ(parse(portal(sb, "GET", "/portal/v1/holders?environment=sandbox"))["holders"].size(), 1u);
  EXPECT_EQ(parse(portal(sb, "GET", "/portal/v1/orders?environment=sandbox"))["orders"].size(), 1u);
  // A sees nothing of B's, even by id.
  auto by_id = portal(sa, "GET", "/portal/v1/orders/" + order_id);
  EXPECT_EQ(by_id.status, 404);
  EXPECT_EQ(by_id.body.find("b's contract"), std::string::npos);
  EXPECT_EQ(parse(portal(sa, "GET", "/portal/v1/holders?environment=sandbox"))["holders"].size(), 0u);
  EXPECT_EQ(parse(portal(sa, "GET", "/portal/v1/orders?environment=sandbox"))["orders"].size(), 0u);
  for (const auto& app : parse(portal(sa, "GET", "/portal/v1/apps"))["apps"]) EXPECT_EQ(app["tenant_id"], a.tenant_id);
  EXPECT_EQ(portal(sa, "POST", "/portal/v1/apps/" + b.sandbox.app_id + "/rotate-secret").status, 404);
  auto users = parse(portal(sa, "GET", "/portal/v1/users"))["users"];
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["login"], "admin@a.example");
  // A's session cookie with B's CSRF token (or the reverse) does not pass.
  Session mixed{sa.cookie, sb.csrf};
  EXPECT_EQ(portal(mixed, "POST", "/portal/v1/totp").status, 403);
  // The SLA figures are the own tenant's row only.
  auto sla = portal(sa, "GET", "/portal/v1/sla?month=2026-01");
  ASSERT_EQ(sla.status, 200) << sla.body;
  EXPECT_EQ(sla.body.find(b.tenant_id), std::string::npos);
  auto usage = portal(sa, "GET", "/portal/v1/usage");
  ASSERT_EQ(usage.status, 200) << usage.body;
  EXPECT_EQ(parse(usage)["days"].size(), 30u);
}

TEST_F(PortalHttpTest, FaqAndGuideArePublicAndSearchable) {
  auto all = call("GET", "/portal/v1/faq");
  ASSERT_EQ(all.status, 200);
  EXPECT_GE(parse(all)["entries"].size(), 5u);
  auto hit = parse(call("GET", "/portal/v1/faq?q=rotate%20SECRET"))["entries"];
  ASSERT_GE(hit.size(), 1u);
  EXPECT_EQ(hit[0]["slug"], "rotate-app-secret");
  EXPECT_EQ(parse(call("GET", "/portal/v1/faq?q=no-such-word-anywhere"))["entries"].size(), 0u);
  auto zh = parse(call("GET", "/portal/v1/faq?q=%E9%94%81%E5%AE%9A"))["entries"];  // 锁定
  EXPECT_GE(zh.size(), 1u);
  auto guide = call("GET", "/portal/v1/guide");
  ASSERT_EQ(guide.status, 200);
  EXPECT_NE(parse(guide)["markdown"].get<std::string>().find("duet_call()"), std::string::npos);
}

TEST_F(PortalHttpTest, ConsoleRolesAreEnforcedByTheServer) {
  auto me = admin("GET", "/admin/v1/me", "", auditor_token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(parse(me)["role"], "auditor");
  EXPECT_EQ(parse(admin("GET", "/admin/v1/me"))["role"], "operator");
  EXPECT_EQ(admin("GET", "/admin/v1/tenants", "", auditor_token).status, 403);  // the tenants page
  EXPECT_EQ(admin("GET", "/admin/v1/tenants").status, 200);
  EXPECT_EQ(admin("GET", "/admin/v1/audit/verify").status, 403);  // operators do not read the audit log
  auto v = admin("GET", "/admin/v1/audit/verify", "", auditor_token);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_TRUE(parse(v)["ok"].get<bool>()) << v.body;
  EXPECT_GT(parse(v)["events"].get<int64_t>(), 0);
  // Only an operator creates portal users.
  auto t = new_tenant("acme");
  EXPECT_EQ(admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/portal-users",
                  R"({"login":"x@acme.example","password":"correct horse battery"})", so_token)
                .status,
            403);
  EXPECT_EQ(admin("POST", "/admin/v1/tenants/ten_missing/portal-users",
                  R"({"login":"x@acme.example","password":"correct horse battery"})")
                .status,
            404);
}

}  // namespace
}  // namespace duet::server
