// RetentionService (core/retention.h) on a real SQLite store: the settings in
// force and their validation, run_once purging what is due and keeping what
// is not, and the store lease that lets one node at a time run the purge.
#include "core/retention.h"

#include <gtest/gtest.h>

#include "core/test_fixture.h"

namespace duet::core {
namespace {

constexpr int64_t kDay = 86400;

class RetentionTest : public CoreTest {
 protected:
  store::RetentionSettings defaults() const {
    store::RetentionSettings s;
    s.order_payload_days = 1;
    s.identity_days = 0;
    s.expired_key_days = 0;
    s.interval_seconds = 600;
    return s;
  }
};

TEST_F(RetentionTest, DefaultsUntilAnOperatorStoresSettings) {
  RetentionService svc(*store_, clock, defaults());
  ASSERT_OK_AND_ASSIGN(EffectiveRetention eff, svc.settings());
  EXPECT_EQ(eff.source, "config");
  EXPECT_EQ(eff.settings.order_payload_days, 1);

  store::RetentionSettings in = defaults();
  in.order_payload_days = 90;
  in.identity_days = 7;
  clock.advance(10);
  ASSERT_OK_AND_ASSIGN(EffectiveRetention stored, svc.update({}, in, "sec-officer"));
  EXPECT_EQ(stored.source, "api");
  EXPECT_EQ(stored.settings.updated_by, "sec-officer");
  EXPECT_EQ(stored.settings.updated_at, clock.now());

  // A new service (another node, a restart) sees the stored settings, not its defaults.
  RetentionService other(*store_, clock, defaults());
  ASSERT_OK_AND_ASSIGN(eff, other.settings());
  EXPECT_EQ(eff.source, "api");
  EXPECT_EQ(eff.settings.order_payload_days, 90);
  EXPECT_EQ(eff.settings.identity_days, 7);
  EXPECT_EQ(eff.settings.updated_by, "sec-officer");
}

TEST_F(RetentionTest, InvalidSettingsAreRefusedAndChangeNothing) {
  RetentionService svc(*store_, clock, defaults());
  store::RetentionSettings good = defaults();
  good.order_payload_days = 30;
  ASSERT_OK(svc.update({}, good, "op"));
  auto bad = [&](auto mutate) {
    store::RetentionSettings s = good;
    mutate(s);
    auto r = svc.update({}, s, "op");
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
    }
  };
  bad([](store::RetentionSettings& s) { s.order_payload_days = -1; });
  bad([](store::RetentionSettings& s) { s.identity_days = -1; });
  bad([](store::RetentionSettings& s) { s.expired_key_days = -5; });
  bad([](store::RetentionSettings& s) { s.interval_seconds = 0; });
  ASSERT_OK_AND_ASSIGN(EffectiveRetention eff, svc.settings());
  EXPECT_EQ(eff.settings.order_payload_days, 30);
  EXPECT_EQ(eff.settings.interval_seconds, 600);
}

TEST_F(RetentionTest, RunOncePurgesFinalOrdersWhenDueAndKeepsTheRest) {
  auto t = new_tenant("Retention");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "112233"));
  auto make_order = [&]() -> std::string {
    NewOrder no{d.ctx.holder_id, "Lease", "Please sign the lease", store::OutputFormat::kRaw,
                {{Bytes{'a', 'b', 'c'}, false}}, std::nullopt, "", ""};
    auto o = business->create_order(t.sandbox, no);
    if (!o.ok()) {
      ADD_FAILURE() << o.error().to_string();
      return "";
    }
    return o->order_id;
  };
  std::string final_id = make_order();
  std::string pending_id = make_order();
  ASSERT_OK(business->cancel_order(t.sandbox, final_id));

  RetentionService svc(*store_, clock, defaults());
  ASSERT_OK_AND_ASSIGN(PurgeCounts counts, svc.run_once({}, "test"));
  EXPECT_EQ(counts.order_payloads, 0u) << "final for less than a day";

  clock.advance(kDay + 1);
  ASSERT_OK_AND_ASSIGN(counts, svc.run_once({}, "test"));
  EXPECT_EQ(counts.order_payloads, 1u);
  EXPECT_EQ(counts.identities, 0u) << "identity_days 0: never";
  EXPECT_EQ(counts.key_shares, 0u) << "the key's certificate has not expired";

  ASSERT_OK_AND_ASSIGN(std::optional<UnixSeconds> purged_at, store_->order_payload_purged_at(t.tenant_id, final_id));
  ASSERT_TRUE(purged_at.has_value());
  EXPECT_EQ(*purged_at, clock.now());
  ASSERT_OK_AND_ASSIGN(store::SignOrder purged, store_->get_order(t.tenant_id, final_id));
  EXPECT_EQ(purged.display_text, "");
  EXPECT_EQ(purged.title, "Lease");
  EXPECT_EQ(purged.state, store::OrderState::kCancelled);
  ASSERT_EQ(purged.items.size(), 1u);
  EXPECT_EQ(purged.items[0].input.size(), 32u) << "the data is replaced by its SM3 digest";
  EXPECT_NE(purged.items[0].input, (Bytes{'a', 'b', 'c'}));

  ASSERT_OK_AND_ASSIGN(purged_at, store_->order_payload_purged_at(t.tenant_id, pending_id));
  EXPECT_FALSE(purged_at.has_value()) << "a pending order is never purged";
  ASSERT_OK_AND_ASSIGN(store::SignOrder pending, store_->get_order(t.tenant_id, pending_id));
  EXPECT_EQ(pending.display_text, "Please sign the lease");

  // Nothing is purged twice.
  ASSERT_OK_AND_ASSIGN(counts, svc.run_once({}, "test"));
  EXPECT_EQ(counts.total(), 0u);
}

