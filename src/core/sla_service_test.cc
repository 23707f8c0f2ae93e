// The SLA service (core/sla_service.h) on synthetic months: minute rows are
// inserted through the store (a real SQLite file), then the monthly report,
// the bands, the credits and their approval are checked.
#include <gtest/gtest.h>

#include "core/availability_services.h"
#include "core/compensation.h"
#include "core/sla_service.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

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
  EXPECT_TRUE(ok_value(store_->list_sla_credits(t, "2026-06")).empty());
}

TEST_F(SlaTest, BandAPerSignatureCreditCappedAtAverageUsage) {
  std::string big = tenant("uses-a-lot");
  std::string small = tenant("uses-little");
  package(big, store::PackageKind::kPerSignature, 100'000);    // tier 100k: 1.5 % in band A
  package(small, store::PackageKind::kPerSignature, 100'000);
  usage(big, 5'000);
  usage(small, 800);
  // 43 minutes of failed probes, longest 25: both services down in each,
  // 86 unavailable minutes (§4.3: the two services' times are summed).
  month_with_outages({{1000, 25}, {20000, 18}});
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.unavailable_minutes, 86);
  EXPECT_EQ(r.overall.signing_unavailable_minutes, 43);
  EXPECT_EQ(r.overall.certificate_unavailable_minutes, 43);
  EXPECT_EQ(r.overall.longest_outage_minutes, 25);
  EXPECT_EQ(r.overall.longest_outage_start, month_from + 1000 * 60);
  EXPECT_NEAR(r.overall.availability_pct, 99.8009, 1e-4);
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
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  ASSERT_EQ(stored->size(), 2u);
  for (const auto& c : *stored) EXPECT_EQ(c.state, store::SlaCreditState::kProposed);
  // Reporting again proposes nothing new.
  report();
  EXPECT_EQ(ok_value(store_->list_sla_credits("", "2026-06")).size(), 2u);
}

TEST_F(SlaTest, BandAAvailabilityWithA45MinuteOutageMovesToB) {
  std::string t = tenant("long-outage");
  package(t, store::PackageKind::kPerSignature, 100'000);
  usage(t, 10'000);
  month_with_outages({{5000, 45}});
  SlaMonthlyReport r = report(t);
  ASSERT_EQ(r.tenants.size(), 1u);
  const auto& tr = r.tenants[0];
  EXPECT_EQ(tr.figures.unavailable_minutes, 90);  // both services
  EXPECT_EQ(tr.figures.longest_outage_minutes, 45);
  EXPECT_TRUE(tr.figures.availability_at_least(9950));  // band A by availability …
  ASSERT_EQ(tr.credits.size(), 1u);
  EXPECT_EQ(tr.credits[0].band, Band::kB);               // … band B by the outage
  EXPECT_EQ(tr.credits[0].amount, 4'000);                // 4 % of 100,000
}

TEST_F(SlaTest, BandBPerUserTenantGetsFreeDays) {
  std::string t = tenant("per-user");
  package(t, store::PackageKind::kPerUser, 20'000);  // tier 10k: 2 / 7 / 15 days
  // 216 minutes with both services down: 432 = 1 %
  month_with_outages({{100, 50}, {3000, 50}, {9000, 50}, {15000, 50}, {30000, 16}});
  SlaMonthlyReport r = report();
  const auto& tr = of(r, t);
  EXPECT_EQ(tr.figures.unavailable_minutes, 432);
  EXPECT_EQ(tr.figures.longest_outage_minutes, 50);
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
  month_with_outages({{0, 60}}, {{10000, 840}});  // 900 minutes down (both services), 840 of them unrecorded
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.unavailable_minutes, 1800);
  EXPECT_EQ(r.overall.unrecorded_minutes, 840);
  EXPECT_EQ(r.overall.longest_outage_minutes, 840);
  EXPECT_LT(r.overall.availability_pct, 98.0);
  EXPECT_EQ(of(r, sig).credits.at(0).band, Band::kC);
  EXPECT_EQ(of(r, sig).credits.at(0).amount, 700);
  EXPECT_EQ(of(r, usr).credits.at(0).amount, 10);

  OperatorContext op{"ops", "operator"};
  UnixSeconds now = month_to + 86400;
  auto credits = store_->list_sla_credits(sig, "2026-06");
  ASSERT_TRUE(credits.ok()) << credits.error().to_string();
  ASSERT_EQ(credits->size(), 1u);
  auto approved = sla->approve(op, (*credits)[0].credit_id, now);
  ASSERT_TRUE(approved.ok()) << approved.error().to_string();
  EXPECT_EQ(approved->state, store::SlaCreditState::kApproved);
  auto again = sla->approve(op, (*credits)[0].credit_id, now + 5);
  EXPECT_EQ(again.code(), ErrorCode::kConflict);
  auto pkgs = store_->list_packages(sig);
  ASSERT_TRUE(pkgs.ok()) << pkgs.error().to_string();
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
  ASSERT_TRUE(ucredits.ok()) << ucredits.error().to_string();
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
  EXPECT_EQ(ok_value(store_->find_sla_credit((*credits)[0].credit_id)).state, store::SlaCreditState::kApproved);
}

TEST_F(SlaTest, MaintenanceAnnouncedThreeWorkingDaysAheadIsExcludedTwoIsNot) {
  std::string t = tenant("maintenance");
  // Friday 2026-06-05 02:00–04:00 local, nothing recorded (the service was down for it).
  int64_t start_idx = (local(2026, 6, 5, 2) - month_from) / 60;
  month_with_outages({}, {{start_idx, 120}});
  store::MaintenanceWindow w{store::new_id("mnt_"), local(2026, 6, 5, 2), local(2026, 6, 5, 4),
                             local(2026, 6, 1, 18), "upgrade", "ops"};  // Monday: Tue Wed Thu
  ASSERT_TRUE(store_->create_maintenance_window({}, w).ok());
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.excluded_minutes, 120);
  EXPECT_EQ(r.overall.unavailable_minutes, 0);
  EXPECT_EQ(r.overall.available_minutes, kMonthMinutes - 120);
  EXPECT_DOUBLE_EQ(r.overall.availability_pct, 100.0);
  EXPECT_TRUE(of(r, t).credits.empty());

  // The same window announced on Tuesday (2 working days ahead) counts.
  ASSERT_TRUE(store_->delete_maintenance_window({}, w.window_id, w.starts_at - 1).ok());
  w.window_id = store::new_id("mnt_");
  w.announced_at = local(2026, 6, 2, 9);
  ASSERT_TRUE(store_->create_maintenance_window({}, w).ok());
  r = report();
  EXPECT_EQ(r.overall.excluded_minutes, 0);
  EXPECT_EQ(r.overall.unavailable_minutes, 240);  // nothing recorded: both services down
  EXPECT_EQ(r.overall.longest_outage_minutes, 120);
  EXPECT_EQ(band_for(r.overall), Band::kB);  // 99.44 % and 120 minutes: band B both ways
}

TEST_F(SlaTest, TenantsAndTheProbeTakePartTogetherPerService) {
  // Ten tenants; minute 10: nine of them served normally on the signing
  // service while the probe failed (9 of 10 participants: signing up; the
  // certificate service had only the failed probe: down). Minutes 20–22:
  // no traffic, the probe failed: both down.
  std::vector<std::string> ts;
  for (int k = 0; k < 10; ++k) ts.push_back(tenant("t" + std::to_string(k)));
  month_with_outages({{10, 1}, {20, 3}});
  std::vector<store::AvailabilityMinute> rows;
  for (int k = 0; k < 9; ++k) {
    rows.push_back({ts[k], month_from + 600, 5, 5, 50'000, 20'000, 0, 0});
    rows.push_back({service_availability_row(SlaServiceKind::kSigning, ts[k]), month_from + 600, 5, 5, 50'000, 20'000, 0, 0});
  }
  ASSERT_TRUE(store_->add_availability({}, rows).ok());
  SlaMonthlyReport r = report();
  EXPECT_EQ(r.overall.signing_unavailable_minutes, 3);
  EXPECT_EQ(r.overall.certificate_unavailable_minutes, 4);
  EXPECT_EQ(r.overall.traffic_minutes, 1);
  const auto& tr = of(r, ts[0]);
  EXPECT_EQ(tr.figures.unavailable_minutes, 7);  // the service's verdict, for every tenant
  EXPECT_EQ(tr.figures.requests, 5);
  EXPECT_DOUBLE_EQ(tr.figures.avg_ms, 10.0);
  EXPECT_DOUBLE_EQ(tr.figures.max_ms, 20.0);
  EXPECT_EQ(of(r, ts[9]).figures.requests, 0);

  // With one more of them failing (8 of 10), signing is down in minute 10 too.
  ASSERT_TRUE(store_->add_availability({}, {{service_availability_row(SlaServiceKind::kSigning, ts[8]), month_from + 600, 1, 0, 10, 10, 0, 0}}).ok());
  EXPECT_EQ(report().overall.signing_unavailable_minutes, 4);
}

TEST_F(SlaTest, LifetimeStartsAtTheFirstRecordAndTheRunningMonthStopsAtTheLastMinute) {
  // The service started on June 10: earlier minutes are not judged.
  std::vector<store::AvailabilityMinute> rows;
  UnixSeconds start = local(2026, 6, 10);
  for (UnixSeconds m = start; m < start + 3600; m += 60) rows.push_back({"", m, 0, 0, 0, 0, 1, 0});
  ASSERT_TRUE(store_->add_availability({}, rows).ok());
  // Report while the month runs, 2 hours after the start: the second hour has no record.
  auto r = sla->report({}, "2026-06", "", start + 7200 + 30);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->final);
  EXPECT_EQ(r->overall.from, start);
  EXPECT_EQ(r->evaluated_to, start + 7200 - 60);
  // 119 minutes counted; 59 unrecorded ones are down for both services.
  EXPECT_EQ(r->overall.unavailable_minutes, 118);
  EXPECT_EQ(r->overall.available_minutes, 1);
  EXPECT_TRUE(ok_value(store_->list_sla_credits("", "2026-06")).empty());  // nothing proposed before the month ends
}

// Changing an announced window (docs/sla.md "Exclusions", issue 14 item 6):
// moved or extended it is a new announcement and needs the notice period from
// the day of the change; narrowed it keeps its announcement; every tenant is
// told of each change; a window that has started is not changed.
TEST_F(SlaTest, AChangedWindowIsAnnouncedAnewUnlessItOnlyNarrows) {
  std::string t = tenant("changes");
  OperatorContext op{"ops", "operator"};
  auto changed_notices = [&] {
    size_t n = 0;
    for (const auto& x : ok_value(store_->list_notices(t, 100))) n += x.kind == store::NoticeKind::kMaintenanceChanged;
    return n;
  };
  // Announced Monday 2026-06-08 for Friday 02:00-04:00 (Tue, Wed, Thu between).
  auto w = sla->create_window(op, local(2026, 6, 12, 2), local(2026, 6, 12, 4), "upgrade", local(2026, 6, 8, 9));
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  const std::string id = w->window_id;
  using Change = SlaService::WindowChange;

  // Tuesday: extending it by an hour is two working days' notice: refused, nothing written.
  auto late = sla->change_window(op, id, Change{std::nullopt, local(2026, 6, 12, 5), std::nullopt}, local(2026, 6, 9, 9));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(late.error().to_string().find("3 whole working days after the day of the change"), std::string::npos);
  EXPECT_EQ(ok_value(store_->get_maintenance_window(id)).ends_at, local(2026, 6, 12, 4));
  EXPECT_EQ(changed_notices(), 0u);

  // Tuesday: moved to Monday 06-15 (Wed, Thu, Fri between): a new announcement, excluded.
  auto moved = sla->change_window(op, id, Change{local(2026, 6, 15, 2), local(2026, 6, 15, 4), std::nullopt},
                                  local(2026, 6, 9, 9));
  ASSERT_TRUE(moved.ok()) << moved.error().to_string();
  EXPECT_EQ(moved->announced_at, local(2026, 6, 9, 9));
  EXPECT_TRUE(sla->excluded(*moved));
  EXPECT_EQ(ok_value(store_->get_maintenance_window(id)).starts_at, local(2026, 6, 15, 2));
  EXPECT_EQ(changed_notices(), 1u);

  // Friday 06-12: narrowed to 02:30-03:30 (and described better): no new
  // minute, so the Tuesday announcement still holds and it stays excluded.
  auto narrowed = sla->change_window(op, id, Change{local(2026, 6, 15, 2, 30), local(2026, 6, 15, 3, 30),
                                                    std::string("upgrade, shorter")},
                                     local(2026, 6, 12, 10));
  ASSERT_TRUE(narrowed.ok()) << narrowed.error().to_string();
  EXPECT_EQ(narrowed->announced_at, local(2026, 6, 9, 9));
  EXPECT_TRUE(sla->excluded(*narrowed));
  EXPECT_EQ(narrowed->description, "upgrade, shorter");
  EXPECT_EQ(changed_notices(), 2u);
  // Friday: moving it half an hour earlier is a new minute, and too late now.
  auto earlier = sla->change_window(op, id, Change{local(2026, 6, 15, 2), std::nullopt, std::nullopt},
                                    local(2026, 6, 12, 10));
  ASSERT_FALSE(earlier.ok());
  EXPECT_EQ(earlier.error().code, ErrorCode::kInvalidArgument);

  // Nothing changed: nothing written, nobody told.
  auto same = sla->change_window(op, id, Change{local(2026, 6, 15, 2, 30), std::nullopt, std::nullopt},
                                 local(2026, 6, 12, 11));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(changed_notices(), 2u);
  // A bad change, an unknown window, a window that has started.
  EXPECT_EQ(sla->change_window(op, id, Change{local(2026, 6, 15, 4), std::nullopt, std::nullopt}, local(2026, 6, 12, 11))
                .error().code, ErrorCode::kInvalidArgument);  // would end before it starts
  EXPECT_EQ(sla->change_window(op, "mnt_nobody", Change{std::nullopt, std::nullopt, std::string("x")},
                               local(2026, 6, 12, 11)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sla->change_window(op, id, Change{std::nullopt, local(2026, 6, 15, 3), std::nullopt},
                               local(2026, 6, 15, 2, 30)).error().code, ErrorCode::kConflict);
  EXPECT_EQ(changed_notices(), 2u);
}

}  // namespace
}  // namespace duet::core
