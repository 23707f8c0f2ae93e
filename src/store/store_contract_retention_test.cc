// Contract tests of the retention and lease sections of store.h (issue 5 §5).
// Written against StoreContractTest only, so every backend runs them.
#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "base/result_testing.h"
#include "crypto/sm3.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

constexpr UnixSeconds kDay = 86400;

template <typename R>
std::optional<StoreError> kind(const R& r) {
  return store_error_kind(r);
}

// Audit events appended after `after_seq` with this action.
std::vector<AuditEvent> events_since(Store& s, int64_t after_seq, const std::string& action) {
  auto all = s.list_audit_events(after_seq, 10000);
  EXPECT_TRUE(all.ok()) << all.error().to_string();
  std::vector<AuditEvent> out;
  if (!all.ok()) return out;
  for (auto& e : *all)
    if (e.action == action) out.push_back(e);
  return out;
}

int64_t head_seq(Store& s) {
  auto h = s.get_audit_head();
  EXPECT_TRUE(h.ok());
  return h.ok() ? h->seq : 0;
}

}  // namespace

// A signed order's payload is purged exactly N days after it became final:
// not a second earlier; digests, signatures, state and ids stay; one audit
// event per purged order, in the purge's transaction.
TEST_P(StoreContractTest, RetentionPurgesFinalOrderPayloadsAtTheBoundary) {
  World w = make_world("retention-orders");
  SignOrder o = order_for(w, 2);
  const std::string data = "contract text: pay 100 yuan";
  o.items[0] = SignItem{Bytes(data.begin(), data.end()), false, {}};  // data item; item 1 stays a digest
  o.display_text = "Pay 100 yuan to Zhang";
  o = create(o);
  SignSession s = session_for(o);
  ASSERT_TRUE(open_session(*store_, s, kNow).ok());
  const UnixSeconds signed_at = kNow + 10;
  std::vector<Bytes> sigs = {Bytes{0x30, 0x01, 0xaa}, Bytes{0x30, 0x01, 0xbb}};
  ASSERT_TRUE(store_->finish_order({}, w.tenant_id, o.order_id, s.session_id, sigs, std::nullopt, signed_at).ok());
  SignOrder open = create(order_for(w));  // pending: never purged, however old
  SignOrder cancelled = create(order_for(w));
  ASSERT_TRUE(store_->cancel_order({}, w.tenant_id, cancelled.order_id, std::nullopt, signed_at + 5).ok());

  const UnixSeconds n_days = 30 * kDay;
  int64_t seq0 = head_seq(*store_);
  // N days minus one second: nothing.
  auto none =
      store_->purge_order_payloads({}, signed_at + n_days - 1 - n_days, signed_at + n_days - 1, "worker-a", 100);
  ASSERT_TRUE(none.ok()) << none.error().to_string();
  EXPECT_EQ(*none, 0u);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, o.order_id)).display_text, o.display_text);
  EXPECT_TRUE(events_since(*store_, seq0, "retention.order_payload_purged").empty());

  // Exactly N days: the signed order goes (the cancelled one is 5 s younger).
  const UnixSeconds now = signed_at + n_days;
  auto one = store_->purge_order_payloads({}, now - n_days, now, "worker-a", 100);
  ASSERT_TRUE(one.ok()) << one.error().to_string();
  EXPECT_EQ(*one, 1u);
  auto got = store_->get_order(w.tenant_id, o.order_id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display_text, "");
  EXPECT_EQ(got->state, OrderState::kSigned);
  EXPECT_EQ(got->title, o.title);
  ASSERT_EQ(got->items.size(), 2u);
  crypto::Digest d = crypto::sm3(as_bytes(data));
  EXPECT_EQ(got->items[0].input, Bytes(d.begin(), d.end())) << "a data item keeps SM3(data)";
  EXPECT_FALSE(got->items[0].input_is_digest);
  EXPECT_EQ(got->items[1].input, o.items[1].input) << "a digest item stays as it is";
  EXPECT_EQ(got->items[0].signature, sigs[0]);
  EXPECT_EQ(got->items[1].signature, sigs[1]);
  EXPECT_EQ(got->updated_at, signed_at);
  auto purged_at = store_->order_payload_purged_at(w.tenant_id, o.order_id);
  ASSERT_TRUE(purged_at.ok());
  EXPECT_EQ(*purged_at, std::optional<UnixSeconds>(now));
  EXPECT_EQ(*store_->order_payload_purged_at(w.tenant_id, cancelled.order_id), std::nullopt);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, open.order_id)).display_text, open.display_text);

  auto ev = events_since(*store_, seq0, "retention.order_payload_purged");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].target, o.order_id);
  EXPECT_EQ(ev[0].tenant_id, w.tenant_id);
  EXPECT_EQ(ev[0].actor_type, "system");
  EXPECT_EQ(ev[0].actor_id, "worker-a");
  EXPECT_EQ(ev[0].outcome, "ok");
  EXPECT_EQ(ev[0].at, now);
  EXPECT_EQ(ev[0].details, "{\"items\":2}");

  // Idempotent: a purged order is not purged (or audited) again.
  int64_t seq1 = head_seq(*store_);
  EXPECT_EQ(*store_->purge_order_payloads({}, now - n_days, now, "worker-a", 100), 0u);
  EXPECT_EQ(head_seq(*store_), seq1);
  // Five seconds later the cancelled order follows; the pending one never.
  EXPECT_EQ(*store_->purge_order_payloads({}, now + 5 - n_days, now + 5, "worker-a", 100), 1u);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, cancelled.order_id)).display_text, "");
  EXPECT_EQ(*store_->purge_order_payloads({}, now + 100 * n_days, now + 100 * n_days, "worker-a", 100), 0u);
  EXPECT_EQ(ok_value(store_->get_order(w.tenant_id, open.order_id)).display_text, open.display_text);
  EXPECT_EQ(kind(store_->order_payload_purged_at(w.tenant_id, "ord_missing")), StoreError::kNotFound);
}

