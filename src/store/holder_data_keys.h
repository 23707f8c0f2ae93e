// store::HolderDataKeyStore (schema v25, docs/privacy.md): per-holder data
// keys and the holder's erasure, a store area like those of store/store.h,
// implemented by both backends beside store::Store.
//
// Not (yet) a base of store::Store: listing it there changes store.h, which
// nearly every file includes. Reach it with holder_data_keys() from any area
// of a backend's store (both backends implement it; the contract suite
// store_contract_erasure_test.cc runs on both).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "store/holders.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

// The purge record of an erased holder (schema v25, docs/privacy.md): what
// was destroyed, when and by whom. Holds no personal data: ids, names of
// fields, counts and certificate serial numbers only. Written once; a second
// erasure of the holder answers this record again.
struct HolderErasure {
  std::string tenant_id;
  std::string holder_id;
  UnixSeconds erased_at = 0;
  std::string erased_by;  // the app id of the business system
  // Filled by the store: space-separated "data_key", "name", "id_number",
  // "phone", "handwritten_signature" (each when there was one) and
  // "key_shares:N", "device_tokens:N", "activation_codes:N" (N >= 1 only).
  std::string destroyed;
  // Serial numbers (hex) of the certificates the erasure revoked, space-separated.
  std::string revoked_certificates;
  // What the Electronic Signature Law art. 24 keeps (the certificates, their
  // issuance and revocation records) is kept at least until this time: five
  // years after the last certificate of the holder expires (0: it had none).
  UnixSeconds retain_until = 0;
};

class HolderDataKeyStore {
 public:
  virtual ~HolderDataKeyStore() = default;

  // The holder's data key, wrapped (core/holder_fields.h): stores `wrapped`
  // unless the holder already has one and answers the one stored (so two
  // concurrent first writers end up with the same key). The holder row need
  // not exist yet (the key seals the fields of the row being created).
  // kConflict once the holder is erased (no new key for erased data);
  // kInvalidArgument for empty ids or key.
  virtual Result<Bytes> put_holder_data_key(const WriteContext& context, std::string_view tenant_id,
                                            std::string_view holder_id, ByteView wrapped, UnixSeconds now) = 0;
  // kNotFound when the holder has none (never had one, or it was destroyed).
  virtual Result<Bytes> get_holder_data_key(std::string_view tenant_id, std::string_view holder_id) = 0;
  // Erasure, one transaction: the holder's data key row deleted (secure_delete
  // zeroes the freed bytes), the name, ID number and phone ciphertexts emptied,
  // the lookup hash replaced by `replacement_lookup_hash` (random: the person
  // may be enrolled again), the status locked, the handwritten signature
  // deleted, every key share wiped and key revoked, every device token revoked,
  // unused activation codes left without attempts, and `erasure` (destroyed
  // filled in) inserted. The certificates and orders stay. When the holder
  // is already erased, nothing changes and the stored record is answered.
  // kNotFound when the holder does not exist in the tenant.
  virtual Result<HolderErasure> erase_holder(const WriteContext& context, const HolderErasure& erasure,
                                             ByteView replacement_lookup_hash) = 0;
  // The purge record; kNotFound when the holder was not erased.
  virtual Result<HolderErasure> get_holder_erasure(std::string_view tenant_id, std::string_view holder_id) = 0;

};

// The HolderDataKeyStore of the store that `area` belongs to; nullptr when
// that store does not keep holder data keys (neither backend: both do).
inline HolderDataKeyStore* holder_data_keys(HolderStore& area) { return dynamic_cast<HolderDataKeyStore*>(&area); }

}  // namespace duet::store
