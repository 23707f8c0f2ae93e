// Metering JSON and term arithmetic (issue 5 item 1). The HTTP flow against a
// running daemon (402 quota_exhausted, notices, webhook) is
// ServerTest.MeteringQuotaNoticesAndWebhook in server_test.cc.
#include <gtest/gtest.h>

#include "core/metering.h"
#include "server/metering_views.h"

namespace duet::server {
namespace {

using nlohmann::json;

TEST(Metering, OneYearTermIsTheSameCalendarDate) {
  // 2026-11-27T01:02:03Z -> 2027-11-27T01:02:03Z (365 days).
  EXPECT_EQ(core::one_year_after(1795741323), 1795741323 + 365 * 86400);
  // 2027-03-01T00:00:00Z -> 2028-03-01 crosses 29 Feb 2028 (366 days).
  EXPECT_EQ(core::one_year_after(1803859200), 1803859200 + 366 * 86400);
  // 2028-02-29T12:00:00Z -> 2029-03-01T12:00:00Z.
  EXPECT_EQ(core::one_year_after(1835438400), 1835438400 + 366 * 86400);
}

TEST(Metering, PackageStateAndRemainingVoidAtExpiry) {
  store::Package p;
  p.package_id = "pkg_1";
  p.kind = store::PackageKind::kPerSignature;
  p.quantity = 10'000;
  p.used = 9'000;
  p.starts_at = 100;
  p.expires_at = 1'000;
  json j = package_json(p, 99);
  EXPECT_EQ(j["status"], "scheduled");
  j = package_json(p, 100);
  EXPECT_EQ(j["status"], "active");
  EXPECT_EQ(j["remaining"], 1'000);
  EXPECT_EQ(j["kind"], "per_signature");
  j = package_json(p, 999);
  EXPECT_EQ(j["remaining"], 1'000);
  j = package_json(p, 1'000);  // the exact instant of expiry
  EXPECT_EQ(j["status"], "ended");
  EXPECT_EQ(j["remaining"], 0);
  p.used = 10'000;
  EXPECT_EQ(package_json(p, 500)["status"], "exhausted");
  p.kind = store::PackageKind::kUnlimited;
  p.quantity = 0;
  p.used = 0;
  j = package_json(p, 500);
  EXPECT_TRUE(j["quantity"].is_null());
  EXPECT_TRUE(j["remaining"].is_null());
  EXPECT_EQ(j["status"], "active");
}

TEST(Metering, ParseNewPackage) {
  auto ok = parse_new_package(json{{"kind", "per_user"}, {"quantity", 1000}, {"starts_at", 5}, {"note", "PO 7"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->kind, store::PackageKind::kPerUser);
  EXPECT_EQ(ok->quantity, 1000);
  EXPECT_EQ(ok->starts_at, 5);
  EXPECT_EQ(ok->note, "PO 7");
  EXPECT_TRUE(parse_new_package(json{{"kind", "unlimited"}}).ok());
  for (const json& bad : {json{{"kind", "per_signature"}}, json{{"kind", "gold"}, {"quantity", 10000}},
                          json{{"quantity", 10000}}, json{{"kind", "unlimited"}, {"quantity", 5}},
                          json{{"kind", "per_signature"}, {"quantity", "10000"}}, json::array()}) {
    auto r = parse_new_package(bad);
    EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument) << bad.dump();
  }
}

}  // namespace
}  // namespace duet::server