TEST_P(StoreContractTest, RetentionOrderPurgeHonoursTheLimit) {
  World w = make_world("retention-limit");
  for (int i = 0; i < 5; ++i) {
    SignOrder o = create(order_for(w));
    ASSERT_TRUE(store_->cancel_order({}, w.tenant_id, o.order_id, std::nullopt, kNow).ok());
  }
  EXPECT_EQ(*store_->purge_order_payloads({}, kNow, kNow, "w", 2), 2u);
  EXPECT_EQ(*store_->purge_order_payloads({}, kNow, kNow, "w", 10), 3u);
  EXPECT_EQ(*store_->purge_order_payloads({}, kNow, kNow, "w", 10), 0u);
  EXPECT_FALSE(store_->purge_order_payloads({}, kNow, kNow, "", 10).ok()) << "an actor is required";
}

// ID number and phone go N days after the holder's first certificate; the
// name and the lookup hash stay (lookups still work).
TEST_P(StoreContractTest, RetentionPurgesIdentityAttributesAfterIssuance) {
  World w = make_world("retention-identity");
  World bare = make_world("retention-identity-no-cert");
  HolderKeyShare key = add_key(w);
  Certificate c = cert_for(w, key.key_id, "7e7e" + new_id("").substr(1, 8));
  c.created_at = kNow + 100;
  ASSERT_TRUE(store_->add_certificate({}, c).ok());
  Holder before = *store_->get_holder(w.tenant_id, w.holder_id);

  int64_t seq0 = head_seq(*store_);
  EXPECT_EQ(*store_->purge_identity_attributes({}, c.created_at - 1, kNow + 200, "w", 100), 0u);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).phone_ciphertext, before.phone_ciphertext);
  EXPECT_EQ(*store_->purge_identity_attributes({}, c.created_at, kNow + 200, "w", 100), 1u);
  Holder after = *store_->get_holder(w.tenant_id, w.holder_id);
  EXPECT_TRUE(after.id_number_ciphertext.empty());
  EXPECT_TRUE(after.phone_ciphertext.empty());
  EXPECT_EQ(after.name_ciphertext, before.name_ciphertext);
  EXPECT_EQ(after.lookup_hash, before.lookup_hash);
  auto found = store_->find_holder_by_lookup_hash(w.tenant_id, before.lookup_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->holder_id, w.holder_id);
  // A holder without a certificate keeps everything.
  Holder b = *store_->get_holder(bare.tenant_id, bare.holder_id);
  EXPECT_FALSE(b.phone_ciphertext.empty());
  auto ev = events_since(*store_, seq0, "retention.identity_purged");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].target, w.holder_id);
  EXPECT_EQ(ev[0].tenant_id, w.tenant_id);
  EXPECT_EQ(*store_->purge_identity_attributes({}, kNow + 1000 * kDay, kNow + 1000 * kDay, "w", 100), 0u)
      << "purged once";
}

