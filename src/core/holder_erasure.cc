#include "core/holder_erasure.h"

#include <algorithm>
#include <array>

#include "pki/crl.h"
#include "store/store_error.h"

namespace duet::core {

Result<store::HolderErasure> erase_holder(const AppContext& ctx, const store::Holder& holder,
                                          CertificateService& certificates, store::Store& store,
                                          crypto::RandomSource& rng, CoreMetrics& metrics, UnixSeconds now) {
  store::HolderDataKeyStore* keys = store::holder_data_keys(store);
  if (keys == nullptr) return make_error(ErrorCode::kInternal, "the store keeps no holder data keys");
  auto done = keys->get_holder_erasure(holder.tenant_id, holder.holder_id);
  if (done.ok()) return done;
  if (store::store_error_kind(done) != store::StoreError::kNotFound) return Unexpected{done.error()};

  store::HolderErasure rec;
  rec.tenant_id = holder.tenant_id;
  rec.holder_id = holder.holder_id;
  rec.erased_at = now;
  rec.erased_by = ctx.app_id;
  DUET_ASSIGN_OR_RETURN(std::vector<store::Certificate> certs,
                        store.list_holder_certificates(holder.tenant_id, holder.holder_id));
  UnixSeconds last_expiry = 0;
  for (const store::Certificate& c : certs) {
    last_expiry = std::max(last_expiry, c.not_after);
    if (c.revoked) continue;
    // The certificate only: its key share and the devices go in the erasure's
    // own transaction below, which counts them for the purge record.
    Status st = store.revoke_certificate(ctx.write, holder.tenant_id, c.cert_id,
                                         static_cast<int>(pki::RevocationReason::kCessationOfOperation),
                                         /*revoke_key=*/false, now);
    if (!st.ok()) {
      if (st.code() == ErrorCode::kConflict) continue;  // revoked meanwhile (another erasure)
      return Unexpected{st.error()};
    }
    metrics.certificates_revoked++;
    if (!rec.revoked_certificates.empty()) rec.revoked_certificates += ' ';
    rec.revoked_certificates += c.serial_hex;
  }
  if (!rec.revoked_certificates.empty()) certificates.invalidate_crl();
  rec.retain_until = last_expiry == 0 ? 0 : last_expiry + kCertificateRecordRetentionSeconds;
  // The lookup hash (a keyed hash of the identity) goes with the rest: a
  // random value keeps the column unique and lets the person enrol again.
  std::array<uint8_t, 32> replacement{};
  rng.fill(replacement);
  return keys->erase_holder(ctx.write, rec, replacement);
}

Result<ReappliedErasure> reapply_holder_erasure(const store::WriteContext& write, store::Store& store,
                                               const store::HolderErasure& record, crypto::RandomSource& rng) {
  store::HolderDataKeyStore* keys = store::holder_data_keys(store);
  if (keys == nullptr) return make_error(ErrorCode::kInternal, "the store keeps no holder data keys");
  auto done = keys->get_holder_erasure(record.tenant_id, record.holder_id);
  if (done.ok()) return ReappliedErasure::kAlreadyErased;
  if (store::store_error_kind(done) != store::StoreError::kNotFound) return Unexpected{done.error()};
  auto holder = store.get_holder(record.tenant_id, record.holder_id);
  if (!holder.ok()) {
    if (store::store_error_kind(holder) == store::StoreError::kNotFound) return ReappliedErasure::kHolderAbsent;
    return Unexpected{holder.error()};
  }
  DUET_ASSIGN_OR_RETURN(std::vector<store::Certificate> certs,
                        store.list_holder_certificates(record.tenant_id, record.holder_id));
  for (const store::Certificate& c : certs) {
    if (c.revoked) continue;
    Status st = store.revoke_certificate(write, record.tenant_id, c.cert_id,
                                         static_cast<int>(pki::RevocationReason::kCessationOfOperation),
                                         /*revoke_key=*/false, record.erased_at);
    if (!st.ok() && st.code() != ErrorCode::kConflict) return Unexpected{st.error()};
  }
  std::array<uint8_t, 32> replacement{};
  rng.fill(replacement);
  DUET_TRY_STATUS(keys->erase_holder(write, record, replacement));
  return ReappliedErasure::kApplied;
}

}  // namespace duet::core
