// The portal's account care through a real duetd (server::Daemon on
// loopback, SQLite, a test clock): a password change needs the current
// password and kills every other session; the session list and sign-out
// everywhere; a disabled user's live session dies at once and its sign-in
// answers exactly like a wrong password; a reset token is single use,
// expires and is superseded; a TOTP code is never accepted twice; disabling
// or replacing TOTP needs the password and a current code; the session
// cookie is a __Host- cookie; the audit events hold no token or password.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/result_testing.h"
#include "core/clock.h"
#include "crypto/totp.h"
#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/portal_account_routes.h"
#include "server/test_support.h"

namespace duet::server {
namespace {

using json = nlohmann::json;

constexpr const char* kPassword = "correct horse battery";
constexpr const char* kChrome =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

class PortalAccountHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("portal-account");
    DaemonConfig c = testing::loopback_dev_config(dir, 4);
    DaemonOptions o;
    o.clock = &clock;
    auto d = testing::start_daemon(c, std::move(o));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    base = daemon->url();
    op_token = testing::trim(testing::read_text(dir / "admin.token"));
    auditor_token = testing::trim(testing::read_text(dir / "auditor.token"));
    tenant = testing::create_tenant_apps(
                 [this](const std::string& m, const std::string& t, const std::string& b) { return admin(m, t, b); },
                 json{{"name", "acme"}})
                 .tenant_id;
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
  // The error of an answer without its request id: two failures compare equal.
  static json error_of(const httpclient::HttpResponse& r) {
    json e = parse(r).value("error", json::object());
    e.erase("request_id");
    return e;
  }

