// The SLA area through a real duetd (server::Daemon on loopback, a manual
// clock, a temp data dir): sandbox rate limits (429 + Retry-After),
// production per-tenant limits, per-minute availability records written by
// real requests (a 5xx counted as not normal), the report/credit/maintenance
// Admin API on a synthetic month inserted through a second store handle on
// the same SQLite file, the http::Server request observer (a slow answer
// is not normal), and sandbox traffic kept out of the tenant's figures and
// away from its production holders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "base/result_testing.h"
#include "core/availability.h"
#include "core/availability_services.h"
#include "core/clock.h"
#include "core/quota_order.h"
#include "core/request_signing.h"
#include "core/sla_report.h"
#include "http/server.h"
#include "httpclient/http_client.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/test_support.h"
#include "store/ids.h"
#include "store/sqlite_store.h"

namespace duet::server {

using duet::testing_support::ok_value;
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// 2026-07-15 10:00 +08:00 (a Wednesday).
constexpr int64_t kStart = 1'784'080'800;

class SlaHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_logging_enabled(false);
    dir = testing::temp_dir("sla");
    DaemonConfig c = testing::loopback_dev_config(dir, 4);
    c.limits.sandbox_requests_per_second = 3;
    c.limits.refresh_seconds = 1;
    c.sla.flush_interval_ms = 100;
    DaemonOptions o;
    o.clock = &clock;
    auto d = Daemon::create(c, std::move(o));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon = std::move(*d);
    ASSERT_TRUE(daemon->start().ok());
    base = daemon->url();
    admin_token = testing::trim(testing::read_text(daemon->admin_token_path()));
  }
  void TearDown() override {
    if (daemon) daemon->stop();
    daemon.reset();
    std::filesystem::remove_all(dir);
  }

  httpclient::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                                httpclient::HeaderList headers = {}) {
    return testing::send(client, method, base + target, body, std::move(headers));
  }
  httpclient::HttpResponse admin(const std::string& method, const std::string& target, const std::string& body = "") {
    return call(method, target, body, {{"Authorization", "Bearer " + admin_token}});
  }
  using Cred = testing::AppCred;
  httpclient::HttpResponse biz(const Cred& cred, const std::string& method, const std::string& path,
                               const std::string& body = "") {
    std::string nonce = "sla-nonce-" + std::to_string(++nonces) + "-" + std::to_string(::getpid());
    return call(method, path, body,
                testing::signed_request_headers(cred, method, path, body, std::to_string(clock.now()), nonce));
  }
  static json parse(const httpclient::HttpResponse& r) { return json::parse(r.body, nullptr, false); }

  using Tenant = testing::TenantApps;
  Tenant new_tenant(const std::string& name, bool active) {
    json body{{"name", name}};
    if (active) body["production_active_from"] = clock.now() - 10;
    return testing::create_tenant_apps(
        [this](const std::string& m, const std::string& t, const std::string& b) { return admin(m, t, b); }, body);
  }

  // A second handle on the daemon's database (several may share the file).
  std::unique_ptr<store::Store> side_store() {
    store::SqliteStoreOptions so;
    so.quota_order = core::quota_order_rule();
    so.path = (dir / "duet.db").string();
    auto s = store::open_sqlite_store(so);
    EXPECT_TRUE(s.ok());
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::filesystem::path dir;
  core::ManualClock clock{kStart};
  std::unique_ptr<Daemon> daemon;
  std::string base, admin_token;
  httpclient::HttpClient client;
  int nonces = 0;
};

TEST_F(SlaHttpTest, SandboxAppGets429WithRetryAfterOverTheLimit) {
  Tenant t = new_tenant("sandbox-limits", false);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders").status, 200) << i;
  auto r = biz(t.sandbox, "GET", "/api/v1/holders");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(parse(r)["error"]["code"], "rate_limited");
  ASSERT_TRUE(r.header("Retry-After").has_value());
  EXPECT_EQ(*r.header("Retry-After"), "1");
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders").status, 429);
  // Another tenant's sandbox app has its own counter.
  Tenant other = new_tenant("sandbox-other", false);
  EXPECT_EQ(biz(other.sandbox, "GET", "/api/v1/holders").status, 200);
  // The next one-second window.
  clock.advance(1);
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders").status, 200);
}

