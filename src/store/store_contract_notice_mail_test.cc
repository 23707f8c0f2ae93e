// Contract tests of store/notice_mail.h (notices that reach people, issue 14
// item 6), run against every backend: contact addresses, maintenance
// announcements to every tenant in the window's transaction, and the e-mail
// delivery states (claimed once per lease, retried, sent, given up, none);
// the notices of schema v30 (a window changed, the service suspended and
// resumed, the SLA terms re-pinned), each in its change's transaction and
// each on the webhook sweep and the mail queue like the others.
#include <map>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_error.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {
constexpr UnixSeconds kT = StoreContractTest::kNow;
}  // namespace

TEST_P(StoreContractTest, NoticeMailContactsAndAnnouncementsToEveryTenant) {
  World a = make_world("mail-a");
  World b = make_world("mail-b");
  EXPECT_EQ(ok_value(store_->get_tenant_contact_email(a.tenant_id)), "");
  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "ops@a.example", kT).ok());
  EXPECT_EQ(ok_value(store_->get_tenant_contact_email(a.tenant_id)), "ops@a.example");
  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "it@a.example", kT).ok());
  EXPECT_EQ(ok_value(store_->get_tenant_contact_email(a.tenant_id)), "it@a.example");
  EXPECT_EQ(store_error_kind(store_->set_tenant_contact_email({}, "ten_nobody", "x@y.example", kT).error()),
            StoreError::kNotFound);

  MaintenanceWindow w{new_id("mnt_"), kT + 10 * 86400, kT + 10 * 86400 + 3600, kT, "upgrade", "ops", "maintenance"};
  ASSERT_TRUE(store_->create_announced_maintenance_window({}, w, kT).ok());
  EXPECT_EQ(ok_value(store_->get_maintenance_window(w.window_id)).description, "upgrade");
  for (const auto& t : {a.tenant_id, b.tenant_id}) {
    auto ns = ok_value(store_->list_notices(t, 10));
    ASSERT_EQ(ns.size(), 1u);
    EXPECT_EQ(ns[0].kind, NoticeKind::kMaintenancePlanned);
    EXPECT_EQ(ns[0].effective_at, w.starts_at);
    EXPECT_TRUE(ns[0].package_id.empty());
  }
  // A bad window writes neither the window nor any notice.
  MaintenanceWindow bad = w;
  bad.window_id = new_id("mnt_");
  bad.ends_at = bad.starts_at;
  EXPECT_EQ(store_->create_announced_maintenance_window({}, bad, kT).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->list_notices(a.tenant_id, 10)).size(), 1u);

  ASSERT_TRUE(store_->delete_announced_maintenance_window({}, w.window_id, kT + 60).ok());
  auto ns = ok_value(store_->list_notices(b.tenant_id, 10));
  ASSERT_EQ(ns.size(), 2u);
  EXPECT_EQ(ns[0].kind == NoticeKind::kMaintenanceCancelled || ns[1].kind == NoticeKind::kMaintenanceCancelled, true);
  EXPECT_EQ(store_error_kind(store_->delete_announced_maintenance_window({}, w.window_id, kT + 60).error()),
            StoreError::kNotFound);
  EXPECT_EQ(ok_value(store_->list_notices(b.tenant_id, 10)).size(), 2u);
}