// The share of a key whose last certificate expired is wiped (and the key
// retired); a key with a valid certificate, or without any, keeps its share.
TEST_P(StoreContractTest, RetentionWipesSharesOfExpiredKeys) {
  World w = make_world("retention-keys");
  HolderKeyShare key = add_key(w);
  Certificate old_cert = cert_for(w, key.key_id, "6e01" + new_id("").substr(1, 8));
  old_cert.not_after = kNow + 10 * kDay;
  Certificate newer = cert_for(w, key.key_id, "6e02" + new_id("").substr(1, 8));
  newer.not_after = kNow + 20 * kDay;
  ASSERT_TRUE(store_->add_certificate({}, old_cert).ok());
  ASSERT_TRUE(store_->add_certificate({}, newer).ok());
  World w2 = make_world("retention-keys-no-cert");
  HolderKeyShare uncertified = add_key(w2);
  ShareRefresh r;
  r.tenant_id = w.tenant_id;
  r.refresh_id = "ref_" + new_id("");
  r.key_id = key.key_id;
  r.holder_id = w.holder_id;
  ASSERT_TRUE(store_->begin_refresh_attempt({}, r, "att_" + r.refresh_id, 0, simple_pin_rule(), kNow).ok());
  ASSERT_TRUE(
      store_->accept_refresh_attempt({}, w.tenant_id, r.refresh_id, "att_" + r.refresh_id, Bytes{0x02}, kNow).ok());
  ASSERT_EQ(ok_value(store_->get_share_refresh(w.tenant_id, r.refresh_id)).state, RefreshState::kOpen);

  int64_t seq0 = head_seq(*store_);
  // The first certificate expired, the newer one not yet: kept.
  EXPECT_EQ(*store_->wipe_retired_key_shares({}, newer.not_after - 1, newer.not_after - 1, "w", 100), 0u);
  EXPECT_FALSE(ok_value(store_->get_holder_key(w.tenant_id, key.key_id)).service_share_ciphertext.empty());
  const UnixSeconds now = newer.not_after + 3;
  EXPECT_EQ(*store_->wipe_retired_key_shares({}, newer.not_after, now, "w", 100), 1u);
  HolderKeyShare k = *store_->get_holder_key(w.tenant_id, key.key_id);
  EXPECT_TRUE(k.service_share_ciphertext.empty());
  EXPECT_EQ(k.revoked_at, std::optional<UnixSeconds>(now));
  EXPECT_EQ(kind(store_->get_active_holder_key(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  ShareRefresh rr = *store_->get_share_refresh(w.tenant_id, r.refresh_id);
  EXPECT_EQ(rr.state, RefreshState::kAbandoned);
  EXPECT_TRUE(rr.sealed_rho.empty());
  EXPECT_TRUE(rr.pending_share_ciphertext.empty());
  EXPECT_FALSE(ok_value(store_->get_holder_key(w2.tenant_id, uncertified.key_id)).service_share_ciphertext.empty());
  auto ev = events_since(*store_, seq0, "retention.key_share_wiped");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].target, key.key_id);
  EXPECT_EQ(ev[0].details, "{\"reason\":\"expired\"}");
  EXPECT_EQ(*store_->wipe_retired_key_shares({}, now + 1000 * kDay, now + 1000 * kDay, "w", 100), 0u);
  // Revocation wipes at once: nothing left for the sweep.
  HolderKeyShare k2 = add_key(w);
  ASSERT_TRUE(store_->revoke_holder_key({}, w.tenant_id, k2.key_id, now).ok());
  EXPECT_EQ(*store_->wipe_retired_key_shares({}, now, now, "w", 100), 0u);
}

TEST_P(StoreContractTest, RetentionSettingsPersist) {
  EXPECT_EQ(kind(store_->get_retention_settings()), StoreError::kNotFound);
  RetentionSettings bad;
  bad.order_payload_days = -1;
  EXPECT_EQ(store_->put_retention_settings({}, bad).code(), ErrorCode::kInvalidArgument);
  bad = RetentionSettings{};
  bad.interval_seconds = 0;
  EXPECT_EQ(store_->put_retention_settings({}, bad).code(), ErrorCode::kInvalidArgument);
  RetentionSettings s;
  s.order_payload_days = 7;
  s.identity_days = 0;
  s.expired_key_days = 3;
  s.interval_seconds = 60;
  s.updated_at = kNow;
  s.updated_by = "officer";
  ASSERT_TRUE(store_->put_retention_settings({}, s).ok());
  s.order_payload_days = 8;
  ASSERT_TRUE(store_->put_retention_settings({}, s).ok());
  reopen();
  auto got = store_->get_retention_settings();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->order_payload_days, 8);
  EXPECT_EQ(got->identity_days, 0);
  EXPECT_EQ(got->expired_key_days, 3);
  EXPECT_EQ(got->interval_seconds, 60);
  EXPECT_EQ(got->updated_at, kNow);
  EXPECT_EQ(got->updated_by, "officer");
}

