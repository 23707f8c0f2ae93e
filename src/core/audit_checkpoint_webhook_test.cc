// The audit checkpoint webhook (core/audit_checkpoint_webhook.h) on a real
// SQLite store with real signed checkpoints: bodies signed and in order, the
// receiver's concatenated bodies a witness that catches a cut tail, failures
// retried with a doubling backoff and recorded.
#include <gtest/gtest.h>

#include "core/audit_chain.h"
#include "core/audit_checkpoint_webhook.h"
#include "core/audit_service.h"
#include "core/audit_test_event.h"
#include "core/audit_witness.h"
#include "core/request_signing.h"
#include "core/test_fixture.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

class CheckpointWebhookTest : public CoreStoreTest {
 protected:
  CheckpointWebhookTest() : CoreStoreTest("duet-cpwh-", 1'700'000'000) {}
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CoreStoreTest::SetUp());
    audit = std::make_unique<AuditService>(*deps);
    ASSERT_OK(audit->ensure_key());
    CheckpointWebhookConfig config{"https://witness.example/in", "s3cret", 1000, 5, 40};
    webhook = std::make_unique<CheckpointWebhook>(*ok_value(store::audit_checkpoint_delivery_store(*store_)),
                                                  *store_, sender, clock, config);
  }
  void TearDown() override {
    webhook.reset();
    audit.reset();
    CoreStoreTest::TearDown();
  }
  int64_t sign_after(int n) {
    for (int i = 0; i < n; ++i) EXPECT_TRUE(store_->append_audit_event(sample_audit_event(i)).ok());
    auto cp = ok_value(audit->checkpoint_now());
    EXPECT_TRUE(cp.has_value());
    return cp ? cp->seq : 0;
  }
  std::string header(const RecordingSender::Call& c, const std::string& name) {
    for (const auto& h : c.headers)
      if (h.name == name) return h.value;
    return "";
  }
  RecordingSender sender;
  std::unique_ptr<AuditService> audit;
  std::unique_ptr<CheckpointWebhook> webhook;
};

TEST_F(CheckpointWebhookTest, EveryCheckpointIsPostedSignedAndInOrder) {
  sign_after(3);
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 1u);
  int64_t b = sign_after(2);
  int64_t c = sign_after(2);
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 2u);
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 0u) << "each once";
  ASSERT_EQ(sender.calls.size(), 3u);
  std::string received;
  for (const auto& call : sender.calls) {
    EXPECT_EQ(call.url, "https://witness.example/in");
    EXPECT_EQ(header(call, "X-Duet-Event"), "audit.checkpoint");
    EXPECT_EQ(header(call, "X-Duet-Signature"), sign_callback("s3cret", header(call, "X-Duet-Timestamp"), call.body));
    received += call.body;
  }
  EXPECT_EQ(header(sender.calls[1], "X-Duet-Delivery"), "audit-checkpoint-" + std::to_string(b));
  EXPECT_EQ(header(sender.calls[2], "X-Duet-Delivery"), "audit-checkpoint-" + std::to_string(c));

  // What the party appended is a witness: the whole chain verifies against
  // it, and a chain cut back before its newest checkpoint does not.
  AuditWitness w = ok_value(parse_audit_witness(received));
  ASSERT_EQ(w.checkpoints.size(), 3u);
  EXPECT_EQ(w.checkpoints.back().seq, c);
  AuditVerifyInput in;
  in.events = ok_value(store_->list_audit_events(0, 1000));
  in.checkpoints = ok_value(store_->list_audit_checkpoints(0, INT64_MAX));
  in.keys = ok_value(audit->public_keys());
  in.witness = w;
  EXPECT_TRUE(verify_audit_chain(in).ok) << verify_audit_chain(in).detail;
  AuditVerifyInput cut = in;
  while (!cut.events.empty() && cut.events.back().seq > b) cut.events.pop_back();
  while (!cut.checkpoints.empty() && cut.checkpoints.back().seq > b) cut.checkpoints.pop_back();
  AuditVerifyResult r = verify_audit_chain(cut);
  EXPECT_FALSE(r.ok);
}

TEST_F(CheckpointWebhookTest, FailuresAreRetriedWithBackoffAndHoldLaterOnesBack) {
  int64_t a = sign_after(2);
  sender.status = 503;
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 0u);
  ASSERT_EQ(sender.calls.size(), 1u);
  sign_after(1);
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 0u);
  EXPECT_EQ(sender.calls.size(), 1u) << "not before its backoff (5 s)";
  auto& deliveries = *ok_value(store::audit_checkpoint_delivery_store(*store_));
  auto next = ok_value(deliveries.next_checkpoint_delivery());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->seq, a);
  EXPECT_EQ(next->attempts, 1);
  EXPECT_EQ(next->last_error, "HTTP 503");
  EXPECT_EQ(next->next_at, clock.now() + 5);
  clock.advance(5);
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 0u);
  EXPECT_EQ(sender.calls.size(), 2u);
  EXPECT_EQ(ok_value(deliveries.next_checkpoint_delivery())->next_at, clock.now() + 10) << "doubled";
  clock.advance(10);
  sender.status = 200;
  EXPECT_EQ(ok_value(webhook->run_once()).delivered, 2u) << "the held-back one follows in order";
  ASSERT_EQ(sender.calls.size(), 4u);
  EXPECT_EQ(header(sender.calls[2], "X-Duet-Delivery"), "audit-checkpoint-" + std::to_string(a));
  auto all = ok_value(deliveries.list_checkpoint_deliveries(0, 10));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].delivered && all[1].delivered);
  EXPECT_EQ(all[0].attempts, 3);
}

}  // namespace
}  // namespace duet::core