TEST_P(StoreContractTest, NoticeMailIsClaimedOncePerLeaseAndItsOutcomeRecorded) {
  World a = make_world("mail-c");
  World b = make_world("mail-d");  // no contact address
  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "ops@c.example", kT).ok());
  MaintenanceWindow w{new_id("mnt_"), kT + 10 * 86400, kT + 10 * 86400 + 3600, kT, "drill", "ops", "fault_drill"};
  ASSERT_TRUE(store_->create_announced_maintenance_window({}, w, kT).ok());

  auto claimed = ok_value(store_->claim_notice_mails({}, kT, kT + 120, 10));
  std::vector<NoticeMail> mine;
  for (const auto& m : claimed)
    if (m.notice.tenant_id == a.tenant_id || m.notice.tenant_id == b.tenant_id) mine.push_back(m);
  ASSERT_EQ(mine.size(), 1u);  // b has no address: its notice becomes "none"
  const NoticeMail& m = mine[0];
  EXPECT_EQ(m.notice.tenant_id, a.tenant_id);
  EXPECT_EQ(m.to, "ops@c.example");
  EXPECT_EQ(m.attempts, 0);
  EXPECT_EQ(m.subject_id, w.window_id);
  ASSERT_TRUE(m.window.has_value());
  EXPECT_EQ(m.window->kind, "fault_drill");
  EXPECT_EQ(ok_value(store_->list_notice_mail_states(b.tenant_id, 10)).at(0).state, "none");
  // Leased: nobody claims it again before the lease ends.
  for (const auto& again : ok_value(store_->claim_notice_mails({}, kT + 60, kT + 180, 10)))
    EXPECT_NE(again.notice.notice_id, m.notice.notice_id);

  // A failed attempt, retried at kT+300; claimed again then, with attempts 1.
  ASSERT_TRUE(store_->record_notice_mail({}, a.tenant_id, m.notice.notice_id,
                                         NoticeMailOutcome{false, "smtp: connect", kT + 300}, kT + 10).ok());
  auto st = ok_value(store_->list_notice_mail_states(a.tenant_id, 10)).at(0);
  EXPECT_EQ(st.state, "pending");
  EXPECT_EQ(st.attempts, 1);
  EXPECT_EQ(st.last_error, "smtp: connect");
  EXPECT_TRUE(ok_value(store_->claim_notice_mails({}, kT + 299, kT + 400, 10)).empty() ||
              ok_value(store_->list_notice_mail_states(a.tenant_id, 10)).at(0).attempts == 1);
  bool found = false;
  for (const auto& again : ok_value(store_->claim_notice_mails({}, kT + 300, kT + 420, 10)))
    if (again.notice.notice_id == m.notice.notice_id) {
      found = true;
      EXPECT_EQ(again.attempts, 1);
    }
  EXPECT_TRUE(found);
  ASSERT_TRUE(store_->record_notice_mail({}, a.tenant_id, m.notice.notice_id, NoticeMailOutcome{true, "", std::nullopt},
                                         kT + 301).ok());
  st = ok_value(store_->list_notice_mail_states(a.tenant_id, 10)).at(0);
  EXPECT_EQ(st.state, "sent");
  EXPECT_EQ(st.attempts, 2);
  EXPECT_EQ(st.sent_at, kT + 301);
  EXPECT_EQ(st.last_error, "");
  // Recorded once: a second outcome for a sent notice is a conflict.
  EXPECT_EQ(store_error_kind(store_->record_notice_mail({}, a.tenant_id, m.notice.notice_id,
                                                        NoticeMailOutcome{true, "", std::nullopt}, kT + 302).error()),
            StoreError::kConflict);
  EXPECT_EQ(store_error_kind(store_->record_notice_mail({}, a.tenant_id, "ntc_missing",
                                                        NoticeMailOutcome{true, "", std::nullopt}, kT).error()),
            StoreError::kNotFound);
}

TEST_P(StoreContractTest, NoticeMailGivesUpAsFailed) {
  World a = make_world("mail-e");
  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "ops@e.example", kT).ok());
  MaintenanceWindow w{new_id("mnt_"), kT + 10 * 86400, kT + 10 * 86400 + 3600, kT, "x", "ops", "maintenance"};
  ASSERT_TRUE(store_->create_announced_maintenance_window({}, w, kT).ok());
  std::string id;
  for (const auto& m : ok_value(store_->claim_notice_mails({}, kT, kT + 60, 50)))
    if (m.notice.tenant_id == a.tenant_id) id = m.notice.notice_id;
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(store_->record_notice_mail({}, a.tenant_id, id, NoticeMailOutcome{false, "smtp: rejected", std::nullopt},
                                         kT + 1).ok());
  EXPECT_EQ(ok_value(store_->list_notice_mail_states(a.tenant_id, 10)).at(0).state, "failed");
  for (const auto& m : ok_value(store_->claim_notice_mails({}, kT + 86400, kT + 86460, 50)))
    EXPECT_NE(m.notice.notice_id, id);
}

