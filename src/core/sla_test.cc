// SLA accounting and compensation on synthetic months: minute rows are
// inserted directly through the store (a real SQLite file), then the monthly
// report, the bands, the credits and their approval are checked.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/availability.h"
#include "core/compensation.h"
#include "core/quota_order.h"
#include "core/rate_limit.h"
#include "core/sla_report.h"
#include "core/sla_service.h"
#include "keys/data_protector.h"
#include "store/ids.h"
#include "store/sqlite_store.h"

namespace duet::core {
namespace {

constexpr int kOffset = 480;  // +08:00
constexpr int64_t kMonthMinutes = 30 * 24 * 60;  // June: 43,200 minutes

int64_t local(int64_t y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - kOffset * 60;
}

class SlaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("duet-sla-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store::SqliteStoreOptions opts;
    opts.quota_order = core::quota_order_rule();
    opts.path = (dir / "duet.db").string();
    auto s = store::open_sqlite_store(opts);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(*s);
    protector = std::move(*keys::open_local_key_file((dir / "kek.key").string(), true));
    deps = std::make_unique<CoreDeps>(CoreDeps{*store_, *protector, clock, crypto::SystemRandom::instance(),
                                               CoreConfig{}, metrics});
    SlaConfig cfg;
    cfg.calendar.utc_offset_minutes = kOffset;
    sla = std::make_unique<SlaService>(*deps, cfg);
    month_from = local(2026, 6, 1);
    month_to = local(2026, 7, 1);
    ASSERT_EQ(month_to - month_from, kMonthMinutes * 60);
  }
  void TearDown() override {
    sla.reset();
    store_.reset();
    std::filesystem::remove_all(dir);
  }

  std::string tenant(const std::string& name) {
    store::Tenant t;
    t.tenant_id = store::new_id("ten_");
    t.name = name;
    t.created_at = local(2026, 5, 1);
    EXPECT_TRUE(store_->create_tenant(t).ok());
    return t.tenant_id;
  }

  void package(const std::string& tenant_id, store::PackageKind kind, int64_t quantity) {
    store::Package p;
    p.tenant_id = tenant_id;
    p.package_id = store::new_id("pkg_");
    p.kind = kind;
    p.quantity = quantity;
    p.starts_at = local(2026, 6, 1);
    p.expires_at = local(2027, 6, 1);
    p.created_at = p.starts_at;
    auto s = store_->add_package(p);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }

