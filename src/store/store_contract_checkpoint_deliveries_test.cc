// Contract tests of store/audit_checkpoint_deliveries.h (the audit checkpoint
// webhook's delivery record), run against every backend.
#include <string>
#include <vector>

#include "base/result_testing.h"
#include "store/audit_checkpoint_deliveries.h"
#include "store/store_contract_test.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

AuditCheckpointDeliveryStore& area(Store& s) { return *ok_value(audit_checkpoint_delivery_store(s)); }

// Appends n events and signs the head (an unchained v1 checkpoint is enough here).
int64_t checkpoint_after(Store& s, int n, UnixSeconds at) {
  AuditEvent last;
  for (int i = 0; i < n; ++i) {
    AuditEvent e;
    e.at = at;
    e.actor_type = "system";
    e.actor_id = "test";
    e.action = "test.event";
    e.outcome = "ok";
    last = ok_value(s.append_audit_event(e));
  }
  AuditCheckpoint cp{last.seq, last.hash, at, "audk_1", Bytes{1, 2, 3}, {}};
  EXPECT_TRUE(s.add_audit_checkpoint(cp).ok());
  return last.seq;
}

}  // namespace

TEST_P(StoreContractTest, CheckpointDeliveriesStartAtTheNewestThenFollowEveryCheckpoint) {
  EXPECT_EQ(ok_value(area(*store_).queue_checkpoint_deliveries(kNow)), 0u);
  EXPECT_FALSE(ok_value(area(*store_).next_checkpoint_delivery()).has_value());
  checkpoint_after(*store_, 2, kNow);
  int64_t second = checkpoint_after(*store_, 2, kNow);
  // First queueing: only the newest checkpoint.
  EXPECT_EQ(ok_value(area(*store_).queue_checkpoint_deliveries(kNow + 1)), 1u);
  EXPECT_EQ(ok_value(area(*store_).queue_checkpoint_deliveries(kNow + 1)), 0u) << "queued once";
  int64_t third = checkpoint_after(*store_, 1, kNow);
  int64_t fourth = checkpoint_after(*store_, 1, kNow);
  EXPECT_EQ(ok_value(area(*store_).queue_checkpoint_deliveries(kNow + 2)), 2u);

  auto next = ok_value(area(*store_).next_checkpoint_delivery());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->seq, second);
  EXPECT_FALSE(next->delivered);
  EXPECT_EQ(next->next_at, kNow + 1);
  // A failure keeps it first, with its error and next attempt.
  ASSERT_OK(area(*store_).record_checkpoint_delivery(second, false, "HTTP 503", kNow + 3, kNow + 8));
  next = ok_value(area(*store_).next_checkpoint_delivery());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->seq, second);
  EXPECT_EQ(next->attempts, 1);
  EXPECT_EQ(next->last_error, "HTTP 503");
  EXPECT_EQ(next->next_at, kNow + 8);
  ASSERT_OK(area(*store_).record_checkpoint_delivery(second, true, "", kNow + 9, 0));
  EXPECT_EQ(store_error_kind(area(*store_).record_checkpoint_delivery(second, true, "", kNow + 10, 0)),
            StoreError::kConflict);
  reopen();
  next = ok_value(area(*store_).next_checkpoint_delivery());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->seq, third);
  ASSERT_OK(area(*store_).record_checkpoint_delivery(third, true, "", kNow + 11, 0));
  ASSERT_OK(area(*store_).record_checkpoint_delivery(fourth, true, "", kNow + 11, 0));
  EXPECT_FALSE(ok_value(area(*store_).next_checkpoint_delivery()).has_value());

  std::vector<CheckpointDelivery> all = ok_value(area(*store_).list_checkpoint_deliveries(0, 10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].seq, second);
  EXPECT_TRUE(all[0].delivered);
  EXPECT_EQ(all[0].attempts, 2);
  EXPECT_EQ(all[0].last_error, "");
  EXPECT_EQ(all[0].delivered_at, kNow + 9);
  EXPECT_EQ(ok_value(area(*store_).list_checkpoint_deliveries(third, 10)).size(), 1u);
}

}  // namespace duet::store::testing