TEST_F(SlaHttpTest, ProductionLimitPerTenantIsSetByTheOperator) {
  Tenant t = new_tenant("prod-limits", true);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200) << i;  // unlimited
  auto get = admin("GET", "/admin/v1/tenants/" + t.tenant_id + "/rate-limit");
  EXPECT_EQ(get.status, 200);
  EXPECT_TRUE(parse(get)["requests_per_second"].is_null());
  auto put = admin("PUT", "/admin/v1/tenants/" + t.tenant_id + "/rate-limit", R"({"requests_per_second": 2})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(parse(admin("GET", "/admin/v1/tenants/" + t.tenant_id + "/rate-limit"))["requests_per_second"], 2);
  clock.advance(1);
  EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200);
  EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200);
  auto r = biz(t.production, "GET", "/api/v1/holders");
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.header("Retry-After").has_value());
  EXPECT_EQ(admin("PUT", "/admin/v1/tenants/" + t.tenant_id + "/rate-limit", R"({"requests_per_second": null})").status,
            200);
  EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200);
  EXPECT_EQ(admin("PUT", "/admin/v1/tenants/ten_nope/rate-limit", R"({"requests_per_second": 5})").status, 404);
  EXPECT_EQ(admin("PUT", "/admin/v1/tenants/" + t.tenant_id + "/rate-limit", R"({"requests_per_second": -1})").status,
            400);
}

TEST_F(SlaHttpTest, RequestsLeavePerMinuteRecordsWithA5xxCountedAsNotNormal) {
  Tenant t = new_tenant("minutes", true);
  EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200);
  EXPECT_EQ(biz(t.production, "GET", "/api/v1/holders").status, 200);
  // Sandbox traffic is the service's, but no tenant's (docs/sla.md "Recording").
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders").status, 200);
  EXPECT_EQ(biz(t.sandbox, "GET", "/api/v1/holders/hld_nope").status, 404);
  // identity_source without a configured source: 503 for this tenant.
  auto s = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/apps/" + t.production.app_id + "/settings",
                 R"({"identity_mode": "identity_source"})");
  ASSERT_EQ(s.status, 200) << s.body;
  auto h = biz(t.production, "POST", "/api/v1/holders",
               json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"},
                    {"identity_verification", "identity_source"}}
                   .dump());
  ASSERT_EQ(h.status, 503) << h.body;
  EXPECT_EQ(call("GET", "/healthz").status, 200);  // monitoring: not counted

  int64_t minute = core::minute_of(clock.now());
  auto st = side_store();
  ASSERT_TRUE(st);
  std::vector<store::AvailabilityMinute> own, svc;
  for (int i = 0; i < 100; ++i) {  // the recorder flushes every 100 ms
    own = ok_value(st->list_availability(t.tenant_id, minute, minute + 60));
    svc = ok_value(st->list_availability("", minute, minute + 60));
    if (!own.empty() && own[0].requests == 3 && !svc.empty() && svc[0].probes_ok > 0) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].requests, 3);
  EXPECT_EQ(own[0].normal, 2);  // the 503 is not normal
  // The same three in the tenant's row of the signing service (all Business
  // API holder routes are signing routes), none on the certificate service.
  auto signing = ok_value(st->list_availability(
      core::service_availability_row(core::SlaServiceKind::kSigning, t.tenant_id), minute, minute + 60));
  ASSERT_EQ(signing.size(), 1u);
  EXPECT_EQ(signing[0].requests, 3);
  EXPECT_EQ(signing[0].normal, 2);
  EXPECT_TRUE(ok_value(st->list_availability(
                           core::service_availability_row(core::SlaServiceKind::kCertificate, t.tenant_id), minute,
                           minute + 60))
                  .empty());
  EXPECT_GT(own[0].total_us, 0);
  EXPECT_GE(own[0].max_us, 1);
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_EQ(svc[0].requests, 8);  // + 2 sandbox + 3 admin calls (tenant, app, settings)
  EXPECT_EQ(svc[0].requests - svc[0].normal, 1);
  EXPECT_GE(svc[0].probes_ok, 1);  // the self-check ran in this minute
  EXPECT_EQ(svc[0].probes_failed, 0);

  // A new minute of the service clock gets its own probe.
  clock.advance(60);
  for (int i = 0; i < 100; ++i) {
    svc = ok_value(st->list_availability("", minute + 60, minute + 120));
    if (!svc.empty() && svc[0].probes_ok > 0) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_EQ(svc[0].probes_ok, 1);
}

