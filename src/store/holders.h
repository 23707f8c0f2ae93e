// store::HolderStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Holders, their key shares, activation codes and device tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class HolderStore {
 public:
  virtual ~HolderStore() = default;

  // --- holders --------------------------------------------------------------
  // kDuplicate (id or lookup hash). identity_verification must be
  // "attested", "identity_source" or "" (not recorded), else kInvalidArgument.
  virtual Status create_holder(const WriteContext& context, const Holder& holder) = 0;
  // create_holder and, in the same transaction, `consents` (each naming the
  // new holder; validated as by record_consents). Nothing is written when
  // either is refused.
  virtual Status create_holder_with_consents(const WriteContext& context, const Holder& holder,
                                             const std::vector<HolderConsent>& consents) = 0;

  // --- consents (docs/consent.md) ---------------------------------------------
  // Records acceptances of the holder in one transaction. kNotFound when the
  // holder does not exist in the tenant; kInvalidArgument for an incomplete
  // record (empty ids, document, version, channel or attester; a text_sm3
  // that is not 32 bytes; another holder). An acceptance of a (document,
  // version) already recorded is kept as it was (the first one stands), the
  // call still succeeds.
  virtual Status record_consents(const WriteContext& context, std::string_view tenant_id,
                                 std::string_view holder_id, const std::vector<HolderConsent>& consents) = 0;
  // The holder's acceptances ordered by (recorded_at, document, version);
  // empty for an unknown holder.
  virtual Result<std::vector<HolderConsent>> list_consents(std::string_view tenant_id,
                                                           std::string_view holder_id) = 0;
  virtual Result<Holder> get_holder(std::string_view tenant_id, std::string_view holder_id) = 0;
  virtual Result<Holder> find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) = 0;
  // Unlock (operator or business system), one transaction: status active,
  // failed_attempts 0, the holder's pending|failed PIN attempts forgiven (they
  // leave the failure budget), and refresh_required set if the holder has an
  // active key: any copy of the old device state must stop working, so the
  // next PIN use is a share refresh.
  virtual Status unlock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) = 0;
  // Business-system lock: status locked, failed_attempts unchanged (locking
  // a locked holder succeeds). kNotFound.
  virtual Status lock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) = 0;
  // Up to `limit` of the tenant's holders of `environment` (nullopt: both)
  // ordered by holder_id, strictly after `after_holder_id` ("" = from the start).
  virtual Result<std::vector<Holder>> list_holders(std::string_view tenant_id, std::string_view after_holder_id,
                                                   size_t limit, std::optional<AppEnvironment> environment) = 0;

  // --- holder key shares ----------------------------------------------------
  // Adds a key; kConflict if the holder already has an unrevoked key.
  virtual Status add_holder_key(const WriteContext& context, const HolderKeyShare& key) = 0;
  virtual Result<HolderKeyShare> get_active_holder_key(std::string_view tenant_id,
                                                       std::string_view holder_id) = 0;
  // Sets revoked_at and wipes the encrypted share (crypto-shredding);
  // kConflict if already revoked.
  virtual Status revoke_holder_key(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                                   UnixSeconds now) = 0;
  // A key by its id, whatever its state (a revoked one has an empty share). kNotFound.
  virtual Result<HolderKeyShare> get_holder_key(std::string_view tenant_id, std::string_view key_id) = 0;

  // --- activation codes -----------------------------------------------------
  virtual Status create_activation_code(const WriteContext& context, const ActivationCode& code) = 0;
  // Entry point of redemption: the code by its hash (whatever its state).
  virtual Result<ActivationCode> find_activation_code(ByteView code_hash) = 0;
  // Marks the code used if unused, unexpired at `now` and attempts_left > 0;
  // else kConflict. Exactly one of concurrent callers succeeds.
  virtual Status use_activation_code(const WriteContext& context, std::string_view tenant_id, std::string_view code_id,
                                     UnixSeconds now) = 0;
  // Spends one attempt (a failed redemption step); returns the attempts left.
  // kConflict when none are left or the code is used.
  virtual Result<int> spend_activation_attempt(const WriteContext& context, std::string_view tenant_id,
                                               std::string_view code_id) = 0;
  // Spends one SMS one-time-code attempt (a wrong OTP); returns the OTP
  // attempts left. kConflict when none are left (also for a code without an
  // OTP) or the code is used; kNotFound. Concurrent callers never spend more
  // than otp_attempts_left.
  virtual Result<int> spend_otp_attempt(const WriteContext& context, std::string_view tenant_id,
                                        std::string_view code_id) = 0;
  // Enrollment, one transaction: the code must be unused, unexpired at
  // c.now, have attempts_left > 0 and belong to c.key.holder_id (else
  // kConflict; an unknown code is kNotFound) and is marked used; every
  // unrevoked key of the holder is revoked (revoked_at = now, share wiped)
  // and every unrevoked device token of the holder revoked; c.key and
  // c.token are inserted; the holder becomes active with failed_attempts 0,
  // refresh_required cleared and its pending|failed PIN attempts forgiven
  // (they were against the revoked key). Exactly one of concurrent
  // completions of one code succeeds.
  // kInvalidArgument for incomplete records or mismatched tenant/holder ids.
  virtual Status complete_activation(const WriteContext& context, const ActivationCompletion& c) = 0;

  // --- device tokens --------------------------------------------------------
  virtual Status create_device_token(const WriteContext& context, const DeviceToken& token) = 0;
  // Entry point of holder authentication: an unrevoked token by its hash.
  virtual Result<DeviceToken> find_device_token(ByteView token_hash) = 0;
  virtual Status revoke_device_token(const WriteContext& context, std::string_view tenant_id, ByteView token_hash,
                                     UnixSeconds now) = 0;

  // Replaces a key's sealed share by another sealing of the same share (the
  // v1 -> v2 upgrade that seals P1 in): only while the key is unrevoked and
  // still holds `expected` (kConflict otherwise: a refresh won, nothing
  // changed).
  virtual Status reseal_key_share(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                                  ByteView expected, ByteView replacement) = 0;

  // --- the holder's handwritten-signature image (schema v22) ---------------
  // Stores the holder's image, replacing the one stored before (one per
  // holder). kNotFound if the holder does not exist in the tenant;
  // kInvalidArgument for an empty sealed image or a size below 1 pixel.
  virtual Status put_handwritten_signature(const WriteContext& context, const HandwrittenSignature& signature) = 0;
  // kNotFound when the holder has none (or does not exist in the tenant).
  virtual Result<HandwrittenSignature> get_handwritten_signature(std::string_view tenant_id,
                                                                 std::string_view holder_id) = 0;
  // Removes it; kNotFound when there was none.
  virtual Status delete_handwritten_signature(const WriteContext& context, std::string_view tenant_id,
                                              std::string_view holder_id) = 0;
};

}  // namespace duet::store
