// Contract tests of store.h section "sla" (availability minutes, maintenance
// windows, credits, rate-limit counters), run against every backend.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kMinute = StoreContractTest::kNow / 60 * 60;

AvailabilityMinute delta(const std::string& tenant, UnixSeconds minute, int64_t requests, int64_t normal,
                         int64_t total_us, int64_t max_us, int64_t ok = 0, int64_t failed = 0) {
  return AvailabilityMinute{tenant, minute, requests, normal, total_us, max_us, ok, failed};
}

SlaCredit credit_of(const std::string& tenant, const std::string& month, int64_t amount) {
  SlaCredit c;
  c.tenant_id = tenant;
  c.credit_id = new_id("slc_");
  c.month = month;
  c.kind = SlaCreditKind::kSignatures;
  c.band = "A";
  c.amount = amount;
  c.basis = "{}";
  c.created_at = c.updated_at = StoreContractTest::kNow;
  return c;
}

Package bonus_of(int64_t quantity) {
  Package p;
  p.package_id = new_id("pkg_");
  p.kind = PackageKind::kPerSignature;
  p.quantity = quantity;
  p.starts_at = StoreContractTest::kNow;
  p.expires_at = StoreContractTest::kNow + 365 * 86400;
  p.source = "sla_credit";
  p.note = "sla 2023-10";
  p.created_at = StoreContractTest::kNow;
  return p;
}

}  // namespace

TEST_P(StoreContractTest, SlaAvailabilityRowsAddUp) {
  ASSERT_TRUE(
      store_
          ->add_availability({}, {delta("", kMinute, 10, 9, 1000, 400, 1, 0), delta("ten_a", kMinute, 4, 4, 300, 200)})
          .ok());
  ASSERT_TRUE(
      store_->add_availability({}, {delta("", kMinute, 5, 5, 500, 300, 0, 1), delta("", kMinute + 60, 1, 0, 10, 10)})
          .ok());
  auto rows = store_->list_availability("", kMinute, kMinute + 120);
  ASSERT_TRUE(rows.ok()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 2u);
  const auto& r = (*rows)[0];
  EXPECT_EQ(r.minute, kMinute);
  EXPECT_EQ(r.requests, 15);
  EXPECT_EQ(r.normal, 14);
  EXPECT_EQ(r.total_us, 1500);
  EXPECT_EQ(r.max_us, 400);  // max, not sum
  EXPECT_EQ(r.probes_ok, 1);
  EXPECT_EQ(r.probes_failed, 1);
  EXPECT_EQ((*rows)[1].minute, kMinute + 60);
  // Half-open range and tenant scoping.
  EXPECT_EQ(ok_value(store_->list_availability("", kMinute, kMinute + 60)).size(), 1u);
  auto ta = store_->list_availability("ten_a", kMinute, kMinute + 120);
  ASSERT_OK(ta);
  ASSERT_EQ(ta->size(), 1u);
  EXPECT_EQ((*ta)[0].requests, 4);
  EXPECT_TRUE(ok_value(store_->list_availability("ten_b", kMinute, kMinute + 120)).empty());

  auto first = store_->first_availability_minute();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, std::optional<UnixSeconds>(kMinute));
}

TEST_P(StoreContractTest, SlaAvailabilityValidatesAndIsAllOrNothing) {
  EXPECT_EQ(ok_value(store_->first_availability_minute()), std::nullopt);
  auto bad = store_->add_availability({}, {delta("", kMinute, 1, 1, 1, 1), delta("", kMinute + 1, 1, 1, 1, 1)});
  EXPECT_EQ(bad.code(), ErrorCode::kInvalidArgument);
  auto negative = store_->add_availability({}, {delta("", kMinute, -1, 0, 0, 0)});
  EXPECT_EQ(negative.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ok_value(store_->list_availability("", 0, kMinute * 2)).empty());
  // A tenant row alone does not start the service's lifetime.
  ASSERT_TRUE(store_->add_availability({}, {delta("ten_x", kMinute, 1, 1, 1, 1)}).ok());
  EXPECT_EQ(ok_value(store_->first_availability_minute()), std::nullopt);
}