namespace {

// The tenant's notices of `kind`, newest first.
std::vector<Notice> of_kind(Store& s, const std::string& tenant, NoticeKind kind) {
  std::vector<Notice> out;
  for (auto& n : ok_value(s.list_notices(tenant, 100)))
    if (n.kind == kind) out.push_back(std::move(n));
  return out;
}

// What one webhook sweep hands the callback factory, by notice id, once
// `tenant` has a notify URL (the sweep asks for a job only then).
std::map<std::string, Notice> swept(Store& s, const std::string& tenant, UnixSeconds now) {
  EXPECT_TRUE(s.set_tenant_notify_target({}, TenantNotifyTarget{tenant, "https://hooks.example/n", Bytes{1, 2, 3}, now})
                  .ok());
  std::map<std::string, Notice> seen;
  auto r = s.sweep_package_notices({}, now, 500, [&](const Notice& n, const std::string&) {
    seen[n.notice_id] = n;
    return std::optional<CallbackJob>();
  });
  EXPECT_TRUE(r.ok());
  return seen;
}

}  // namespace

TEST_P(StoreContractTest, NoticeMailMaintenanceChangedToEveryTenantInTheChangesTransaction) {
  World a = make_world("chg-a");
  World b = make_world("chg-b");
  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "ops@chg.example", kT).ok());
  MaintenanceWindow w{new_id("mnt_"), kT + 10 * 86400, kT + 10 * 86400 + 3600, kT, "upgrade", "ops", "maintenance"};
  ASSERT_TRUE(store_->create_announced_maintenance_window({}, w, kT).ok());

  // Moved a day later and extended by an hour, announced anew.
  MaintenanceWindow moved = w;
  moved.starts_at += 86400;
  moved.ends_at += 86400 + 3600;
  moved.announced_at = kT + 100;
  moved.description = "upgrade, second attempt";
  ASSERT_TRUE(store_->change_announced_maintenance_window({}, w, moved, kT + 100).ok());
  MaintenanceWindow stored = ok_value(store_->get_maintenance_window(w.window_id));
  EXPECT_EQ(stored.starts_at, moved.starts_at);
  EXPECT_EQ(stored.ends_at, moved.ends_at);
  EXPECT_EQ(stored.announced_at, kT + 100);
  EXPECT_EQ(stored.description, "upgrade, second attempt");
  EXPECT_EQ(stored.kind, "maintenance");
  for (const auto& t : {a.tenant_id, b.tenant_id}) {
    auto ns = ok_value(store_->list_notices(t, 10));
    ASSERT_EQ(ns.size(), 2u);
    EXPECT_EQ(ns[0].kind, NoticeKind::kMaintenanceChanged);  // newest first
    EXPECT_EQ(ns[0].effective_at, moved.starts_at);
    EXPECT_EQ(ns[0].subject_id, w.window_id);
    EXPECT_EQ(ns[0].created_at, kT + 100);
    EXPECT_TRUE(ns[0].package_id.empty());
    EXPECT_EQ(ns[1].kind, NoticeKind::kMaintenancePlanned);
    EXPECT_EQ(ns[1].subject_id, w.window_id);
  }

  // A change from a stale read (another change came first), of a window that
  // has started, of one that does not exist, or into a bad window: nothing
  // written, nobody told.
  MaintenanceWindow again = moved;
  again.starts_at += 3600;
  EXPECT_EQ(store_error_kind(store_->change_announced_maintenance_window({}, w, again, kT + 200).error()),
            StoreError::kConflict);
  EXPECT_EQ(store_error_kind(store_->change_announced_maintenance_window({}, moved, again, moved.starts_at).error()),
            StoreError::kConflict);
  MaintenanceWindow ghost = moved;
  ghost.window_id = new_id("mnt_");
  MaintenanceWindow ghost_after = ghost;
  ghost_after.starts_at += 60;
  EXPECT_EQ(store_error_kind(store_->change_announced_maintenance_window({}, ghost, ghost_after, kT + 200).error()),
            StoreError::kNotFound);
  MaintenanceWindow inverted = moved;
  inverted.ends_at = inverted.starts_at;
  EXPECT_EQ(store_->change_announced_maintenance_window({}, moved, inverted, kT + 200).code(),
            ErrorCode::kInvalidArgument);
  MaintenanceWindow other_kind = moved;
  other_kind.kind = "fault_drill";
  EXPECT_EQ(store_->change_announced_maintenance_window({}, moved, other_kind, kT + 200).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->get_maintenance_window(w.window_id)).starts_at, moved.starts_at);
  EXPECT_EQ(ok_value(store_->list_notices(b.tenant_id, 10)).size(), 2u);

  // The change's notice goes on the webhook sweep and the mail queue, with
  // the window as it now is.
  auto hooks = swept(*store_, a.tenant_id, kT + 101);
  const std::string changed_id = of_kind(*store_, a.tenant_id, NoticeKind::kMaintenanceChanged).at(0).notice_id;
  ASSERT_TRUE(hooks.count(changed_id));
  EXPECT_EQ(hooks[changed_id].subject_id, w.window_id);
  bool mailed = false;
  for (const auto& m : ok_value(store_->claim_notice_mails({}, kT + 101, kT + 400, 500)))
    if (m.notice.notice_id == changed_id) {
      mailed = true;
      EXPECT_EQ(m.subject_id, w.window_id);
      ASSERT_TRUE(m.window.has_value());
      EXPECT_EQ(m.window->ends_at, moved.ends_at);
    }
  EXPECT_TRUE(mailed);
}

