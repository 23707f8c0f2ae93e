// Contract tests of the request-signature v1 cut-off (store.h
// set_tenant_signature_v1_cutoff; schema v11 on both backends): the tenant
// column round-trips, the announcing notice is inserted in the same call
// (no package, effective_at = the cut-off), and the notice sweep queues its
// webhook like a package notice. Backend-neutral.
#include <optional>
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

TEST_P(StoreContractTest, SignatureV1CutoffIsStoredAndAnnouncedByANotice) {
  World w = make_world("cutoff");
  auto before = store_->get_tenant(w.tenant_id);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->signature_v1_cutoff.has_value());  // new tenants: no cut-off

  const UnixSeconds cutoff = kNow + 30 * 86'400;
  TenantNotifyTarget target{w.tenant_id, "https://biz.example/notices", Bytes{7}, kNow};
  ASSERT_TRUE(store_->set_tenant_notify_target({}, target).ok());
  auto notice = store_->set_tenant_signature_v1_cutoff({}, w.tenant_id, cutoff, kNow);
  ASSERT_TRUE(notice.ok()) << notice.error().to_string();
  EXPECT_EQ(notice->kind, NoticeKind::kSignatureV1Cutoff);
  EXPECT_TRUE(notice->package_id.empty());
  EXPECT_EQ(notice->effective_at, std::optional<UnixSeconds>(cutoff));

  auto t = store_->get_tenant(w.tenant_id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->signature_v1_cutoff, std::optional<UnixSeconds>(cutoff));
  auto all = store_->list_tenants();
  ASSERT_TRUE(all.ok());
  bool listed = false;
  for (const auto& x : *all)
    if (x.tenant_id == w.tenant_id) listed = x.signature_v1_cutoff == std::optional<UnixSeconds>(cutoff);
  EXPECT_TRUE(listed);

  // A second call (postponed) replaces the date and is a second notice.
  ASSERT_TRUE(store_->set_tenant_signature_v1_cutoff({}, w.tenant_id, cutoff + 86'400, kNow + 1).ok());
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).signature_v1_cutoff, std::optional<UnixSeconds>(cutoff + 86'400));
  auto notices = store_->list_notices(w.tenant_id, 10);
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 2u);
  EXPECT_EQ(notices->front().effective_at, std::optional<UnixSeconds>(cutoff + 86'400));  // newest first
  EXPECT_EQ(notices->back().notice_id, notice->notice_id);
  for (const auto& n : *notices) {
    EXPECT_EQ(n.kind, NoticeKind::kSignatureV1Cutoff);
    EXPECT_TRUE(n.package_id.empty());
    EXPECT_EQ(n.webhook_state, "pending");
  }

  // The sweep queues both as webhooks without an order, once.
  std::vector<std::string> made;
  auto factory = [&](const Notice& n, const std::string&) -> std::optional<CallbackJob> {
    if (n.tenant_id != w.tenant_id) return std::nullopt;
    EXPECT_TRUE(n.effective_at.has_value());
    made.push_back(n.notice_id);
    CallbackJob j;
    j.payload = "{\"notice\":\"" + n.notice_id + "\"}";
    j.next_attempt_at = n.created_at;
    return j;
  };
  ASSERT_TRUE(store_->sweep_package_notices({}, kNow + 2, 100, factory).ok());
  ASSERT_TRUE(store_->sweep_package_notices({}, kNow + 3, 100, factory).ok());
  EXPECT_EQ(made.size(), 2u);
  auto swept = store_->list_notices(w.tenant_id, 10);
  ASSERT_TRUE(swept.ok());
  for (const auto& n : *swept) EXPECT_EQ(n.webhook_state, "queued");

  // Survives a reopen (the column, not a cache).
  reopen();
  EXPECT_EQ(ok_value(store_->get_tenant(w.tenant_id)).signature_v1_cutoff, std::optional<UnixSeconds>(cutoff + 86'400));

  // Unknown tenant: kNotFound, and no notice.
  EXPECT_EQ(store_error_kind(store_->set_tenant_signature_v1_cutoff({}, new_id("ten_"), cutoff, kNow)),
            StoreError::kNotFound);
}

}  // namespace
}  // namespace duet::store::testing