TEST_P(StoreContractTest, SlaAvailabilityConcurrentWritersLoseNothing) {
  constexpr int kThreads = 4, kAdds = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAdds; ++i) {
        auto s = store_->add_availability(
            {}, {delta("", kMinute, 2, 1, 10, 100 * t + i), delta("ten_c", kMinute, 1, 1, 5, 5)});
        if (!s.ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = store_->list_availability("", kMinute, kMinute + 60);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].requests, 2 * kThreads * kAdds);
  EXPECT_EQ((*rows)[0].normal, kThreads * kAdds);
  EXPECT_EQ((*rows)[0].total_us, 10 * kThreads * kAdds);
  EXPECT_EQ((*rows)[0].max_us, 100 * (kThreads - 1) + kAdds - 1);
  EXPECT_EQ((*store_->list_availability("ten_c", kMinute, kMinute + 60))[0].requests, kThreads * kAdds);
}

TEST_P(StoreContractTest, SlaMaintenanceWindows) {
  MaintenanceWindow w{new_id("mnt_"), kNow + 3600, kNow + 7200, kNow, "upgrade", "ops"};
  ASSERT_TRUE(store_->create_maintenance_window({}, w).ok());
  EXPECT_EQ(store_error_kind(store_->create_maintenance_window({}, w)), StoreError::kDuplicate);
  MaintenanceWindow bad = w;
  bad.window_id = new_id("mnt_");
  bad.ends_at = bad.starts_at;
  EXPECT_EQ(store_->create_maintenance_window({}, bad).code(), ErrorCode::kInvalidArgument);
  MaintenanceWindow later{new_id("mnt_"), kNow + 86400, kNow + 90000, kNow, "", "ops"};
  ASSERT_TRUE(store_->create_maintenance_window({}, later).ok());

  auto got = store_->get_maintenance_window(w.window_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->starts_at, w.starts_at);
  EXPECT_EQ(got->ends_at, w.ends_at);
  EXPECT_EQ(got->announced_at, kNow);
  EXPECT_EQ(got->description, "upgrade");
  EXPECT_EQ(got->created_by, "ops");

  // Overlap: [from, to) against [starts_at, ends_at).
  EXPECT_EQ(ok_value(store_->list_maintenance_windows(kNow, kNow + 3600)).size(), 0u);
  EXPECT_EQ(ok_value(store_->list_maintenance_windows(kNow, kNow + 3601)).size(), 1u);
  EXPECT_EQ(ok_value(store_->list_maintenance_windows(kNow + 7200, kNow + 86400)).size(), 0u);
  auto all = store_->list_maintenance_windows(0, kNow * 2);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].window_id, w.window_id);

  // Deleting: only before the start.
  EXPECT_EQ(store_error_kind(store_->delete_maintenance_window({}, w.window_id, kNow + 3600)), StoreError::kConflict);
  ASSERT_TRUE(store_->delete_maintenance_window({}, w.window_id, kNow + 3599).ok());
  EXPECT_EQ(store_error_kind(store_->get_maintenance_window(w.window_id)), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(store_->delete_maintenance_window({}, w.window_id, kNow)), StoreError::kNotFound);
}

