// Contract tests of store/notice_mail.h (notices that reach people, issue 14
// item 6), run against every backend: contact addresses, maintenance
// announcements to every tenant in the window's transaction, and the e-mail
// delivery states (claimed once per lease, retried, sent, given up, none).
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

}  // namespace duet::store::testing
