// Contract tests of per-holder data keys and the holder's erasure
// (store/holders.h put/get_holder_data_key, erase_holder, get_holder_erasure;
// schema v25, docs/privacy.md). Written against StoreContractTest only, so
// every backend runs them.
#include <string>

#include "base/result_testing.h"
#include "store/holder_data_keys.h"
#include "store/ids.h"
#include "store/store_contract_test.h"
#include "store/store_test_util.h"

namespace duet::store::testing {

using duet::testing_support::ok_value;
namespace {

HolderErasure erasure_of(const std::string& tenant_id, const std::string& holder_id, const std::string& app_id,
                         UnixSeconds at) {
  HolderErasure e;
  e.tenant_id = tenant_id;
  e.holder_id = holder_id;
  e.erased_at = at;
  e.erased_by = app_id;
  e.revoked_certificates = "0a1b 0c2d";
  e.retain_until = at + 5 * 366 * 86400;
  return e;
}

// A replacement lookup hash unique across runs (holders_lookup_hash is unique per tenant).
Bytes hash_of(const std::string& label) {
  std::string id = new_id(label + "_");
  return Bytes(id.begin(), id.end());
}

}  // namespace

TEST_P(StoreContractTest, HolderDataKeyIsStoredOnceAndTenantScoped) {
  // Both backends implement the area beside Store (store/holder_data_keys.h).
  ASSERT_NE(holder_data_keys(*store_), nullptr) << "the backend keeps no holder data keys";
  HolderDataKeyStore& keys = *holder_data_keys(*store_);
  World w = make_world("hdk");
  World other = make_world("hdk-other");
  EXPECT_EQ(store_error_kind(keys.get_holder_data_key(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  EXPECT_EQ(ok_value(keys.put_holder_data_key({}, w.tenant_id, w.holder_id, Bytes(60, 0x11), kNow)),
            Bytes(60, 0x11));
  // A second writer gets the first key, not its own: one key per holder.
  EXPECT_EQ(ok_value(keys.put_holder_data_key({}, w.tenant_id, w.holder_id, Bytes(60, 0x22), kNow + 1)),
            Bytes(60, 0x11));
  EXPECT_EQ(ok_value(keys.get_holder_data_key(w.tenant_id, w.holder_id)), Bytes(60, 0x11));
  EXPECT_EQ(store_error_kind(keys.get_holder_data_key(other.tenant_id, w.holder_id)), StoreError::kNotFound);
  // The holder row need not exist yet (the key seals the row being created).
  std::string unborn = new_id("hld_");
  EXPECT_EQ(ok_value(keys.put_holder_data_key({}, w.tenant_id, unborn, Bytes(60, 0x33), kNow)), Bytes(60, 0x33));
  EXPECT_EQ(keys.put_holder_data_key({}, w.tenant_id, w.holder_id, Bytes{}, kNow).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(keys.put_holder_data_key({}, "", w.holder_id, Bytes(60, 1), kNow).code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, EraseHolderDestroysPersonalDataKeepsCertificatesAndIsIdempotent) {
  HolderDataKeyStore& keys = *holder_data_keys(*store_);
  World w = make_world("erase");
  World bystander = make_world("erase-bystander");
  ASSERT_TRUE(keys.put_holder_data_key({}, w.tenant_id, w.holder_id, Bytes(60, 0x44), kNow).ok());
  ASSERT_TRUE(keys.put_holder_data_key({}, bystander.tenant_id, bystander.holder_id, Bytes(60, 0x55), kNow).ok());
  HandwrittenSignature img;
  img.tenant_id = w.tenant_id;
  img.holder_id = w.holder_id;
  img.sealed_png = Bytes(100, 0x66);
  img.width = img.height = 10;
  img.updated_at = kNow;
  ASSERT_TRUE(store_->put_handwritten_signature({}, img).ok());
  HolderKeyShare key = add_key(w);
  ASSERT_TRUE(store_->add_certificate({}, cert_for(w, key.key_id, "0a1b" + new_id("").substr(1, 8))).ok());
  DeviceToken token;
  token.tenant_id = w.tenant_id;
  token.holder_id = w.holder_id;
  const std::string token_id = new_id("tok_"), code_hash_id = new_id("cod_");
  token.token_hash = Bytes(token_id.begin(), token_id.end());  // unique across runs (a global index)
  token.created_at = kNow;
  ASSERT_TRUE(store_->create_device_token({}, token).ok());
  ActivationCode code;
  code.tenant_id = w.tenant_id;
  code.code_id = new_id("act_");
  code.holder_id = w.holder_id;
  code.code_hash = Bytes(code_hash_id.begin(), code_hash_id.end());
  code.expires_at = kNow + 3600;
  code.attempts_left = 5;
  code.created_at = kNow;
  ASSERT_TRUE(store_->create_activation_code({}, code).ok());
  Holder before = ok_value(store_->get_holder(w.tenant_id, w.holder_id));
  ASSERT_FALSE(before.name_ciphertext.empty());

  EXPECT_EQ(store_error_kind(keys.get_holder_erasure(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  const Bytes replacement = hash_of("erase-1");
  HolderErasure first = erasure_of(w.tenant_id, w.holder_id, w.app_id, kNow + 10);
  HolderErasure done = ok_value(keys.erase_holder({}, first, replacement));
  EXPECT_EQ(done.destroyed,
            "data_key name id_number phone handwritten_signature key_shares:1 device_tokens:1 activation_codes:1");
  EXPECT_EQ(done.erased_by, w.app_id);
  EXPECT_EQ(done.revoked_certificates, "0a1b 0c2d");

  // Destroyed: the data key, the sealed fields, the image, the share, the token, the code's attempts.
  EXPECT_EQ(store_error_kind(keys.get_holder_data_key(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  Holder after = ok_value(store_->get_holder(w.tenant_id, w.holder_id));
  EXPECT_TRUE(after.name_ciphertext.empty());
  EXPECT_TRUE(after.id_number_ciphertext.empty());
  EXPECT_TRUE(after.phone_ciphertext.empty());
  EXPECT_EQ(after.lookup_hash, replacement);
  EXPECT_EQ(after.status, HolderStatus::kLocked);
  EXPECT_EQ(store_error_kind(store_->get_handwritten_signature(w.tenant_id, w.holder_id)), StoreError::kNotFound);
  HolderKeyShare k = ok_value(store_->get_holder_key(w.tenant_id, key.key_id));
  EXPECT_TRUE(k.service_share_ciphertext.empty());
  EXPECT_EQ(k.revoked_at, std::optional<UnixSeconds>(kNow + 10));
  EXPECT_EQ(store_error_kind(store_->find_device_token(token.token_hash)), StoreError::kNotFound);
  EXPECT_EQ(ok_value(store_->find_activation_code(code.code_hash)).attempts_left, 0);
  // Kept (Electronic Signature Law art. 24): the certificate.
  auto certs = ok_value(store_->list_holder_certificates(w.tenant_id, w.holder_id));
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_FALSE(certs[0].der.empty());
  // No new data key for erased data.
  EXPECT_EQ(store_error_kind(keys.put_holder_data_key({}, w.tenant_id, w.holder_id, Bytes(60, 1), kNow + 11)),
            StoreError::kConflict);

  // Idempotent: a second erasure changes nothing and answers the first record.
  HolderErasure again = erasure_of(w.tenant_id, w.holder_id, w.app_id, kNow + 99);
  again.revoked_certificates = "";
  HolderErasure second = ok_value(keys.erase_holder({}, again, hash_of("erase-2")));
  EXPECT_EQ(second.erased_at, kNow + 10);
  EXPECT_EQ(second.destroyed, done.destroyed);
  EXPECT_EQ(second.revoked_certificates, "0a1b 0c2d");
  EXPECT_EQ(ok_value(store_->get_holder(w.tenant_id, w.holder_id)).lookup_hash, replacement);
  HolderErasure stored = ok_value(keys.get_holder_erasure(w.tenant_id, w.holder_id));
  EXPECT_EQ(stored.retain_until, done.retain_until);

  // The bystander is untouched; another tenant cannot erase the holder.
  EXPECT_EQ(ok_value(keys.get_holder_data_key(bystander.tenant_id, bystander.holder_id)), Bytes(60, 0x55));
  HolderErasure foreign = erasure_of(bystander.tenant_id, bystander.holder_id, bystander.app_id, kNow);
  foreign.holder_id = w.holder_id;
  EXPECT_EQ(store_error_kind(keys.erase_holder({}, foreign, hash_of("foreign"))), StoreError::kNotFound);
  HolderErasure unknown = erasure_of(w.tenant_id, w.holder_id, w.app_id, kNow);
  unknown.holder_id = new_id("hld_");
  EXPECT_EQ(store_error_kind(keys.erase_holder({}, unknown, hash_of("unknown"))), StoreError::kNotFound);
  HolderErasure no_hash = erasure_of(bystander.tenant_id, bystander.holder_id, bystander.app_id, kNow);
  EXPECT_EQ(keys.erase_holder({}, no_hash, Bytes{}).code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreContractTest, EraseHolderWithoutOptionalDataSaysSo) {
  HolderDataKeyStore& keys = *holder_data_keys(*store_);
  World w = make_world("erase-min");  // no data key, image, key, token or code
  HolderErasure min = erasure_of(w.tenant_id, w.holder_id, w.app_id, kNow);
  HolderErasure done = ok_value(keys.erase_holder({}, min, hash_of("erase-min")));
  EXPECT_EQ(done.destroyed.rfind("name", 0), 0u) << done.destroyed;
  EXPECT_EQ(done.destroyed.find("data_key"), std::string::npos);
  EXPECT_EQ(done.destroyed.find("handwritten_signature"), std::string::npos);
  EXPECT_EQ(done.destroyed.find("key_shares"), std::string::npos);
}

}  // namespace duet::store::testing