TEST_F(SlaHttpTest, ReportCreditsApprovalAndMaintenanceOverTheAdminApi) {
  auto st = side_store();
  ASSERT_TRUE(st);
  // A tenant that existed all June (a tenant is judged from its creation on).
  Tenant t;
  {
    store::Tenant rec;
    rec.tenant_id = store::new_id("ten_");
    rec.name = "report";
    rec.created_at = ok_value(core::month_range("2026-06", 480)).from - 86400;
    rec.production_active_from = rec.created_at;  // the SLA period starts at the activation date
    ASSERT_TRUE(st->create_tenant({}, rec).ok());
    t.tenant_id = rec.tenant_id;
  }
  // June 2026: the probe ran every minute; 45 minutes of failed probes (band A
  // by availability, B by the outage).
  int64_t from = ok_value(core::month_range("2026-06", 480)).from;
  std::vector<store::AvailabilityMinute> rows;
  for (int64_t i = 0; i < 30 * 1440; ++i) {
    store::AvailabilityMinute m;
    m.minute = from + i * 60;
    (i >= 100 && i < 145 ? m.probes_failed : m.probes_ok) = 1;
    rows.push_back(m);
  }
  ASSERT_TRUE(st->add_availability({}, rows).ok());
  store::Package p;
  p.tenant_id = t.tenant_id;
  p.package_id = store::new_id("pkg_");
  p.kind = store::PackageKind::kUnlimited;
  p.starts_at = from - 86400;
  p.expires_at = from + 300 * 86400;
  p.created_at = p.starts_at;
  ASSERT_TRUE(st->add_package({}, p).ok());

  auto bad = admin("GET", "/admin/v1/sla/report");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(admin("GET", "/admin/v1/sla/report?month=2026-13").status, 400);
  EXPECT_EQ(call("GET", "/admin/v1/sla/report?month=2026-06").status, 401);

  auto r = admin("GET", "/admin/v1/sla/report?month=2026-06&tenant=" + t.tenant_id);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = parse(r);
  EXPECT_EQ(j["final"], true);
  EXPECT_EQ(j["overall"]["unavailable_minutes"], 90);  // both services, summed
  EXPECT_EQ(j["overall"]["signing_unavailable_minutes"], 45);
  EXPECT_EQ(j["incidents"], json::array());
  EXPECT_EQ(j["overall"]["longest_outage_minutes"], 45);
  EXPECT_EQ(j["overall"]["availability_met"], false);
  ASSERT_EQ(j["tenants"].size(), 1u);
  json tj = j["tenants"][0];
  EXPECT_EQ(tj["tenant_id"], t.tenant_id);
  EXPECT_EQ(tj["band"], "B");
  ASSERT_EQ(tj["compensation"].size(), 1u);
  EXPECT_EQ(tj["compensation"][0]["kind"], "days");
  EXPECT_EQ(tj["compensation"][0]["amount"], 10);  // unlimited: top tier, band B
  ASSERT_EQ(tj["credits"].size(), 1u);
  std::string credit_id = tj["credits"][0]["credit_id"];
  EXPECT_EQ(tj["credits"][0]["state"], "proposed");

  auto list = admin("GET", "/admin/v1/sla/credits?month=2026-06");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(parse(list)["credits"].size(), 1u);

  auto ap = admin("POST", "/admin/v1/sla/credits/" + credit_id + "/approve");
  ASSERT_EQ(ap.status, 200) << ap.body;
  json aj = parse(ap);
  EXPECT_EQ(aj["state"], "approved");
  EXPECT_EQ(aj["package"]["kind"], "unlimited");
  EXPECT_EQ(aj["package"]["source"], "sla_credit");
  EXPECT_EQ(aj["package"]["starts_at"], p.expires_at);  // extends service after the running package
  EXPECT_EQ(aj["package"]["expires_at"], p.expires_at + 10 * 86400);
  auto again = admin("POST", "/admin/v1/sla/credits/" + credit_id + "/approve");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(admin("POST", "/admin/v1/sla/credits/slc_nope/approve").status, 404);
  int bonus = 0;
  auto pkgs = st->list_packages(t.tenant_id);
  ASSERT_TRUE(pkgs.ok());
  for (const auto& pkg : *pkgs) bonus += pkg.source == "sla_credit";
  EXPECT_EQ(bonus, 1);

  // Maintenance windows: announced now (Wednesday 2026-07-15).
  // Tuesday 2026-07-21: Thu 16, Fri 17, Mon 20 lie between: 3 working days.
  int64_t tue = core::days_from_civil(2026, 7, 21) * 86400 - 8 * 3600;  // 00:00 local
  auto w1 = admin("POST", "/admin/v1/maintenance-windows",
                  json{{"starts_at", tue + 2 * 3600}, {"ends_at", tue + 4 * 3600}, {"description", "upgrade"}}.dump());
  ASSERT_EQ(w1.status, 201) << w1.body;
  EXPECT_EQ(parse(w1)["excluded"], true);
  // Tomorrow is too late to announce planned maintenance: refused (an outage
  // then is an incident, docs/sla.md), and nothing is written.
  auto late = admin("POST", "/admin/v1/maintenance-windows",
                    json{{"starts_at", clock.now() + 86400}, {"ends_at", clock.now() + 90000}}.dump());
  EXPECT_EQ(late.status, 400) << late.body;
  auto w2 = admin("POST", "/admin/v1/maintenance-windows",
                  json{{"starts_at", tue + 5 * 3600}, {"ends_at", tue + 6 * 3600}, {"kind", "fault_drill"}}.dump());
  ASSERT_EQ(w2.status, 201) << w2.body;
  EXPECT_EQ(parse(w2)["kind"], "fault_drill");
  EXPECT_EQ(admin("POST", "/admin/v1/maintenance-windows",
                  json{{"starts_at", clock.now() - 10}, {"ends_at", clock.now() + 10}}.dump())
                .status,
            400);
  auto wl = admin("GET", "/admin/v1/maintenance-windows");
  ASSERT_EQ(wl.status, 200);
  EXPECT_EQ(parse(wl)["windows"].size(), 2u);
  std::string wid = parse(w2)["window_id"];
  EXPECT_EQ(admin("DELETE", "/admin/v1/maintenance-windows/" + wid).status, 204);
  EXPECT_EQ(admin("DELETE", "/admin/v1/maintenance-windows/" + wid).status, 404);
  std::string w1id = parse(w1)["window_id"];
  clock.set(tue + 3 * 3600);  // it has started
  EXPECT_EQ(admin("DELETE", "/admin/v1/maintenance-windows/" + w1id).status, 409);
}

