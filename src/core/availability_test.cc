// What counts as a normal answer, and the availability recorder
// (core/availability.h) that aggregates minutes per node into the store.
#include <gtest/gtest.h>

#include "core/availability.h"
#include "core/sla_test_fixture.h"

namespace duet::core {
namespace {

using testing_support::ok_value;

TEST(SlaRulesTest, NormalAnswers) {
  EXPECT_TRUE(is_normal_answer(200, 2'999'999));
  EXPECT_FALSE(is_normal_answer(200, 3'000'000));  // "under 3 s"
  EXPECT_TRUE(is_normal_answer(404, 10));
  EXPECT_TRUE(is_normal_answer(429, 10));
  EXPECT_FALSE(is_normal_answer(500, 10));
  EXPECT_FALSE(is_normal_answer(503, 10));
  EXPECT_FALSE(counts_for_availability("/healthz"));
  EXPECT_TRUE(counts_for_availability("/api/v1/orders"));
  EXPECT_FALSE(counts_for_availability("/pki/sandbox/ocsp")) << "the sandbox CA is sandbox traffic";
  EXPECT_FALSE(counts_for_availability("/pki/sandbox/crl/{crl_file}"));
  EXPECT_TRUE(counts_for_availability("/pki/ocsp"));
}

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
  ASSERT_TRUE(svc.ok()) << svc.error().to_string();
  ASSERT_EQ(svc->size(), 1u);
  EXPECT_EQ((*svc)[0].requests, 4);
  EXPECT_EQ((*svc)[0].normal, 2);
  EXPECT_EQ((*svc)[0].total_us, 1500 + 700 + 4'000'000 + 300);
  EXPECT_EQ((*svc)[0].max_us, 4'000'000);
  EXPECT_EQ((*svc)[0].probes_ok, 1);
  auto ten = store_->list_availability("ten_1", minute, minute + 60);
  ASSERT_TRUE(ten.ok()) << ten.error().to_string();
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
  ASSERT_TRUE(na.ok()) << na.error().to_string();
  auto nb = store_->list_availability("node:b", minute, minute + 60);
  ASSERT_TRUE(nb.ok()) << nb.error().to_string();
  ASSERT_EQ(na->size(), 1u);
  ASSERT_EQ(nb->size(), 1u);
  EXPECT_EQ((*na)[0].requests, 2);
  EXPECT_EQ((*na)[0].normal, 1);
  EXPECT_EQ((*na)[0].probes_ok, 1);
  EXPECT_EQ((*nb)[0].requests, 1);
  EXPECT_EQ(ok_value(store_->list_availability("", minute, minute + 60)).at(0).requests, 3);  // the service row: both
}

}  // namespace
}  // namespace duet::core