TEST_P(StoreContractTest, SlaCreditProposalsAndExactlyOnceApproval) {
  World w = make_world("sla-credit");
  SlaCredit c = credit_of(w.tenant_id, "2023-10", 100);
  auto p1 = store_->propose_sla_credit({}, c);
  ASSERT_TRUE(p1.ok()) << p1.error().to_string();
  EXPECT_EQ(p1->state, SlaCreditState::kProposed);
  EXPECT_EQ(p1->amount, 100);

  // A recomputation replaces the proposal; its id stays.
  SlaCredit again = credit_of(w.tenant_id, "2023-10", 150);
  again.band = "B";
  again.updated_at = kNow + 10;
  auto p2 = store_->propose_sla_credit({}, again);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->credit_id, c.credit_id);
  EXPECT_EQ(p2->amount, 150);
  EXPECT_EQ(p2->band, "B");
  EXPECT_EQ(p2->updated_at, kNow + 10);

  // A days credit of the same month is a separate one.
  SlaCredit days = credit_of(w.tenant_id, "2023-10", 5);
  days.kind = SlaCreditKind::kDays;
  ASSERT_TRUE(store_->propose_sla_credit({}, days).ok());
  EXPECT_EQ(ok_value(store_->list_sla_credits(w.tenant_id, "")).size(), 2u);
  EXPECT_EQ(ok_value(store_->list_sla_credits("", "2023-10")).size(), 2u);
  EXPECT_EQ(ok_value(store_->list_sla_credits("", "2023-11")).size(), 0u);
  ASSERT_TRUE(store_->withdraw_sla_credit({}, w.tenant_id, "2023-10", SlaCreditKind::kDays).ok());
  EXPECT_EQ(ok_value(store_->list_sla_credits(w.tenant_id, "")).size(), 1u);

  // Validation and tenant.
  EXPECT_EQ(store_->propose_sla_credit({}, credit_of(w.tenant_id, "2023-10", 0)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_error_kind(store_->propose_sla_credit({}, credit_of("ten_unknown", "2023-10", 1))),
            StoreError::kNotFound);

  // Approval: exactly once, with its package, in one transaction.
  Package bonus = bonus_of(150);
  ASSERT_TRUE(store_->approve_sla_credit({}, c.credit_id, "ops", kNow + 100, bonus).ok());
  auto approved = store_->find_sla_credit(c.credit_id);
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->state, SlaCreditState::kApproved);
  EXPECT_EQ(approved->approved_at, std::optional<UnixSeconds>(kNow + 100));
  EXPECT_EQ(approved->approved_by, "ops");
  EXPECT_EQ(approved->package_id, bonus.package_id);
  auto pkgs = store_->list_packages(w.tenant_id);
  ASSERT_TRUE(pkgs.ok());
  ASSERT_EQ(pkgs->size(), 1u);
  EXPECT_EQ((*pkgs)[0].package_id, bonus.package_id);
  EXPECT_EQ((*pkgs)[0].source, "sla_credit");
  EXPECT_EQ((*pkgs)[0].quantity, 150);

  EXPECT_EQ(store_error_kind(store_->approve_sla_credit({}, c.credit_id, "ops", kNow + 200, bonus_of(150))),
            StoreError::kConflict);
  EXPECT_EQ(ok_value(store_->list_packages(w.tenant_id)).size(), 1u);
  EXPECT_EQ(store_error_kind(store_->approve_sla_credit({}, "slc_unknown", "ops", kNow, bonus_of(1))),
            StoreError::kNotFound);

  // An approved credit is never changed by a later proposal or withdrawal.
  auto p3 = store_->propose_sla_credit({}, credit_of(w.tenant_id, "2023-10", 999));
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->amount, 150);
  EXPECT_EQ(p3->state, SlaCreditState::kApproved);
  ASSERT_TRUE(store_->withdraw_sla_credit({}, w.tenant_id, "2023-10", SlaCreditKind::kSignatures).ok());
  EXPECT_TRUE(store_->find_sla_credit(c.credit_id).ok());
}

TEST_P(StoreContractTest, SlaCreditApprovalRollsBackWhenThePackageFails) {
  World w = make_world("sla-credit-rollback");
  SlaCredit c = credit_of(w.tenant_id, "2023-09", 10);
  ASSERT_TRUE(store_->propose_sla_credit({}, c).ok());
  Package bad = bonus_of(0);  // an sla_credit package needs quantity >= 1
  EXPECT_FALSE(store_->approve_sla_credit({}, c.credit_id, "ops", kNow, bad).ok());
  EXPECT_EQ(ok_value(store_->find_sla_credit(c.credit_id)).state, SlaCreditState::kProposed);
  EXPECT_TRUE(ok_value(store_->list_packages(w.tenant_id)).empty());
}

