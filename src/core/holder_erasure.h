// Erasure of a holder for the business system (DELETE /api/v1/holders/{id},
// docs/privacy.md; issue 14 item 8).
//
// What is destroyed: the holder's data key (so every copy of the sealed name,
// ID number, phone and handwritten image stops opening, backups included),
// those sealed fields themselves, the key shares, device tokens and unused
// activation codes. What is kept (Electronic Signature Law art. 24: the
// certificate-related information, at least five years after the certificate
// expires): the certificates (which state the subject), their serials, the
// issuance and revocation records, the orders and the consent records; the
// purge record names the date until which they are kept. The audit events
// of the erasure carry ids only.
#pragma once

#include <string>

#include "base/result.h"
#include "core/certificate_service.h"
#include "core/contexts.h"
#include "core/core_deps.h"
#include "crypto/random.h"
#include "store/holder_data_keys.h"

namespace duet::core {

// Five years after the last certificate expires, counted generously: 5 × 365
// days plus the two leap days five years can hold.
inline constexpr UnixSeconds kCertificateRecordRetentionSeconds = (5 * 365 + 2) * 86400;

// Erases `holder` (already checked to be the caller's tenant and environment):
// revokes every unrevoked certificate of it (cessationOfOperation; the CRL is
// rebuilt), then destroys the personal data, the key shares and device
// tokens in one store transaction and writes the purge record, which counts
// all of it. Idempotent: a holder already erased answers its purge record and
// nothing is revoked again. A failure part-way leaves revocations done and
// nothing erased; calling again finishes the work.
Result<store::HolderErasure> erase_holder(const AppContext& ctx, const store::Holder& holder,
                                          CertificateService& certificates, store::Store& store,
                                          crypto::RandomSource& rng, CoreMetrics& metrics, UnixSeconds now);

// What re-applying one purge record to a restored store did.
enum class ReappliedErasure {
  kApplied,        // the holder was in the restored store and is now erased
  kAlreadyErased,  // the restored store has the holder's purge record already
  kHolderAbsent,   // the holder was created after the backup: nothing of it to erase
};

// Re-applies an erasure recorded elsewhere (the live store a restore stands
// in for, or a newer backup; store/erasure_records.h) to a restored store
// (docs/privacy.md "Backups"): every certificate of the holder still
// unrevoked there is revoked (cessationOfOperation, at the record's
// erased_at, as the erasure did; one revoked later by other means in the
// source is revoked the same way: an erased holder keeps no valid
// certificate), then the erasure's own transaction runs with the record's
// erased_at, erased_by, revoked_certificates and retain_until (destroyed
// says what it destroyed in the restored copy). `write` carries the audit
// event of the restore. Idempotent.
Result<ReappliedErasure> reapply_holder_erasure(const store::WriteContext& write, store::Store& store,
                                               const store::HolderErasure& record, crypto::RandomSource& rng);

}  // namespace duet::core