TEST_P(StoreContractTest, NoticeMailSuspensionAndResumptionAreToldWhenTheStateChanges) {
  World a = make_world("susp-a");
  World b = make_world("susp-b");
  ASSERT_TRUE(store_->set_tenant_suspended({}, a.tenant_id, true, kT + 10).ok());
  EXPECT_TRUE(ok_value(store_->get_tenant(a.tenant_id)).suspended);
  auto suspended = of_kind(*store_, a.tenant_id, NoticeKind::kTenantSuspended);
  ASSERT_EQ(suspended.size(), 1u);
  EXPECT_EQ(suspended[0].effective_at, kT + 10);
  EXPECT_EQ(suspended[0].created_at, kT + 10);
  EXPECT_TRUE(suspended[0].package_id.empty());
  EXPECT_TRUE(suspended[0].subject_id.empty());
  EXPECT_TRUE(ok_value(store_->list_notices(b.tenant_id, 10)).empty());  // only the tenant concerned

  // Suspending a suspended tenant changes nothing and tells nobody.
  ASSERT_TRUE(store_->set_tenant_suspended({}, a.tenant_id, true, kT + 20).ok());
  EXPECT_EQ(ok_value(store_->list_notices(a.tenant_id, 10)).size(), 1u);
  ASSERT_TRUE(store_->set_tenant_suspended({}, a.tenant_id, false, kT + 30).ok());
  EXPECT_FALSE(ok_value(store_->get_tenant(a.tenant_id)).suspended);
  auto resumed = of_kind(*store_, a.tenant_id, NoticeKind::kTenantResumed);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].effective_at, kT + 30);
  ASSERT_TRUE(store_->set_tenant_suspended({}, a.tenant_id, false, kT + 40).ok());
  ASSERT_TRUE(store_->set_tenant_suspended({}, b.tenant_id, false, kT + 40).ok());  // never suspended
  EXPECT_EQ(ok_value(store_->list_notices(a.tenant_id, 10)).size(), 2u);
  EXPECT_TRUE(ok_value(store_->list_notices(b.tenant_id, 10)).empty());
  EXPECT_EQ(store_error_kind(store_->set_tenant_suspended({}, "ten_nobody", true, kT)), StoreError::kNotFound);

  // Both go out by webhook and e-mail like every notice.
  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "ops@susp.example", kT).ok());
  auto hooks = swept(*store_, a.tenant_id, kT + 50);
  EXPECT_TRUE(hooks.count(suspended[0].notice_id));
  EXPECT_TRUE(hooks.count(resumed[0].notice_id));
  std::vector<NoticeKind> mailed;
  for (const auto& m : ok_value(store_->claim_notice_mails({}, kT + 50, kT + 400, 500)))
    if (m.notice.tenant_id == a.tenant_id) {
      mailed.push_back(m.notice.kind);
      EXPECT_FALSE(m.window.has_value());
    }
  EXPECT_EQ(mailed, (std::vector<NoticeKind>{NoticeKind::kTenantSuspended, NoticeKind::kTenantResumed}));
}

