// Contract tests of the holder's handwritten-signature image
// (store/holders.h put/get/delete_handwritten_signature; schema v22).
// Written against StoreContractTest only, so every backend runs them.
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

}  // namespace duet::store::testing
