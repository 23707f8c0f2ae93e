// store::RetentionStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Retention purges and their settings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class RetentionStore {
 public:
  virtual ~RetentionStore() = default;

  // --- retention (issue 5 §5; SQLite: store/sqlite_retention.cc) -----------
  //
  // Purges (all tenants) remove personal data and payloads that are no longer
  // needed, by the rules of RetentionSettings. Each purge call is ONE
  // transaction that changes up to `limit` records and appends, per record,
  // one audit event in that same transaction (actor_type "system", actor_id
  // `actor`, at `now`, outcome "ok", target the record's id, the record's
  // tenant_id, details a JSON object), so a purge and its audit record commit
  // or roll back together. Each returns how many records it purged; 0 when
  // nothing is due. Usage/metering records, audit events, certificates and
  // signatures are never touched by these calls.

  // Final orders (signed, rejected, expired, cancelled, failed; both kinds)
  // with updated_at <= final_before whose payload was not purged yet:
  // display_text becomes "", every data item's input (input_is_digest false)
  // is replaced by its SM3 digest (32 bytes; input_is_digest stays false),
  // digest items, signatures, title, state, ids and times stay;
  // payload_purged_at = now. Audit action "retention.order_payload_purged",
  // target the order id, details {"items": n}.
  virtual Result<size_t> purge_order_payloads(const WriteContext& context, UnixSeconds final_before, UnixSeconds now,
                                              std::string_view actor, size_t limit) = 0;
  // Was the order's payload purged (and when)? nullopt: not purged. kNotFound.
  virtual Result<std::optional<UnixSeconds>> order_payload_purged_at(std::string_view tenant_id,
                                                                     std::string_view order_id) = 0;
  // Holders not purged yet that have a certificate created at or before
  // issued_before: id_number_ciphertext and phone_ciphertext become empty,
  // identity_purged_at = now. The name ciphertext (the certificate subject
  // of a re-issue, masked views) and the lookup hash (lookups by identity)
  // stay. Audit action "retention.identity_purged", target the holder id,
  // details {"fields": ["id_number", "phone"]}.
  virtual Result<size_t> purge_identity_attributes(const WriteContext& context, UnixSeconds issued_before,
                                                   UnixSeconds now, std::string_view actor, size_t limit) = 0;
  // Keys whose share is still present and that are either revoked, or
  // unrevoked with at least one certificate whose newest not_after <=
  // expired_before (the key's last certificate expired): the share is wiped
  // (empty), an unrevoked key gets revoked_at = now, and the key's open
  // share refreshes become abandoned with their sealed values wiped. Audit
  // action "retention.key_share_wiped", target the key id, details
  // {"reason": "expired" | "revoked"}.
  virtual Result<size_t> wipe_retired_key_shares(const WriteContext& context, UnixSeconds expired_before,
                                                 UnixSeconds now, std::string_view actor, size_t limit) = 0;
  // The settings last stored by put_retention_settings; kNotFound if never.
  virtual Result<RetentionSettings> get_retention_settings() = 0;
  // Stores (replaces) the settings. Days >= 0 and interval_seconds >= 1,
  // else kInvalidArgument.
  virtual Status put_retention_settings(const WriteContext& context, const RetentionSettings& settings) = 0;
};

}  // namespace duet::store