TEST_P(StoreContractTest, NoticeMailSlaTermsChangedOnEachPinOfAnotherVersion) {
  World a = make_world("terms-a");
  // Versions of this test's own (the store may be shared with other tests).
  const std::string v1 = "n" + new_id("").substr(0, 12) + "-1", v2 = v1.substr(0, v1.size() - 2) + "-2";
  for (const auto& v : {v1, v2})
    ASSERT_TRUE(store_->record_sla_terms({}, SlaTermsVersion{v, std::string(64, 'c'), "{\"version\":\"" + v + "\"}",
                                                             kT, "ops"}).ok());
  EXPECT_EQ(store_error_kind(store_->pin_tenant_sla_terms({}, {a.tenant_id, "no-such-version", kT, "ops"})),
            StoreError::kNotFound);
  EXPECT_TRUE(ok_value(store_->list_notices(a.tenant_id, 10)).empty());

  ASSERT_TRUE(store_->pin_tenant_sla_terms({}, {a.tenant_id, v1, kT + 5, "ops"}).ok());  // none -> v1: a change
  auto changed = of_kind(*store_, a.tenant_id, NoticeKind::kSlaTermsChanged);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].subject_id, v1);
  EXPECT_EQ(changed[0].effective_at, kT + 5);
  EXPECT_EQ(changed[0].created_at, kT + 5);
  ASSERT_TRUE(store_->pin_tenant_sla_terms({}, {a.tenant_id, v1, kT + 6, "lead"}).ok());  // the same: nobody told
  EXPECT_EQ(of_kind(*store_, a.tenant_id, NoticeKind::kSlaTermsChanged).size(), 1u);
  EXPECT_EQ(ok_value(store_->get_tenant_sla_terms(a.tenant_id))->pinned_at, kT + 6);
  ASSERT_TRUE(store_->pin_tenant_sla_terms({}, {a.tenant_id, v2, kT + 7, "ops"}).ok());
  changed = of_kind(*store_, a.tenant_id, NoticeKind::kSlaTermsChanged);
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[0].subject_id, v2);
  EXPECT_EQ(changed[0].effective_at, kT + 7);

  ASSERT_TRUE(store_->set_tenant_contact_email({}, a.tenant_id, "ops@terms.example", kT).ok());
  auto hooks = swept(*store_, a.tenant_id, kT + 8);
  ASSERT_TRUE(hooks.count(changed[0].notice_id));
  EXPECT_EQ(hooks[changed[0].notice_id].subject_id, v2);
  size_t mailed = 0;
  for (const auto& m : ok_value(store_->claim_notice_mails({}, kT + 8, kT + 400, 500)))
    if (m.notice.tenant_id == a.tenant_id) {
      ++mailed;
      EXPECT_EQ(m.notice.kind, NoticeKind::kSlaTermsChanged);
      EXPECT_EQ(m.subject_id, m.notice.subject_id);
      EXPECT_FALSE(m.window.has_value());  // a version, not a window
    }
  EXPECT_EQ(mailed, 2u);
}

}  // namespace duet::store::testing