  // Usage records written directly (metering has its own tests): `n` signatures in June.
  void usage(const std::string& tenant_id, int64_t n) {
    auto pkgs = store_->list_packages(tenant_id);
    ASSERT_TRUE(pkgs.ok() && !pkgs->empty());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "duet.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO usage_records (tenant_id, usage_id, package_id, kind, order_id, "
                                 "item_index, holder_id, counted_at) VALUES (?1, ?2, ?3, 'per_signature', ?4, 0, "
                                 "'hld_x', ?5)",
                                 -1, &st, nullptr),
              SQLITE_OK);
    for (int64_t i = 0; i < n; ++i) {
      std::string uid = store::new_id("use_"), oid = store::new_id("ord_");
      sqlite3_bind_text(st, 1, tenant_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, uid.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 3, (*pkgs)[0].package_id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 4, oid.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(st, 5, month_from + 3600 + i);
      ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }

  // The service probed every minute of June; `down` runs (start minute
  // index, length) failed their probe; tenants had no traffic.
  void month_with_outages(const std::vector<std::pair<int64_t, int64_t>>& down,
                          const std::vector<std::pair<int64_t, int64_t>>& unrecorded = {}) {
    std::vector<store::AvailabilityMinute> rows;
    rows.reserve(kMonthMinutes);
    for (int64_t i = 0; i < kMonthMinutes; ++i) {
      bool skip = false;
      for (auto [s, n] : unrecorded)
        if (i >= s && i < s + n) skip = true;
      if (skip) continue;
      bool failed = false;
      for (auto [s, n] : down)
        if (i >= s && i < s + n) failed = true;
      store::AvailabilityMinute m;
      m.minute = month_from + i * 60;
      (failed ? m.probes_failed : m.probes_ok) = 1;
      rows.push_back(m);
    }
    auto s = store_->add_availability(rows);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }

  SlaMonthlyReport report(const std::string& tenant_id = "") {
    auto r = sla->report("2026-06", tenant_id, month_to + 3600);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : SlaMonthlyReport{};
  }

  const TenantSlaReport& of(const SlaMonthlyReport& r, const std::string& tenant_id) {
    for (const auto& t : r.tenants)
      if (t.tenant.tenant_id == tenant_id) return t;
    ADD_FAILURE() << "tenant missing from the report";
    return r.tenants.front();
  }

  std::filesystem::path dir;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::DataProtector> protector;
  ManualClock clock{1'780'000'000};
  CoreMetrics metrics;
  std::unique_ptr<CoreDeps> deps;
  std::unique_ptr<SlaService> sla;
  int64_t month_from = 0, month_to = 0;
};

// ---- calendar and pure rules -------------------------------------------------

TEST(SlaCalendarTest, MonthsAndWorkingDays) {
  auto m = month_range("2026-06", kOffset);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->from, local(2026, 6, 1));
  EXPECT_EQ(m->to, local(2026, 7, 1));
  EXPECT_EQ(month_range("2026-12", kOffset)->to, local(2027, 1, 1));
  EXPECT_FALSE(month_range("2026-13", kOffset).ok());
  EXPECT_FALSE(month_range("26-01", kOffset).ok());
  EXPECT_EQ(month_of(local(2026, 6, 30, 23, 59), kOffset), "2026-06");
  EXPECT_EQ(month_of(local(2026, 7, 1), kOffset), "2026-07");
  EXPECT_EQ(month_of(local(2026, 7, 1), 0), "2026-06");  // 16:00 UTC on 30 June

  SlaCalendar cal;
  cal.utc_offset_minutes = kOffset;
  // 2026-06-01 is a Monday.
  EXPECT_TRUE(cal.is_working_day(*parse_date("2026-06-01")));
  EXPECT_FALSE(cal.is_working_day(*parse_date("2026-06-06")));  // Saturday
  EXPECT_FALSE(cal.is_working_day(*parse_date("2026-06-07")));  // Sunday
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 1, 23, 59), local(2026, 6, 5, 0, 1)), 3);  // Tue Wed Thu
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 2, 9), local(2026, 6, 5, 2)), 2);
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 5, 9), local(2026, 6, 10, 2)), 2);  // Mon Tue over a weekend
  cal.holidays.insert(*parse_date("2026-06-03"));
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 1, 10), local(2026, 6, 5, 2)), 2);
  cal.working_weekends.insert(*parse_date("2026-06-06"));
  EXPECT_EQ(cal.working_days_between(local(2026, 6, 5, 9), local(2026, 6, 10, 2)), 3);
  EXPECT_FALSE(parse_date("2026-02-30").ok());

  EXPECT_EQ(one_year_after(local(2026, 6, 15, 10), kOffset), local(2027, 6, 15, 10));
  EXPECT_EQ(one_year_after(local(2028, 2, 29, 10), kOffset), local(2029, 3, 1, 10));
}

TEST(SlaRulesTest, NormalAnswers) {
  EXPECT_TRUE(is_normal_answer(200, 2'999'999));
  EXPECT_FALSE(is_normal_answer(200, 3'000'000));  // "under 3 s"
  EXPECT_TRUE(is_normal_answer(404, 10));
  EXPECT_TRUE(is_normal_answer(429, 10));
  EXPECT_FALSE(is_normal_answer(500, 10));
  EXPECT_FALSE(is_normal_answer(503, 10));
  EXPECT_FALSE(counts_for_availability("/healthz"));
  EXPECT_TRUE(counts_for_availability("/api/v1/orders"));
}