TEST_F(RetentionTest, ZeroDaysNeverPurgesOrderPayloads) {
  auto t = new_tenant("Keep");
  ASSERT_OK_AND_ASSIGN(Device d, enroll(t.sandbox, "445566"));
  NewOrder no{d.ctx.holder_id, "Keep", "kept", store::OutputFormat::kRaw, {{Bytes{1}, false}}, std::nullopt, "", ""};
  ASSERT_OK_AND_ASSIGN(auto order, business->create_order(t.sandbox, no));
  ASSERT_OK(business->cancel_order(t.sandbox, order.order_id));
  store::RetentionSettings s = defaults();
  s.order_payload_days = 0;
  RetentionService svc(*store_, clock, s);
  clock.advance(3650 * kDay);
  ASSERT_OK_AND_ASSIGN(PurgeCounts counts, svc.run_once({}, "test"));
  EXPECT_EQ(counts.order_payloads, 0u);
  ASSERT_OK_AND_ASSIGN(std::optional<UnixSeconds> purged_at,
                       store_->order_payload_purged_at(t.tenant_id, order.order_id));
  EXPECT_FALSE(purged_at.has_value());
}

TEST_F(RetentionTest, RunIfDueTakesTheLeaseSoOneNodeRunsAtATime) {
  RetentionService node_a(*store_, clock, defaults());
  RetentionService node_b(*store_, clock, defaults());
  ASSERT_OK_AND_ASSIGN(std::optional<PurgeCounts> ran, node_a.run_if_due("node-a"));
  EXPECT_TRUE(ran.has_value()) << "first run takes the lease";
  ASSERT_OK_AND_ASSIGN(ran, node_b.run_if_due("node-b"));
  EXPECT_FALSE(ran.has_value()) << "node-a holds the lease";
  ASSERT_OK_AND_ASSIGN(ran, node_a.run_if_due("node-a"));
  EXPECT_FALSE(ran.has_value()) << "not due again before interval_seconds";

  clock.advance(599);
  ASSERT_OK_AND_ASSIGN(ran, node_b.run_if_due("node-b"));
  EXPECT_FALSE(ran.has_value()) << "the lease lasts interval_seconds";

  clock.advance(2);
  ASSERT_OK_AND_ASSIGN(ran, node_b.run_if_due("node-b"));
  EXPECT_TRUE(ran.has_value()) << "the lease expired: node-b takes it";
  ASSERT_OK_AND_ASSIGN(ran, node_a.run_if_due("node-a"));
  EXPECT_FALSE(ran.has_value()) << "now node-b holds it";
}

}  // namespace
}  // namespace duet::core