TEST_P(StoreContractTest, LeaseIsHeldByOneOwnerAtATime) {
  const std::string name = "timer-" + new_id("");
  EXPECT_TRUE(*store_->try_acquire_lease({}, name, "a", kNow, 10));
  EXPECT_FALSE(*store_->try_acquire_lease({}, name, "b", kNow, 10));
  EXPECT_FALSE(*store_->try_acquire_lease({}, name, "b", kNow + 9, 10)) << "held until now + ttl";
  EXPECT_TRUE(*store_->try_acquire_lease({}, name, "a", kNow + 9, 10)) << "the owner renews";
  EXPECT_FALSE(*store_->try_acquire_lease({}, name, "b", kNow + 18, 10));
  EXPECT_TRUE(*store_->try_acquire_lease({}, name, "b", kNow + 19, 10)) << "expired at exactly expires_at";
  EXPECT_FALSE(*store_->try_acquire_lease({}, name, "a", kNow + 20, 10));
  EXPECT_TRUE(*store_->try_acquire_lease({}, "other-" + name, "a", kNow + 20, 10)) << "one lease per name";
  EXPECT_EQ(store_->try_acquire_lease({}, name, "", kNow, 10).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->try_acquire_lease({}, name, "a", kNow, 0).code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, LeaseConcurrentAcquireHasOneWinner) {
  for (int round = 0; round < 5; ++round) {
    const std::string name = "race-" + new_id("");
    constexpr int kThreads = 8;
    std::atomic<int> winners{0}, errors{0};
    run_together(kThreads, [&](int i) {
      auto r = store_->try_acquire_lease({}, name, "owner-" + std::to_string(i), kNow, 30);
      if (!r.ok()) ++errors;
      else if (*r) ++winners;
    });
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

}  // namespace duet::store::testing
