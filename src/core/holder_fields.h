// A holder's personal fields sealed under the holder's own data key
// (docs/privacy.md; issue 14 item 8: erasure that erases).
//
// Each holder has one random AES-256 data key, stored wrapped by the service's
// DataProtector (whose own key the KEK wraps) and bound to
// "holder_data_key:<tenant>:<holder>" (store::HolderStore::put_holder_data_key).
// The name, ID number, phone and handwritten-signature image are sealed under
// it as 'H' ‖ 12-byte nonce ‖ AES-256-GCM(ciphertext ‖ tag) with the
// associated data "duet/holder-field/v1/holder:<tenant>:<holder>:<field>", so
// a field copied into another holder's row or field does not open. Erasing
// the holder deletes the key: every copy of these fields (backups included)
// is then unreadable with the service's key material.
//
// Fields written before schema v25 were sealed by the DataProtector itself
// (version byte 1 or 2, never 'H'); they still open that way, and they are
// resealed under the holder's key when the holder is next written (a new
// handwritten image) or erased (the erasure empties them anyway).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "core/clock.h"
#include "crypto/random.h"
#include "keys/data_protector.h"
#include "store/holder_data_keys.h"

namespace duet::core {

class HolderFields {
 public:
  // `store` is any area of a backend's store; its data keys are reached
  // through store::holder_data_keys (store/holder_data_keys.h).
  HolderFields(store::HolderStore& store, keys::DataProtector& protector, crypto::RandomSource& rng,
               const Clock& clock)
      : keys_(store::holder_data_keys(store)), protector_(protector), rng_(rng), clock_(clock) {}

  // Seals `plaintext` as `field` ("name", "id_number", "phone",
  // "handwritten_signature") of the holder, under the holder's data key
  // (created, with a fresh random key, on first use). kConflict once the
  // holder is erased; kUnavailable while the protector cannot seal.
  Result<Bytes> seal(std::string_view tenant_id, std::string_view holder_id, std::string_view field,
                     ByteView plaintext);
  // Opens what seal (or, before schema v25, the DataProtector) sealed.
  // kConflict "data key destroyed" when the holder's key is gone (erased);
  // kBadEncoding for a ciphertext of another holder, field or key.
  Result<SecretBytes> open(std::string_view tenant_id, std::string_view holder_id, std::string_view field,
                           ByteView sealed);

  // The first byte of a field sealed under a holder's data key.
  static constexpr uint8_t kFormat = 'H';
  static std::string field_context(std::string_view tenant_id, std::string_view holder_id, std::string_view field);

 private:
  Result<SecretBytes> data_key(std::string_view tenant_id, std::string_view holder_id, bool create);

  store::HolderDataKeyStore* keys_;  // nullptr: the store keeps none (every call fails kInternal)
  keys::DataProtector& protector_;
  crypto::RandomSource& rng_;
  const Clock& clock_;
};

}  // namespace duet::core
