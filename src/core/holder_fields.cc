#include "core/holder_fields.h"

#include <algorithm>
#include <array>

#include "crypto/aead.h"
#include "store/store_error.h"

namespace duet::core {
namespace {

constexpr crypto::AeadAlgorithm kAlg = crypto::AeadAlgorithm::kAes256Gcm;
constexpr std::string_view kAadPrefix = "duet/holder-field/v1/";

std::string key_context(std::string_view tenant_id, std::string_view holder_id) {
  return "holder_data_key:" + std::string(tenant_id) + ":" + std::string(holder_id);
}

Bytes aad_for(std::string_view context) {
  const std::string text = std::string(kAadPrefix) + std::string(context);
  return Bytes(text.begin(), text.end());
}

}  // namespace

std::string HolderFields::field_context(std::string_view tenant_id, std::string_view holder_id,
                                        std::string_view field) {
  return "holder:" + std::string(tenant_id) + ":" + std::string(holder_id) + ":" + std::string(field);
}

Result<SecretBytes> HolderFields::data_key(std::string_view tenant_id, std::string_view holder_id, bool create) {
  if (keys_ == nullptr) return make_error(ErrorCode::kInternal, "the store keeps no holder data keys");
  auto wrapped = keys_->get_holder_data_key(tenant_id, holder_id);
  if (!wrapped.ok()) {
    if (store::store_error_kind(wrapped) != store::StoreError::kNotFound) return Unexpected{wrapped.error()};
    if (!create) {
      return make_error(ErrorCode::kConflict, "data key destroyed: the holder's personal data was erased");
    }
    SecretBytes fresh(crypto::aead_key_size(kAlg));
    rng_.fill(std::span<uint8_t>(fresh.data(), fresh.size()));
    DUET_ASSIGN_OR_RETURN(Bytes sealed, protector_.seal(key_context(tenant_id, holder_id), fresh.view()));
    // No audit event of its own: the key is part of the write that seals
    // with it (a holder create, an image upload), which has its event. A
    // key whose write then fails seals nothing.
    wrapped = keys_->put_holder_data_key({}, tenant_id, holder_id, sealed, clock_.now());
    if (!wrapped.ok()) {
      if (store::store_error_kind(wrapped) == store::StoreError::kConflict) {
        return make_error(ErrorCode::kConflict, "the holder was erased");
      }
      return Unexpected{wrapped.error()};
    }
  }
  auto key = protector_.open(key_context(tenant_id, holder_id), *wrapped);
  if (!key.ok()) return make_error(key.code(), "the holder's data key does not open");
  if (key->size() != crypto::aead_key_size(kAlg)) return make_error(ErrorCode::kBadEncoding, "bad holder data key");
  return key;
}

Result<Bytes> HolderFields::seal(std::string_view tenant_id, std::string_view holder_id, std::string_view field,
                                 ByteView plaintext) {
  DUET_ASSIGN_OR_RETURN(SecretBytes key, data_key(tenant_id, holder_id, /*create=*/true));
  std::array<uint8_t, crypto::kAeadNonceSize> nonce{};
  rng_.fill(nonce);
  DUET_ASSIGN_OR_RETURN(Bytes ct, crypto::aead_seal(kAlg, key.view(), nonce,
                                                    aad_for(field_context(tenant_id, holder_id, field)), plaintext));
  Bytes out(1 + nonce.size() + ct.size());
  out[0] = kFormat;
  std::copy(nonce.begin(), nonce.end(), out.begin() + 1);
  std::copy(ct.begin(), ct.end(), out.begin() + 1 + static_cast<std::ptrdiff_t>(nonce.size()));
  return out;
}

Result<SecretBytes> HolderFields::open(std::string_view tenant_id, std::string_view holder_id, std::string_view field,
                                       ByteView sealed) {
  const std::string context = field_context(tenant_id, holder_id, field);
  if (sealed.empty() || sealed[0] != kFormat) return protector_.open(context, sealed);  // before schema v25
  if (sealed.size() < 1 + crypto::kAeadNonceSize + crypto::kAeadTagSize) {
    return make_error(ErrorCode::kBadEncoding, "sealed holder field too short");
  }
  DUET_ASSIGN_OR_RETURN(SecretBytes key, data_key(tenant_id, holder_id, /*create=*/false));
  return crypto::aead_open(kAlg, key.view(), sealed.subspan(1, crypto::kAeadNonceSize), aad_for(context),
                           sealed.subspan(1 + crypto::kAeadNonceSize));
}

}  // namespace duet::core
