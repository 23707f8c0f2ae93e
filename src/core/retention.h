// Retention of personal data and payloads (docs/operations.md, personal data, issue 5 §5).
//
// The rules (store::RetentionSettings; days are whole 86,400 s days):
//  - order payloads: a final order's item data and display text are purged
//    order_payload_days after it became final (its updated_at). The order
//    keeps its ids, title, state, times, signatures and, per data item,
//    SM3(data) (digest items keep their digest e): enough to check that a
//    document is the one signed and that the stored signature verifies
//    (openssl / `duet verify` with the document and the certificate or
//    public key). 0 = never. A cms-attached signature is a SignedData that
//    embeds the content: it stays with the signatures (the business system
//    received it), so such an order's content is not destroyed by the purge.
//  - identity attributes: the ID number and phone ciphertexts of a holder are
//    purged identity_days after the holder's first certificate was issued
//    (the identity check they served is done). The name ciphertext stays
//    (subject of a re-issued certificate, masked views) and so does the
//    keyed lookup hash (lookups by identity still work). Afterwards the
//    views show the ID number and phone as "" with identity_purged = true;
//    a re-key that needs them (identity_source re-check, SMS one-time code)
//    is refused with 409 conflict. 0 = never.
//  - key shares: the service share of a key whose last certificate expired
//    is wiped expired_key_days after that expiry (0: at once) and the key is
//    retired (revoked_at set). Revoked keys are wiped at revocation; the
//    sweep also wipes any revoked key found with a share.
//  - usage/metering records, audit events, certificates and signatures are
//    never purged by these rules.
// Every purged record gets its own audit event, appended in the purge's
// transaction (store.h, retention section).
//
// Settings: the [retention] table of duetd's config file gives the defaults;
// settings changed over the Admin API (PUT /admin/v1/retention, role
// security_officer) are stored and override the file from then on.
//
// Several nodes: run_if_due() takes the store lease "retention.purge"
// (Store::try_acquire_lease) so one node at a time runs the purges.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "core/clock.h"
#include "store/leases.h"
#include "store/retention.h"
#include "store/store.h"

namespace duet::core {

struct PurgeCounts {
  size_t order_payloads = 0;
  size_t identities = 0;
  size_t key_shares = 0;
  size_t total() const { return order_payloads + identities + key_shares; }
};

struct EffectiveRetention {
  store::RetentionSettings settings;
  std::string source;  // "config" (the file's defaults) or "api" (stored)
};

class RetentionService {
 public:
  static constexpr std::string_view kLeaseName = "retention.purge";

  // `defaults`: the [retention] table. `batch`: records per purge transaction.
  // The store areas the service uses; converts from the daemon's one store.
  struct Stores {
    Stores(store::Store& s) : retention(s), leases(s) {}  // implicit: callers pass their store
    Stores(store::RetentionStore& r, store::LeaseStore& l) : retention(r), leases(l) {}
    store::RetentionStore& retention;
    store::LeaseStore& leases;
  };

  RetentionService(Stores stores, const Clock& clock, store::RetentionSettings defaults, size_t batch = 200);

  // The settings in force: the stored ones when an operator changed them, else the defaults.
  Result<EffectiveRetention> settings();
  // Validates and stores new settings (updated_at = now, updated_by = operator_name).
  Result<EffectiveRetention> update(const store::WriteContext& write, store::RetentionSettings in,
                                    std::string_view operator_name);

  // Runs every rule once at `now` (each in batches until nothing is due).
  // `actor` names the purger in the audit events.
  Result<PurgeCounts> run_once(const store::WriteContext& write, std::string_view actor);

  // Runs run_once when interval_seconds passed since this object's last
  // run and this `owner` holds (or takes) the store lease kLeaseName for
  // interval_seconds. nullopt: not due, or another owner holds the lease.
  Result<std::optional<PurgeCounts>> run_if_due(std::string_view owner);

 private:
  Stores stores_;
  const Clock& clock_;
  store::RetentionSettings defaults_;
  size_t batch_;
  std::mutex mu_;
  std::optional<store::UnixSeconds> last_run_;
};

}  // namespace duet::core
