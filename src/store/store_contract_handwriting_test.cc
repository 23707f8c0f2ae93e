// Contract tests of the holder's handwritten-signature image
// (store/holders.h put/get/delete_handwritten_signature; schema v22).
// Written against StoreContractTest only, so every backend runs them.
#include <optional>
#include <string>

#include "base/result_testing.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

HandwrittenSignature image(const std::string& tenant_id, const std::string& holder_id, uint8_t fill, int64_t width,
                           int64_t height, UnixSeconds at) {
  HandwrittenSignature s;
  s.tenant_id = tenant_id;
  s.holder_id = holder_id;
  s.sealed_png = Bytes(300, fill);  // the store keeps sealed bytes; it never opens them
  s.width = width;
  s.height = height;
  s.updated_at = at;
  return s;
}

}  // namespace

TEST_P(StoreContractTest, HandwrittenSignatureIsStoredReplacedAndDeleted) {
  World w = make_world("hw-sig");
  EXPECT_EQ(store_error_kind(store_->get_handwritten_signature(w.tenant_id, w.holder_id)), StoreError::kNotFound)
      << "none before the first upload";
  ASSERT_TRUE(store_->put_handwritten_signature({}, image(w.tenant_id, w.holder_id, 0x11, 400, 200, kNow)).ok());
  HandwrittenSignature got = ok_value(store_->get_handwritten_signature(w.tenant_id, w.holder_id));
  EXPECT_EQ(got.sealed_png, Bytes(300, 0x11));
  EXPECT_EQ(got.width, 400);
  EXPECT_EQ(got.height, 200);
  EXPECT_EQ(got.updated_at, kNow);
  // A second upload replaces the first: still one image, the new one.
  ASSERT_TRUE(store_->put_handwritten_signature({}, image(w.tenant_id, w.holder_id, 0x22, 64, 32, kNow + 5)).ok());
  got = ok_value(store_->get_handwritten_signature(w.tenant_id, w.holder_id));
  EXPECT_EQ(got.sealed_png, Bytes(300, 0x22));
  EXPECT_EQ(got.width, 64);
  EXPECT_EQ(got.height, 32);
  EXPECT_EQ(got.updated_at, kNow + 5);
  // Deleted: gone, and a second delete is kNotFound.
  ASSERT_TRUE(store_->delete_handwritten_signature({}, w.tenant_id, w.holder_id).ok());
  EXPECT_EQ(store_error_kind(store_->get_handwritten_signature(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(store_->delete_handwritten_signature({}, w.tenant_id, w.holder_id)),
            StoreError::kNotFound);
  // Uploaded again after a delete.
  ASSERT_TRUE(store_->put_handwritten_signature({}, image(w.tenant_id, w.holder_id, 0x33, 10, 10, kNow + 9)).ok());
  EXPECT_EQ(ok_value(store_->get_handwritten_signature(w.tenant_id, w.holder_id)).sealed_png, Bytes(300, 0x33));
}

TEST_P(StoreContractTest, HandwrittenSignatureIsTenantScopedAndChecked) {
  World w = make_world("hw-scope");
  World other = make_world("hw-scope-other");
  ASSERT_TRUE(store_->put_handwritten_signature({}, image(w.tenant_id, w.holder_id, 0x44, 100, 50, kNow)).ok());
  // Another tenant neither sees nor deletes it, nor writes one for a holder it does not have.
  EXPECT_EQ(store_error_kind(store_->get_handwritten_signature(other.tenant_id, w.holder_id)), StoreError::kNotFound);
  EXPECT_EQ(store_error_kind(store_->delete_handwritten_signature({}, other.tenant_id, w.holder_id)),
            StoreError::kNotFound);
  HandwrittenSignature foreign = image(w.tenant_id, w.holder_id, 0x55, 100, 50, kNow);
  foreign.tenant_id = other.tenant_id;
  EXPECT_EQ(store_error_kind(store_->put_handwritten_signature({}, foreign)), StoreError::kNotFound);
  EXPECT_EQ(ok_value(store_->get_handwritten_signature(w.tenant_id, w.holder_id)).sealed_png, Bytes(300, 0x44))
      << "the other tenant's calls changed nothing";
  // An unknown holder; malformed records.
  HandwrittenSignature unknown = image(w.tenant_id, w.holder_id, 0x66, 100, 50, kNow);
  unknown.holder_id = new_id("hld_");
  EXPECT_EQ(store_error_kind(store_->put_handwritten_signature({}, unknown)), StoreError::kNotFound);
  HandwrittenSignature empty = image(w.tenant_id, w.holder_id, 0x77, 100, 50, kNow);
  empty.sealed_png.clear();
  EXPECT_EQ(store_->put_handwritten_signature({}, empty).code(), ErrorCode::kInvalidArgument);
  HandwrittenSignature flat = image(w.tenant_id, w.holder_id, 0x77, 100, 0, kNow);
  EXPECT_EQ(store_->put_handwritten_signature({}, flat).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ok_value(store_->get_handwritten_signature(w.tenant_id, w.holder_id)).sealed_png, Bytes(300, 0x44));
}

// The PIN challenge that guards the handwritten signature (orders.h,
// begin_holder_pin_attempt and what follows; docs/protocol.md §6.1): counted
// when issued, the challenge id is the attempt, answered at most once.
TEST_P(StoreContractTest, HolderPinChallengeIsCountedWhenIssuedAndAnsweredOnce) {
  World w = make_world("hw-pin");
  auto counted = store_->begin_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c1", 0, simple_pin_rule(), kNow);
  ASSERT_TRUE(counted.ok()) << counted.error().to_string();
  EXPECT_EQ(counted->consecutive_failures, 1);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1) << "counted before any proof";
  PendingPinAttempt p = ok_value(store_->get_pending_pin_attempt(w.tenant_id, w.holder_id, "hwc_c1", 0));
  EXPECT_EQ(p.holder_id, w.holder_id);
  EXPECT_EQ(p.started_at, kNow);
  EXPECT_EQ(p.counters.consecutive_failures, 1);
  EXPECT_EQ(p.counters.failures_in_window, 1) << "a pending attempt counts as a failure";
  EXPECT_FALSE(p.counters.locked);
  EXPECT_EQ(ok_value(store_->get_pending_pin_attempt(w.tenant_id, w.holder_id, "hwc_c1", kNow)).counters.failures_in_window,
            0)
      << "the window starts after window_since";
  EXPECT_EQ(store_error_kind(store_->get_pending_pin_attempt(w.tenant_id, "hld_someone_else", "hwc_c1", 0)),
            StoreError::kNotFound);
  EXPECT_FALSE(store_->begin_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c1", 0, simple_pin_rule(), kNow).ok())
      << "a challenge id is issued once";
  EXPECT_EQ(store_->accept_holder_pin_attempt({}, w.tenant_id, "hld_someone_else", "hwc_c1").code(), ErrorCode::kConflict);
  ASSERT_TRUE(store_->accept_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c1").ok());
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 0) << "a verified proof resets";
  EXPECT_EQ(store_error_kind(store_->get_pending_pin_attempt(w.tenant_id, w.holder_id, "hwc_c1", 0)),
            StoreError::kNotFound);
  EXPECT_EQ(store_->accept_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c1").code(), ErrorCode::kConflict)
      << "a challenge answers one proof";
  // A wrong proof: the attempt fails (here locking the holder); it cannot
  // be accepted afterwards, and a locked holder gets no challenge.
  ASSERT_TRUE(store_->begin_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c2", 0, simple_pin_rule(), kNow).ok());
  ASSERT_TRUE(store_->fail_pin_attempt({}, w.tenant_id, "hwc_c2", true, "", {}, std::nullopt, kNow).ok());
  EXPECT_EQ(store_->accept_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c2").code(), ErrorCode::kConflict);
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).failed_attempts, 1);
  auto locked = store_->begin_holder_pin_attempt({}, w.tenant_id, w.holder_id, "hwc_c3", 0, simple_pin_rule(), kNow);
  EXPECT_EQ(locked.code(), ErrorCode::kLocked);
  EXPECT_EQ(store_error_kind(store_->get_pending_pin_attempt(w.tenant_id, w.holder_id, "hwc_c3", 0)),
            StoreError::kNotFound)
      << "nothing stored for a refused challenge";
}

}  // namespace duet::store::testing
