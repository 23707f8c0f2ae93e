// Test-only fixture of the SLA units' tests (sla_report, sla_service,
// compensation, availability, rate_limit): the core store fixture
// (core/test_fixture.h) with the SLA service on a +08:00 calendar, June 2026
// as the month under test, and helpers that write tenants, packages, usage and
// availability minutes directly (usage through SQLite itself: metering has
// its own tests).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/sla_report.h"
#include "core/sla_service.h"
#include "core/test_fixture.h"
#include "store/ids.h"

namespace duet::core {

inline constexpr int kOffset = 480;                   // +08:00
inline constexpr int64_t kMonthMinutes = 30 * 24 * 60;  // June: 43,200 minutes

// Unix time of a local (+08:00) date and time.
inline int64_t local(int64_t y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - kOffset * 60;
}

class SlaTest : public CoreStoreTest {
 protected:
  SlaTest() : CoreStoreTest("duet-sla-", 1'780'000'000) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreStoreTest::SetUp());
    SlaConfig cfg;
    cfg.calendar.utc_offset_minutes = kOffset;
    sla = std::make_unique<SlaService>(*deps, cfg);
    month_from = local(2026, 6, 1);
    month_to = local(2026, 7, 1);
    ASSERT_EQ(month_to - month_from, kMonthMinutes * 60);
  }
  void TearDown() override {
    sla.reset();
    CoreStoreTest::TearDown();
  }

  std::string tenant(const std::string& name) {
    store::Tenant t;
    t.tenant_id = store::new_id("ten_");
    t.name = name;
    t.created_at = local(2026, 5, 1);
    t.production_active_from = t.created_at;  // the SLA period starts at the activation date
    EXPECT_TRUE(store_->create_tenant({}, t).ok());
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
    auto s = store_->add_package({}, p);
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
    auto s = store_->add_availability({}, rows);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }

  SlaMonthlyReport report(const std::string& tenant_id = "") {
    auto r = sla->report({}, "2026-06", tenant_id, month_to + 3600);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : SlaMonthlyReport{};
  }

  const TenantSlaReport& of(const SlaMonthlyReport& r, const std::string& tenant_id) {
    for (const auto& t : r.tenants)
      if (t.tenant.tenant_id == tenant_id) return t;
    ADD_FAILURE() << "tenant missing from the report";
    return r.tenants.front();
  }

  std::unique_ptr<SlaService> sla;
  int64_t month_from = 0, month_to = 0;
};

}  // namespace duet::core