TEST(SlaRulesTest, NinetyPercentBoundaryAndProbeMinutes) {
  std::vector<store::AvailabilityMinute> svc;
  auto row = [](UnixSeconds m, int64_t req, int64_t normal, int64_t ok, int64_t failed) {
    store::AvailabilityMinute r;
    r.minute = m;
    r.requests = req;
    r.normal = normal;
    r.total_us = req * 1000;
    r.max_us = req ? 5000 : 0;
    r.probes_ok = ok;
    r.probes_failed = failed;
    return r;
  };
  svc.push_back(row(0, 10, 9, 0, 0));     // 90 %: available
  svc.push_back(row(60, 10, 8, 1, 0));    // 80 %: unavailable (traffic decides, not the probe)
  svc.push_back(row(120, 0, 0, 1, 0));    // no traffic, probe ok
  svc.push_back(row(180, 0, 0, 0, 1));    // no traffic, probe failed
  // 240: no row at all: down
  svc.push_back(row(300, 1000, 900, 0, 0));
  SlaFigures f = evaluate_minutes(0, 360, svc, svc, {}, true);
  EXPECT_EQ(f.available_minutes, 3);
  EXPECT_EQ(f.unavailable_minutes, 3);
  EXPECT_EQ(f.unrecorded_minutes, 1);
  EXPECT_EQ(f.traffic_minutes, 3);
  EXPECT_EQ(f.probe_minutes, 2);
  EXPECT_EQ(f.longest_outage_minutes, 2);  // 180, 240
  EXPECT_EQ(f.longest_outage_start, 180);
  EXPECT_EQ(f.requests, 1020);
  EXPECT_DOUBLE_EQ(f.avg_ms, 1.0);
  EXPECT_DOUBLE_EQ(f.max_ms, 5.0);
  EXPECT_DOUBLE_EQ(f.availability_pct, 50.0);

  // A tenant without traffic in a minute: the service's probe decides; with
  // no probe, the service's traffic.
  std::vector<store::AvailabilityMinute> own{row(60, 5, 5, 0, 0)};
  std::vector<store::AvailabilityMinute> svc2{row(0, 10, 10, 0, 0), row(60, 10, 5, 0, 0), row(120, 0, 0, 0, 1)};
  SlaFigures t = evaluate_minutes(0, 180, own, svc2, {}, false);
  EXPECT_EQ(t.available_minutes, 2);    // 0 (service traffic normal), 60 (own traffic all normal)
  EXPECT_EQ(t.unavailable_minutes, 1);  // 120 (probe failed)
  EXPECT_EQ(t.requests, 5);
}

TEST(SlaRulesTest, BandsAndOutageMoves) {
  SlaFigures f;
  auto set = [&](int64_t unavailable, int64_t longest) {
    f.unavailable_minutes = unavailable;
    f.available_minutes = kMonthMinutes - unavailable;
    f.longest_outage_minutes = longest;
    return band_for(f);
  };
  EXPECT_EQ(set(0, 0), Band::kNone);
  EXPECT_EQ(set(21, 21), Band::kNone);   // 99.951 %
  EXPECT_EQ(set(22, 10), Band::kA);      // 99.949 %
  EXPECT_EQ(set(216, 30), Band::kA);     // exactly 99.5 %
  EXPECT_EQ(set(216, 31), Band::kB);     // outage longer than band A allows
  EXPECT_EQ(set(43, 45), Band::kB);
  EXPECT_EQ(set(217, 30), Band::kB);     // 99.4977 %
  EXPECT_EQ(set(864, 120), Band::kB);    // exactly 98 %
  EXPECT_EQ(set(864, 121), Band::kC);
  EXPECT_EQ(set(100, 150), Band::kC);    // A, then B, then C
  EXPECT_EQ(set(865, 10), Band::kC);
}