  std::string new_user(const std::string& login, const std::string& role = "admin", const std::string& t = "") {
    auto r = admin("POST", "/admin/v1/tenants/" + (t.empty() ? tenant : t) + "/portal-users",
                   json{{"login", login}, {"password", kPassword}, {"role", role}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return parse(r).value("user_id", "");
  }

  struct Session {
    std::string cookie;  // "__Host-duet_portal=pts_..."
    std::string csrf;
  };
  httpclient::HttpResponse try_sign_in(const std::string& login, const std::string& password,
                                       const std::string& code = "") {
    json b{{"login", login}, {"password", password}};
    if (!code.empty()) b["totp_code"] = code;
    return call("POST", "/portal/v1/sessions", b.dump(), {{"User-Agent", kChrome}});
  }
  Session sign_in(const std::string& login, const std::string& password = kPassword, const std::string& code = "") {
    auto r = try_sign_in(login, password, code);
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
  bool alive(const Session& s) { return portal(s, "GET", "/portal/v1/me").status == 200; }

  // Every audit event so far, as the auditor reads them.
  std::string audit_text() {
    auto r = admin("GET", "/admin/v1/audit/events?limit=1000", "", auditor_token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  core::ManualClock clock{std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()};
  std::filesystem::path dir;
  std::unique_ptr<Daemon> daemon;
  std::string base, op_token, auditor_token, tenant;
  httpclient::HttpClient client;
};

TEST_F(PortalAccountHttpTest, TheSessionCookieIsAHostPrefixedCookie) {
  new_user("alice@acme.example");
  auto r = try_sign_in("alice@acme.example", kPassword);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string set(r.header("Set-Cookie").value_or(""));
  EXPECT_EQ(set.rfind("__Host-duet_portal=pts_", 0), 0u) << set;
  for (const char* attr : {"; Path=/;", "; HttpOnly", "; Secure", "; SameSite=Strict"})
    EXPECT_NE(set.find(attr), std::string::npos) << attr << " in " << set;
  EXPECT_EQ(set.find("Domain"), std::string::npos) << set;
  // The old cookie name is not a session.
  Session s{set.substr(0, set.find(';')), parse(r)["csrf_token"]};
  EXPECT_TRUE(alive(s));
  Session renamed{"duet_portal=" + s.cookie.substr(s.cookie.find('=') + 1), s.csrf};
  EXPECT_FALSE(alive(renamed));
}

TEST_F(PortalAccountHttpTest, APasswordChangeNeedsTheCurrentPasswordAndEndsEveryOtherSession) {
  new_user("alice@acme.example");
  Session mine = sign_in("alice@acme.example");
  Session other = sign_in("alice@acme.example");
  const std::string next = "a much newer passphrase";

  auto wrong = portal(mine, "PUT", "/portal/v1/password",
                      json{{"current_password", "not the password"}, {"new_password", next}}.dump());
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_EQ(parse(wrong)["error"]["code"], "forbidden");
  EXPECT_TRUE(alive(other));  // nothing changed
  EXPECT_EQ(try_sign_in("alice@acme.example", next).status, 401);
  EXPECT_EQ(portal(mine, "PUT", "/portal/v1/password",
                   json{{"current_password", kPassword}, {"new_password", next}}.dump(), false).status,
            403);  // no CSRF token
  auto short_pw = portal(mine, "PUT", "/portal/v1/password",
                         json{{"current_password", kPassword}, {"new_password", "too short"}}.dump());
  EXPECT_EQ(short_pw.status, 400) << short_pw.body;
  EXPECT_TRUE(alive(other));

  auto ok = portal(mine, "PUT", "/portal/v1/password",
                   json{{"current_password", kPassword}, {"new_password", next}}.dump());
  ASSERT_EQ(ok.status, 204) << ok.body;
  EXPECT_TRUE(alive(mine));    // the session that changed it goes on
  EXPECT_FALSE(alive(other));  // every other one is dead
  EXPECT_EQ(try_sign_in("alice@acme.example", kPassword).status, 401);
  EXPECT_EQ(try_sign_in("alice@acme.example", next).status, 201);

  const std::string audit = audit_text();
  for (const std::string& secret : {std::string(kPassword), next, std::string("pts_"), mine.csrf})
    EXPECT_EQ(audit.find(secret), std::string::npos) << secret;
  EXPECT_NE(audit.find("PUT /portal/v1/password"), std::string::npos);
}

TEST_F(PortalAccountHttpTest, AUserListsTheirSessionsAndSignsOutEverywhere) {
  new_user("alice@acme.example");
  Session a = sign_in("alice@acme.example");
  Session b = sign_in("alice@acme.example");
  clock.advance(120);
  auto r = portal(a, "GET", "/portal/v1/sessions");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("pts_"), std::string::npos);  // no token, not even a hash
  json list = parse(r)["sessions"];
  ASSERT_EQ(list.size(), 2u) << r.body;
  std::string other_id;
  int current = 0;
  for (const auto& s : list) {
    EXPECT_EQ(s["user_agent"], "Chrome on Linux");
    EXPECT_EQ(s["session_id"].get<std::string>().rfind("pss_", 0), 0u);
    EXPECT_GE(s["expires_at"].get<int64_t>(), s["created_at"].get<int64_t>());
    if (s["current"].get<bool>()) {
      ++current;
      EXPECT_EQ(s["last_seen_at"].get<int64_t>(), clock.now());  // this request touched it
    } else {
      other_id = s["session_id"];
    }
  }
  EXPECT_EQ(current, 1);

  EXPECT_EQ(portal(a, "DELETE", "/portal/v1/sessions/" + other_id).status, 204);
  EXPECT_FALSE(alive(b));
  EXPECT_TRUE(alive(a));
  EXPECT_EQ(portal(a, "DELETE", "/portal/v1/sessions/" + other_id).status, 404);

  Session c = sign_in("alice@acme.example");
  auto all = portal(a, "DELETE", "/portal/v1/sessions");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(parse(all)["revoked"], 2);
  EXPECT_NE(std::string(all.header("Set-Cookie").value_or("")).find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(alive(a));
  EXPECT_FALSE(alive(c));
}

TEST_F(PortalAccountHttpTest, ADisabledUsersSessionDiesAtOnceAndSignInLooksLikeAWrongPassword) {
  const std::string alice = new_user("alice@acme.example");
  const std::string bob = new_user("bob@acme.example", "member");
  Session admin_s = sign_in("alice@acme.example");
  Session bob_s = sign_in("bob@acme.example");

  EXPECT_EQ(portal(bob_s, "POST", "/portal/v1/users/" + alice + "/disable").status, 403);  // a member
  EXPECT_EQ(portal(admin_s, "POST", "/portal/v1/users/" + alice + "/disable").status, 400);  // oneself
  ASSERT_EQ(portal(admin_s, "POST", "/portal/v1/users/" + bob + "/disable").status, 204);
  EXPECT_FALSE(alive(bob_s));  // at once
  auto users = parse(portal(admin_s, "GET", "/portal/v1/users"))["users"];
  for (const auto& u : users) EXPECT_EQ(u["disabled"].get<bool>(), u["user_id"] == bob) << u.dump();

  // The right password of a disabled user and a wrong one: the same answer.
  auto right = try_sign_in("bob@acme.example", kPassword);
  auto wrong = try_sign_in("bob@acme.example", "not the password");
  auto unknown = try_sign_in("nobody@acme.example", kPassword);
  EXPECT_EQ(right.status, 401);
  EXPECT_EQ(error_of(right), error_of(wrong));
  EXPECT_EQ(error_of(right), error_of(unknown));

  ASSERT_EQ(portal(admin_s, "POST", "/portal/v1/users/" + bob + "/enable").status, 204);
  Session again = sign_in("bob@acme.example");
  EXPECT_TRUE(alive(again));
  EXPECT_FALSE(alive(bob_s));  // enabling revives no old session

  // The operator does the same through the Admin API; an auditor may not.
  EXPECT_EQ(admin("POST", "/admin/v1/tenants/" + tenant + "/portal-users/" + bob + "/disable", "", auditor_token)
                .status,
            403);
  ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + tenant + "/portal-users/" + bob + "/disable").status, 204);
  EXPECT_FALSE(alive(again));
  auto listed = admin("GET", "/admin/v1/tenants/" + tenant + "/portal-users");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.body.find("password_hash"), std::string::npos);
  ASSERT_EQ(admin("POST", "/admin/v1/tenants/" + tenant + "/portal-users/" + bob + "/enable").status, 204);
  EXPECT_EQ(try_sign_in("bob@acme.example", kPassword).status, 201);

  // Another tenant's admin cannot touch bob: he does not exist for them.
  auto other = testing::create_tenant_apps(
      [this](const std::string& m, const std::string& t, const std::string& b) { return admin(m, t, b); },
      json{{"name", "other"}});
  new_user("eve@other.example", "admin", other.tenant_id);
  Session eve = sign_in("eve@other.example");
  EXPECT_EQ(portal(eve, "POST", "/portal/v1/users/" + bob + "/disable").status, 404);
  EXPECT_EQ(portal(eve, "POST", "/portal/v1/users/" + bob + "/password-reset").status, 404);
}

TEST_F(PortalAccountHttpTest, AResetTokenIsShownOnceSingleUseAndExpires) {
  new_user("alice@acme.example");
  const std::string bob = new_user("bob@acme.example", "member");
  Session admin_s = sign_in("alice@acme.example");
  Session bob_s = sign_in("bob@acme.example");
  const std::string next = "bob's brand new passphrase";
  auto reset = [this](const std::string& token, const std::string& pw) {
    return call("POST", "/portal/v1/password-reset", json{{"reset_token", token}, {"new_password", pw}}.dump());
  };

  auto first = portal(admin_s, "POST", "/portal/v1/users/" + bob + "/password-reset");
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string superseded = parse(first)["reset_token"];
  auto issued = portal(admin_s, "POST", "/portal/v1/users/" + bob + "/password-reset");
  ASSERT_EQ(issued.status, 201) << issued.body;
  const std::string token = parse(issued)["reset_token"];
  EXPECT_EQ(token.rfind("prt_", 0), 0u);
  EXPECT_EQ(parse(issued)["expires_at"].get<int64_t>(), clock.now() + 24 * 3600);
  EXPECT_TRUE(alive(bob_s));  // issuing changes nothing yet

  EXPECT_EQ(reset(superseded, next).status, 401);  // only the newest works
  EXPECT_EQ(reset(token, "short").status, 400);     // the policy first: the token is not used up
  auto used = reset(token, next);
  ASSERT_EQ(used.status, 204) << used.body;
  EXPECT_FALSE(alive(bob_s));
  EXPECT_EQ(try_sign_in("bob@acme.example", kPassword).status, 401);
  EXPECT_EQ(try_sign_in("bob@acme.example", next).status, 201);
  auto twice = reset(token, "yet another passphrase");
  EXPECT_EQ(twice.status, 401);
  EXPECT_EQ(parse(twice)["error"]["code"], "unauthenticated");
  EXPECT_EQ(try_sign_in("bob@acme.example", next).status, 201);
  // Form-encoded (a cross-site form): refused before anything else.
  EXPECT_EQ(call("POST", "/portal/v1/password-reset", "reset_token=x", {{"Content-Type", "text/plain"}}).status, 400);

  // An operator's reset expires after 24 hours.
  auto op_reset = admin("POST", "/admin/v1/tenants/" + tenant + "/portal-users/" + bob + "/password-reset");
  ASSERT_EQ(op_reset.status, 201) << op_reset.body;
  clock.advance(24 * 3600 + 1);
  EXPECT_EQ(reset(parse(op_reset)["reset_token"], "an expired attempt!!").status, 401);
  EXPECT_EQ(try_sign_in("bob@acme.example", next).status, 201);

  const std::string audit = audit_text();
  for (const std::string& secret : {token, superseded, next, std::string("prt_")})
    EXPECT_EQ(audit.find(secret), std::string::npos) << secret;
  EXPECT_NE(audit.find("reset:prr_"), std::string::npos);  // the pseudonym links issue and use
}

TEST_F(PortalAccountHttpTest, ATotpCodeIsNeverAcceptedTwiceAndTotpChangesNeedPasswordAndCode) {
  new_user("alice@acme.example");
  Session s = sign_in("alice@acme.example");
  auto begun = portal(s, "POST", "/portal/v1/totp");
  ASSERT_EQ(begun.status, 200) << begun.body;
  const std::string secret_b32 = parse(begun)["secret"];
  Bytes secret = duet::testing_support::ok_value(crypto::base32_decode(secret_b32));
  auto code = [&] { return crypto::totp(secret, clock.now()); };
  const std::string confirm_code = code();
  ASSERT_EQ(portal(s, "POST", "/portal/v1/totp/confirm", json{{"secret", secret_b32}, {"code", confirm_code}}.dump())
                .status,
            204);

  // The code that confirmed the secret cannot sign in; a fresh one can, once.
  EXPECT_EQ(try_sign_in("alice@acme.example", kPassword, confirm_code).status, 401);
  clock.advance(30);
  const std::string fresh = code();
  Session s2 = sign_in("alice@acme.example", kPassword, fresh);
  EXPECT_TRUE(alive(s2));
  auto replay = try_sign_in("alice@acme.example", kPassword, fresh);
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(error_of(replay), error_of(try_sign_in("alice@acme.example", "not the password")));
  clock.advance(30);
  Session s3 = sign_in("alice@acme.example", kPassword, code());  // resets the failure count

  // Disabling: the session and CSRF token are not enough.
  EXPECT_EQ(portal(s3, "DELETE", "/portal/v1/totp").status, 403);
  EXPECT_EQ(portal(s3, "DELETE", "/portal/v1/totp", json{{"password", kPassword}}.dump()).status, 403);
  clock.advance(30);
  EXPECT_EQ(portal(s3, "DELETE", "/portal/v1/totp", json{{"code", code()}}.dump()).status, 403);
  clock.advance(30);
  const std::string disable_code = code();
  ASSERT_EQ(portal(s3, "DELETE", "/portal/v1/totp", json{{"password", kPassword}, {"code", disable_code}}.dump())
                .status,
            204);
  Session s4 = sign_in("alice@acme.example");  // no code needed now (and the failure count reset)

  // Replacing an enabled TOTP needs the password and a code of the old secret.
  clock.advance(30);
  auto first = parse(portal(s4, "POST", "/portal/v1/totp"));
  Bytes old_secret = duet::testing_support::ok_value(crypto::base32_decode(first["secret"].get<std::string>()));
  ASSERT_EQ(portal(s4, "POST", "/portal/v1/totp/confirm",
                   json{{"secret", first["secret"]}, {"code", crypto::totp(old_secret, clock.now())}}.dump())
                .status,
            204);
  clock.advance(30);
  auto second = parse(portal(s4, "POST", "/portal/v1/totp"));
  Bytes new_secret = duet::testing_support::ok_value(crypto::base32_decode(second["secret"].get<std::string>()));
  const json replace{{"secret", second["secret"]}, {"code", crypto::totp(new_secret, clock.now())}};
  EXPECT_EQ(portal(s4, "POST", "/portal/v1/totp/confirm", replace.dump()).status, 403);
  json with_reauth = replace;
  with_reauth["password"] = kPassword;
  with_reauth["current_code"] = crypto::totp(old_secret, clock.now());
  ASSERT_EQ(portal(s4, "POST", "/portal/v1/totp/confirm", with_reauth.dump()).status, 204);
  clock.advance(30);
  EXPECT_EQ(try_sign_in("alice@acme.example", kPassword, crypto::totp(old_secret, clock.now())).status, 401);
  EXPECT_EQ(try_sign_in("alice@acme.example", kPassword, crypto::totp(new_secret, clock.now())).status, 201);
}

TEST(UserAgentSummary, NamesBrowserAndSystemOnly) {
  EXPECT_EQ(user_agent_summary(kChrome), "Chrome on Linux");
  EXPECT_EQ(user_agent_summary("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                               "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"),
            "Safari on iOS");
  EXPECT_EQ(user_agent_summary("Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36 "
                               "MicroMessenger/8.0.44"),
            "WeChat on Android");
  EXPECT_EQ(user_agent_summary("curl/7.88.1"), "curl");
  EXPECT_EQ(user_agent_summary(""), "other");
}

}  // namespace
}  // namespace duet::server