TEST_P(StoreContractTest, SlaConcurrentApprovalsGrantOnePackage) {
  World w = make_world("sla-credit-race");
  SlaCredit c = credit_of(w.tenant_id, "2023-08", 10);
  ASSERT_TRUE(store_->propose_sla_credit({}, c).ok());
  std::atomic<int> ok{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto s = store_->approve_sla_credit({}, c.credit_id, "ops", kNow, bonus_of(10));
      if (s.ok())
        ok++;
      else if (store_error_kind(s) == StoreError::kConflict)
        conflict++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 5);
  EXPECT_EQ(ok_value(store_->list_packages(w.tenant_id)).size(), 1u);
}

TEST_P(StoreContractTest, SlaRateWindowsCountAtomically) {
  EXPECT_EQ(*store_->hit_rate_window({}, "ten_r", "app:a", kNow), 1);
  EXPECT_EQ(*store_->hit_rate_window({}, "ten_r", "app:a", kNow), 2);
  EXPECT_EQ(*store_->hit_rate_window({}, "ten_r", "app:b", kNow), 1);
  EXPECT_EQ(*store_->hit_rate_window({}, "ten_r", "app:a", kNow + 1), 1);
  EXPECT_EQ(store_->hit_rate_window({}, "", "app:a", kNow).code(), ErrorCode::kInvalidArgument);

  constexpr int kThreads = 4, kHits = 25;
  std::vector<std::vector<int64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kHits; ++i) {
        auto n = store_->hit_rate_window({}, "ten_r", "tenant", kNow);
        if (n.ok()) seen[t].push_back(*n);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  size_t total = 0;
  for (const auto& v : seen) {
    total += v.size();
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, size_t{kThreads * kHits});
  EXPECT_EQ(all.size(), size_t{kThreads * kHits});  // distinct: 1 … 100
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kHits);

  auto pruned = store_->prune_rate_windows({}, kNow + 1);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 3u);  // app:a, app:b, tenant at kNow
  EXPECT_EQ(*store_->hit_rate_window({}, "ten_r", "app:a", kNow), 1);
  EXPECT_EQ(*store_->hit_rate_window({}, "ten_r", "app:a", kNow + 1), 2);
}

TEST_P(StoreContractTest, SlaTenantRateLimits) {
  World a = make_world("limits-a");
  World b = make_world("limits-b");
  EXPECT_TRUE(ok_value(store_->list_tenant_rate_limits()).empty());
  ASSERT_TRUE(store_->set_tenant_rate_limit({}, a.tenant_id, 50, kNow).ok());
  ASSERT_TRUE(store_->set_tenant_rate_limit({}, b.tenant_id, 5, kNow).ok());
  ASSERT_TRUE(store_->set_tenant_rate_limit({}, a.tenant_id, 70, kNow + 1).ok());
  auto all = store_->list_tenant_rate_limits();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  for (const auto& l : *all) {
    if (l.tenant_id == a.tenant_id) {
      EXPECT_EQ(l.requests_per_second, 70);
      EXPECT_EQ(l.updated_at, kNow + 1);
    } else {
      EXPECT_EQ(l.tenant_id, b.tenant_id);
      EXPECT_EQ(l.requests_per_second, 5);
    }
  }
  ASSERT_TRUE(store_->set_tenant_rate_limit({}, b.tenant_id, 0, kNow).ok());  // unlimited again
  EXPECT_EQ(ok_value(store_->list_tenant_rate_limits()).size(), 1u);
  EXPECT_EQ(store_error_kind(store_->set_tenant_rate_limit({}, "ten_unknown", 5, kNow)), StoreError::kNotFound);
  EXPECT_EQ(store_->set_tenant_rate_limit({}, a.tenant_id, -1, kNow).code(), ErrorCode::kInvalidArgument);
}

}  // namespace duet::store::testing