TEST(SlaRulesTest, CreditAmountsByTier) {
  CompensationTable table = CompensationTable::defaults();
  ASSERT_TRUE(table.validate().ok());
  SlaFigures f;
  f.available_minutes = kMonthMinutes - 100;
  f.unavailable_minutes = 100;  // band A
  f.longest_outage_minutes = 20;
  PurchaseProfile p;
  p.signatures = 10'000;
  auto c = compute_credits(table, f, p, 1'000'000);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].amount, 100);  // 1 %
  p.signatures = 10'000'000;
  EXPECT_EQ(compute_credits(table, f, p, 1'000'000)[0].amount, 250'000);  // 2.5 %
  EXPECT_EQ(compute_credits(table, f, p, 7'000)[0].amount, 7'000);        // capped at average usage
  EXPECT_TRUE(compute_credits(table, f, p, 0).empty());                   // nothing used: nothing due
  f.unavailable_minutes = 1000;  // band C
  f.available_minutes = kMonthMinutes - 1000;
  p.signatures = 12'345;
  EXPECT_EQ(compute_credits(table, f, p, 1'000'000)[0].amount, 865);  // ceil(7 % of 12,345)
  PurchaseProfile u;
  u.users = 5'000;
  auto d = compute_credits(table, f, u, 0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, store::SlaCreditKind::kDays);
  EXPECT_EQ(d[0].amount, 10);
  PurchaseProfile unl;
  unl.unlimited = true;
  EXPECT_EQ(compute_credits(table, f, unl, 0)[0].amount, 20);  // top tier

  CompensationTable broken = table;
  broken.signature_tiers[1].min_quantity = 0;
  EXPECT_FALSE(broken.validate().ok());
}

// ---- synthetic months through the store ----------------------------------------

TEST_F(SlaTest, AllAvailableMonthHasNoCredit) {
  std::string t = tenant("all-good");
  package(t, store::PackageKind::kPerSignature, 100'000);
  usage(t, 5'000);
  month_with_outages({});
  SlaMonthlyReport r = report();
  EXPECT_TRUE(r.final);
  EXPECT_EQ(r.overall.available_minutes, kMonthMinutes);
  EXPECT_EQ(r.overall.unavailable_minutes, 0);
  EXPECT_DOUBLE_EQ(r.overall.availability_pct, 100.0);
  const auto& tr = of(r, t);
  EXPECT_EQ(tr.figures.available_minutes, kMonthMinutes);
  EXPECT_TRUE(tr.credits.empty());
  EXPECT_TRUE(store_->list_sla_credits(t, "2026-06")->empty());
}

TEST_F(SlaTest, BandAPerSignatureCreditCappedAtAverageUsage) {
  std::string big = tenant("uses-a-lot");
  std::string small = tenant("uses-little");
  package(big, store::PackageKind::kPerSignature, 100'000);    // tier 100k: 1.5 % in band A
  package(small, store::PackageKind::kPerSignature, 100'000);
  usage(big, 5'000);
  usage(small, 800);
  month_with_outages({{1000, 25}, {20000, 18}});  // 43 minutes, longest 25
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.unavailable_minutes, 43);
  EXPECT_EQ(r.overall.longest_outage_minutes, 25);
  EXPECT_EQ(r.overall.longest_outage_start, month_from + 1000 * 60);
  EXPECT_NEAR(r.overall.availability_pct, 99.9005, 1e-4);
  EXPECT_FALSE(r.overall.availability_at_least(9995));
  EXPECT_EQ(band_for(r.overall), Band::kA);

  const auto& b = of(r, big);
  ASSERT_EQ(b.credits.size(), 1u);
  EXPECT_EQ(b.credits[0].band, Band::kA);
  EXPECT_EQ(b.credits[0].amount, 1'500);  // 1.5 % of 100,000
  const auto& s = of(r, small);
  ASSERT_EQ(s.credits.size(), 1u);
  EXPECT_EQ(s.credits[0].amount, 800);  // capped at the monthly average usage

  auto stored = store_->list_sla_credits("", "2026-06");
  ASSERT_EQ(stored->size(), 2u);
  for (const auto& c : *stored) EXPECT_EQ(c.state, store::SlaCreditState::kProposed);
  // Reporting again proposes nothing new.
  report();
  EXPECT_EQ(store_->list_sla_credits("", "2026-06")->size(), 2u);
}

TEST_F(SlaTest, BandAAvailabilityWithA45MinuteOutageMovesToB) {
  std::string t = tenant("long-outage");
  package(t, store::PackageKind::kPerSignature, 100'000);
  usage(t, 10'000);
  month_with_outages({{5000, 45}});
  SlaMonthlyReport r = report(t);
  ASSERT_EQ(r.tenants.size(), 1u);
  const auto& tr = r.tenants[0];
  EXPECT_EQ(tr.figures.unavailable_minutes, 45);
  EXPECT_EQ(tr.figures.longest_outage_minutes, 45);
  EXPECT_TRUE(tr.figures.availability_at_least(9950));  // band A by availability …
  ASSERT_EQ(tr.credits.size(), 1u);
  EXPECT_EQ(tr.credits[0].band, Band::kB);               // … band B by the outage
  EXPECT_EQ(tr.credits[0].amount, 4'000);                // 4 % of 100,000
}

TEST_F(SlaTest, BandBPerUserTenantGetsFreeDays) {
  std::string t = tenant("per-user");
  package(t, store::PackageKind::kPerUser, 20'000);  // tier 10k: 2 / 7 / 15 days
  month_with_outages({{100, 100}, {3000, 100}, {9000, 100}, {15000, 100}, {30000, 32}});  // 432 = 1 %
  SlaMonthlyReport r = report();
  const auto& tr = of(r, t);
  EXPECT_EQ(tr.figures.unavailable_minutes, 432);
  EXPECT_EQ(tr.figures.longest_outage_minutes, 100);
  EXPECT_NEAR(tr.figures.availability_pct, 99.0, 1e-9);
  ASSERT_EQ(tr.credits.size(), 1u);
  EXPECT_EQ(tr.credits[0].band, Band::kB);
  EXPECT_EQ(tr.credits[0].kind, store::SlaCreditKind::kDays);
  EXPECT_EQ(tr.credits[0].amount, 7);
}

TEST_F(SlaTest, BandCAndTheApprovalGrantsOnePackage) {
  std::string sig = tenant("per-signature");
  std::string usr = tenant("per-user");
  package(sig, store::PackageKind::kPerSignature, 10'000);  // tier 0: 7 % in band C
  package(usr, store::PackageKind::kPerUser, 1'000);        // tier 0: 10 days in band C
  usage(sig, 2'000);
  month_with_outages({{0, 60}}, {{10000, 840}});  // 900 minutes down, 840 of them unrecorded
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.unavailable_minutes, 900);
  EXPECT_EQ(r.overall.unrecorded_minutes, 840);
  EXPECT_EQ(r.overall.longest_outage_minutes, 840);
  EXPECT_LT(r.overall.availability_pct, 98.0);
  EXPECT_EQ(of(r, sig).credits.at(0).band, Band::kC);
  EXPECT_EQ(of(r, sig).credits.at(0).amount, 700);
  EXPECT_EQ(of(r, usr).credits.at(0).amount, 10);

  OperatorContext op{"ops", "operator"};
  UnixSeconds now = month_to + 86400;
  auto credits = store_->list_sla_credits(sig, "2026-06");
  ASSERT_EQ(credits->size(), 1u);
  auto approved = sla->approve(op, (*credits)[0].credit_id, now);
  ASSERT_TRUE(approved.ok()) << approved.error().to_string();
  EXPECT_EQ(approved->state, store::SlaCreditState::kApproved);
  auto again = sla->approve(op, (*credits)[0].credit_id, now + 5);
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  auto pkgs = store_->list_packages(sig);
  int bonus = 0;
  for (const auto& p : *pkgs) {
    if (p.source != "sla_credit") continue;
    ++bonus;
    EXPECT_EQ(p.package_id, approved->package_id);
    EXPECT_EQ(p.kind, store::PackageKind::kPerSignature);
    EXPECT_EQ(p.quantity, 700);
    EXPECT_EQ(p.starts_at, now);
    EXPECT_EQ(p.expires_at, one_year_after(now, kOffset));
  }
  EXPECT_EQ(bonus, 1);

  // Free days extend service after the running package ends.
  auto ucredits = store_->list_sla_credits(usr, "2026-06");
  ASSERT_EQ(ucredits->size(), 1u);
  auto uapproved = sla->approve(op, (*ucredits)[0].credit_id, now);
  ASSERT_TRUE(uapproved.ok()) << uapproved.error().to_string();
  bool found = false;
  auto upkgs = store_->list_packages(usr);
  ASSERT_TRUE(upkgs.ok());
  for (const auto& p : *upkgs) {
    if (p.source != "sla_credit") continue;
    found = true;
    EXPECT_EQ(p.kind, store::PackageKind::kPerUser);
    EXPECT_EQ(p.starts_at, local(2027, 6, 1));
    EXPECT_EQ(p.expires_at, local(2027, 6, 1) + 10 * 86400);
    EXPECT_EQ(p.quantity, 28);  // ceil(1,000 × 10 / 365)
  }
  EXPECT_TRUE(found);
  // An approved credit stays as it is when the month is reported again.
  report();
  EXPECT_EQ(store_->find_sla_credit((*credits)[0].credit_id)->state, store::SlaCreditState::kApproved);
}

TEST_F(SlaTest, MaintenanceAnnouncedThreeWorkingDaysAheadIsExcludedTwoIsNot) {
  std::string t = tenant("maintenance");
  // Friday 2026-06-05 02:00–04:00 local, nothing recorded (the service was down for it).
  int64_t start_idx = (local(2026, 6, 5, 2) - month_from) / 60;
  month_with_outages({}, {{start_idx, 120}});
  store::MaintenanceWindow w{store::new_id("mnt_"), local(2026, 6, 5, 2), local(2026, 6, 5, 4),
                             local(2026, 6, 1, 18), "upgrade", "ops"};  // Monday: Tue Wed Thu
  ASSERT_TRUE(store_->create_maintenance_window(w).ok());
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.excluded_minutes, 120);
  EXPECT_EQ(r.overall.unavailable_minutes, 0);
  EXPECT_EQ(r.overall.available_minutes, kMonthMinutes - 120);
  EXPECT_DOUBLE_EQ(r.overall.availability_pct, 100.0);
  EXPECT_TRUE(of(r, t).credits.empty());

  // The same window announced on Tuesday (2 working days ahead) counts.
  ASSERT_TRUE(store_->delete_maintenance_window(w.window_id, w.starts_at - 1).ok());
  w.window_id = store::new_id("mnt_");
  w.announced_at = local(2026, 6, 2, 9);
  ASSERT_TRUE(store_->create_maintenance_window(w).ok());
  r = report();
  EXPECT_EQ(r.overall.excluded_minutes, 0);
  EXPECT_EQ(r.overall.unavailable_minutes, 120);
  EXPECT_EQ(r.overall.longest_outage_minutes, 120);
  EXPECT_EQ(band_for(r.overall), Band::kB);  // 99.72 % is band A, but 120 > 30 minutes
}

TEST_F(SlaTest, TrafficFreeMinutesAreDecidedByTheProbe) {
  std::string t = tenant("quiet");
  // Tenant traffic in minute 10 (all normal) while the probe failed: traffic decides.
  // Minutes 20–22 without traffic: probe failed → unavailable.
  month_with_outages({{10, 1}, {20, 3}});
  store::AvailabilityMinute own{t, month_from + 600, 5, 5, 50'000, 20'000, 0, 0};
  store::AvailabilityMinute svc{"", month_from + 600, 5, 5, 50'000, 20'000, 0, 0};
  ASSERT_TRUE(store_->add_availability({own, svc}).ok());
  SlaMonthlyReport r = report();
  const auto& tr = of(r, t);
  EXPECT_EQ(tr.figures.unavailable_minutes, 3);
  EXPECT_EQ(tr.figures.traffic_minutes, 1);
  EXPECT_EQ(tr.figures.probe_minutes, kMonthMinutes - 1);
  EXPECT_EQ(tr.figures.requests, 5);
  EXPECT_DOUBLE_EQ(tr.figures.avg_ms, 10.0);
  EXPECT_DOUBLE_EQ(tr.figures.max_ms, 20.0);
  EXPECT_EQ(r.overall.unavailable_minutes, 3);
}

TEST_F(SlaTest, LifetimeStartsAtTheFirstRecordAndTheRunningMonthStopsAtTheLastMinute) {
  // The service started on June 10: earlier minutes are not judged.
  std::vector<store::AvailabilityMinute> rows;
  UnixSeconds start = local(2026, 6, 10);
  for (UnixSeconds m = start; m < start + 3600; m += 60) rows.push_back({"", m, 0, 0, 0, 0, 1, 0});
  ASSERT_TRUE(store_->add_availability(rows).ok());
  // Report while the month runs, 2 hours after the start: the second hour has no record.
  auto r = sla->report("2026-06", "", start + 7200 + 30);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->final);
  EXPECT_EQ(r->overall.from, start);
  EXPECT_EQ(r->evaluated_to, start + 7200 - 60);
  EXPECT_EQ(r->overall.available_minutes, 60);
  EXPECT_EQ(r->overall.unavailable_minutes, 59);
  EXPECT_TRUE(store_->list_sla_credits("", "2026-06")->empty());  // nothing proposed before the month ends
}

// ---- recorder and rate limiter ---------------------------------------------------

TEST_F(SlaTest, RecorderAggregatesAndFlushesAdditively) {
  AvailabilityRecorder a(*store_, clock), b(*store_, clock);  // two "nodes"
  UnixSeconds minute = minute_of(clock.now());
  a.record_request("/api/v1/orders", "ten_1", 200, 1500);
  a.record_request("/api/v1/orders", "ten_1", 503, 700);
  a.record_request("/api/v1/orders", "", 200, 4'000'000);  // slow: not normal
  a.record_request("/healthz", "", 200, 10);               // not service traffic
  a.record_probe(true);
  b.record_request("/app/v1/orders", "ten_1", 200, 300);
  ASSERT_TRUE(a.flush().ok());
  ASSERT_TRUE(b.flush().ok());
  EXPECT_EQ(a.pending_rows(), 0u);
  auto svc = store_->list_availability("", minute, minute + 60);
  ASSERT_EQ(svc->size(), 1u);
  EXPECT_EQ((*svc)[0].requests, 4);
  EXPECT_EQ((*svc)[0].normal, 2);
  EXPECT_EQ((*svc)[0].total_us, 1500 + 700 + 4'000'000 + 300);
  EXPECT_EQ((*svc)[0].max_us, 4'000'000);
  EXPECT_EQ((*svc)[0].probes_ok, 1);
  auto ten = store_->list_availability("ten_1", minute, minute + 60);
  ASSERT_EQ(ten->size(), 1u);
  EXPECT_EQ((*ten)[0].requests, 3);
  EXPECT_EQ((*ten)[0].normal, 2);

  ASSERT_TRUE(run_self_check(*store_, *protector).ok());
}

TEST_F(SlaTest, RecorderKeepsOneRowPerNode) {
  AvailabilityRecorder a(*store_, clock, kSlowAnswerUs, "a"), b(*store_, clock, kSlowAnswerUs, "b");
  UnixSeconds minute = minute_of(clock.now());
  a.record_request("/api/v1/orders", "ten_1", 200, 100);
  a.record_request("/api/v1/orders", "ten_1", 500, 100);
  a.record_probe(true);
  b.record_request("/app/v1/orders", "", 200, 100);
  ASSERT_TRUE(a.flush().ok());
  ASSERT_TRUE(b.flush().ok());
  auto na = store_->list_availability("node:a", minute, minute + 60);
  auto nb = store_->list_availability("node:b", minute, minute + 60);
  ASSERT_EQ(na->size(), 1u);
  ASSERT_EQ(nb->size(), 1u);
  EXPECT_EQ((*na)[0].requests, 2);
  EXPECT_EQ((*na)[0].normal, 1);
  EXPECT_EQ((*na)[0].probes_ok, 1);
  EXPECT_EQ((*nb)[0].requests, 1);
  EXPECT_EQ((*store_->list_availability("", minute, minute + 60))[0].requests, 3);  // the service row: both
}

TEST_F(SlaTest, RateLimiterSandboxAndProduction) {
  std::string t = tenant("limited");
  LimitsConfig lc;
  lc.sandbox_requests_per_second = 3;
  RateLimiter rl(*store_, clock, lc);
  AppContext sandbox{t, "app_s", store::AppEnvironment::kSandbox};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.check(sandbox).allowed) << i;
  RateDecision d = rl.check(sandbox);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1);
  AppContext other{t, "app_s2", store::AppEnvironment::kSandbox};
  EXPECT_TRUE(rl.check(other).allowed);  // per app
  clock.advance(1);
  EXPECT_TRUE(rl.check(sandbox).allowed);  // next window

  AppContext prod{t, "app_p", store::AppEnvironment::kProduction};
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rl.check(prod).allowed);  // unlimited by default
  ASSERT_TRUE(rl.set_tenant_limit(t, 2).ok());
  RateLimiter other_node(*store_, clock, lc);
  ASSERT_TRUE(other_node.refresh().ok());
  EXPECT_EQ(other_node.tenant_limit(t), 2);
  clock.advance(1);
  EXPECT_TRUE(rl.check(prod).allowed);
  EXPECT_TRUE(other_node.check(prod).allowed);
  EXPECT_FALSE(rl.check(prod).allowed);  // the two nodes share the counter
  ASSERT_TRUE(rl.set_tenant_limit(t, 0).ok());
  EXPECT_TRUE(rl.check(prod).allowed);
  EXPECT_EQ(rl.set_tenant_limit("ten_nope", 5).code(), ErrorCode::kNotFound);
}

// A reload that read the store before an operator's change must not undo the change
// when it swaps in its older snapshot (the SLA worker reloads every few seconds while
// the Admin API sets limits).
TEST_F(SlaTest, RateLimiterReloadNeverUndoesANewerChange) {
  std::string t = tenant("raced");
  RateLimiter rl(*store_, clock, LimitsConfig{});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reloads{0};
  std::thread reloader([&] {
    while (!stop.load()) {
      EXPECT_TRUE(rl.refresh().ok());
      reloads.fetch_add(1);
    }
  });
  int stale = 0;
  for (int i = 1; i <= 400; ++i) {
    ASSERT_TRUE(rl.set_tenant_limit(t, i).ok());
    // Wait until a reload has finished after the change: the one under way when the
    // change was made, or a later one.
    uint64_t seen = reloads.load();
    while (reloads.load() < seen + 1) std::this_thread::yield();
    if (rl.tenant_limit(t) != i) ++stale;
  }
  stop = true;
  reloader.join();
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(rl.tenant_limit(t), 400);
}

}  // namespace
}  // namespace duet::core