// docs/metering.md "Sandbox", over the Business API of a real duetd: the two
// credentials of one app see separate holders, codes, certificates and
// orders, and the other environment's are answered like unknown ids.
TEST_F(SlaHttpTest, SandboxAndProductionCredentialsSeeSeparateHolders) {
  Tenant t = new_tenant("environments", true);
  auto pkg = admin("POST", "/admin/v1/tenants/" + t.tenant_id + "/packages", json{{"kind", "unlimited"}}.dump());
  ASSERT_EQ(pkg.status, 201) << pkg.body;
  // Each call in its own second: the sandbox limit here is 3 per second.
  auto call_as = [&](const Cred& cred, const std::string& method, const std::string& path, const std::string& body) {
    clock.advance(1);
    return biz(cred, method, path, body);
  };
  const std::string person =
      json{{"name", "张三"}, {"id_number", "110101199003071234"}, {"phone", "13812345678"}}.dump();
  auto sh = call_as(t.sandbox, "POST", "/api/v1/holders", person);
  ASSERT_EQ(sh.status, 201) << sh.body;
  auto ph = call_as(t.production, "POST", "/api/v1/holders", person);
  ASSERT_EQ(ph.status, 201) << ph.body << " (the same person once in each environment)";
  const std::string sbx = parse(sh)["holder_id"], prd = parse(ph)["holder_id"];
  for (const auto& [cred, mine, theirs] : {std::tuple{t.sandbox, sbx, prd}, std::tuple{t.production, prd, sbx}}) {
    auto unknown = call_as(cred, "GET", "/api/v1/holders/hld_doesnotexist", "");
    ASSERT_EQ(unknown.status, 404);
    auto other = call_as(cred, "GET", "/api/v1/holders/" + theirs, "");
    EXPECT_EQ(other.status, 404) << other.body;
    EXPECT_EQ(parse(other)["error"]["code"], parse(unknown)["error"]["code"]);
    EXPECT_EQ(parse(other)["error"]["message"], parse(unknown)["error"]["message"]);
    EXPECT_EQ(call_as(cred, "POST", "/api/v1/holders/" + theirs + "/activation-codes", "").status, 404);
    EXPECT_EQ(call_as(cred, "GET", "/api/v1/holders/" + theirs + "/certificates", "").status, 404);
    EXPECT_EQ(call_as(cred, "POST", "/api/v1/holders/" + theirs + "/lock", "").status, 404);
    const std::string order = json{{"holder_id", theirs}, {"title", "t"}, {"data_base64", "AQ=="}}.dump();
    EXPECT_EQ(call_as(cred, "POST", "/api/v1/orders", order).status, 404);
    auto list = call_as(cred, "GET", "/api/v1/holders", "");
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(parse(list)["holders"].size(), 1u) << list.body;
    EXPECT_EQ(parse(list)["holders"][0]["holder_id"], mine);
    EXPECT_EQ(call_as(cred, "GET", "/api/v1/holders/" + mine, "").status, 200);
  }
}

TEST(SlaObserverTest, ServerReportsEveryAnswerWithTenantAndDuration) {
  core::ManualClock clock(kStart);
  struct Seen {
    std::mutex mu;
    std::vector<std::tuple<std::string, int, int64_t, std::string>> v;
  } seen;
  http::Router router;
  router.get("/fast", [](const http::Request&) {
    http::Response r = http::Response::json(200, "{}");
    r.tenant_id = "ten_a";
    return r;
  });
  // Slow means over the recorder's threshold (1 s here: wide enough that
  // /fast and the 404 stay under it on a loaded machine); a sleep never
  // returns early, so /slow is always over it.
  router.get("/slow", [](const http::Request&) {
    std::this_thread::sleep_for(1050ms);
    http::Response r = http::Response::json(200, "{}");
    r.tenant_id = "ten_a";
    return r;
  });
  router.get("/broken", [](const http::Request&) {
    http::Response r = http::Response::json(500, "{}");
    r.tenant_id = "ten_b";
    return r;
  });
  http::ServerConfig cfg;
  cfg.listen_host = "127.0.0.1";
  cfg.listen_port = 0;
  cfg.threads = 2;
  cfg.access_log = false;
  http::ServerOptions opts;
  auto dir = testing::temp_dir("sla-observer");
  std::filesystem::create_directories(dir);
  store::SqliteStoreOptions so;
  so.quota_order = core::quota_order_rule();
  so.path = (dir / "duet.db").string();
  auto st = ok_value(store::open_sqlite_store(so));
  core::AvailabilityRecorder recorder(*st, clock, /*slow_us=*/1'000'000);
  opts.on_request = [&](const http::RequestOutcome& o) {
    {
      std::lock_guard lock(seen.mu);
      seen.v.emplace_back(std::string(o.route), o.status, o.duration_us, std::string(o.tenant_id));
    }
    recorder.record_request(o.route, o.tenant_id, o.status, o.duration_us);
  };
  http::Server server(cfg, router, opts);
  ASSERT_TRUE(server.start().ok());
  httpclient::HttpClient c;
  std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  for (const char* path : {"/fast", "/slow", "/broken", "/nothing-here", "/healthz"}) {
    httpclient::HttpRequest req;
    req.url = base + path;
    ASSERT_TRUE(c.perform(req).ok());
  }
  server.stop();
  ASSERT_EQ(seen.v.size(), 5u);
  EXPECT_EQ(std::get<0>(seen.v[0]), "/fast");
  EXPECT_EQ(std::get<3>(seen.v[0]), "ten_a");
  EXPECT_GE(std::get<2>(seen.v[1]), 1'050'000);
  EXPECT_EQ(std::get<1>(seen.v[2]), 500);
  EXPECT_EQ(std::get<3>(seen.v[2]), "ten_b");
  EXPECT_EQ(std::get<0>(seen.v[3]), "unmatched");
  EXPECT_EQ(std::get<1>(seen.v[3]), 404);
  ASSERT_TRUE(recorder.flush().ok());
  int64_t minute = core::minute_of(clock.now());
  auto svc = ok_value(st->list_availability("", minute, minute + 60));
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_EQ(svc[0].requests, 4);  // /healthz is not counted
  EXPECT_EQ(svc[0].normal, 2);    // /fast and the 404; /slow (over the threshold) and /broken are not
  auto a = ok_value(st->list_availability("ten_a", minute, minute + 60));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].requests, 2);
  EXPECT_EQ(a[0].normal, 1);
  EXPECT_GE(a[0].max_us, 1'050'000);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace duet::server
