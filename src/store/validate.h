// The record checks of store.h's contracts ("Records are validated ..."),
// shared by the SQLite and PostgreSQL backends (private to src/store): both
// refuse the same records with the same words. Each answers Ok or
// ErrorCode::kInvalidArgument (no store kind; check_checkpoint_extends
// answers store kinds) and touches no database.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/records.h"
#include "store/sla_records.h"

namespace duet::store {

Status validate_tenant(const Tenant& t);
// Tenant::cert_identity_policy: "none" | "gmt0015".
Status validate_cert_identity_policy(std::string_view policy);
// The pages of OrderStore::put_order_previews (its kInvalidArgument cases).
Status validate_order_previews(std::string_view tenant_id, std::string_view order_id,
                               const std::vector<OrderPreview>& pages);
Status validate_app(const App& a);
// update_app_settings' values (create_app checks the same).
Status validate_app_settings(std::string_view identity_mode, std::string_view cms_oid_style);
Status validate_pin_failure_budget(std::optional<int> budget);
Status validate_holder(const Holder& h);
// A consent record of holder (tenant_id, holder_id) (store/holders.h record_consents).
Status validate_consent(const HolderConsent& c, std::string_view tenant_id, std::string_view holder_id);
Status validate_holder_key(const HolderKeyShare& k);
Status validate_handwritten_signature(const HandwrittenSignature& s);
Status validate_activation_code(const ActivationCode& a);
// complete_activation's records: complete, and naming one tenant and holder.
Status validate_activation_completion(const ActivationCompletion& a);
Status validate_device_token(const DeviceToken& t);
Status validate_order(const SignOrder& o);
// The documents of create_document_order: one per item of a kPdf order (in
// item order, naming the order), none for any other format; each with its
// prepared PDF, a ByteRange [0 a b c] inside it, a known /SubFilter, its
// stamped pages within 1..page_count, and no signed PDF yet.
Status validate_order_documents(const SignOrder& o, const std::vector<OrderDocument>& documents);
// finish_document_order's signed PDFs: one per item, none empty.
Status validate_signed_pdfs(const SignOrder& o, const std::vector<Bytes>& signed_pdfs);
Status validate_sign_session(const SignSession& s);
Status validate_share_refresh(const ShareRefresh& r);
// accept_sign_attempt's r values: at least one, none empty or with a ','
// (they are stored joined by ',').
Status validate_r_values(const std::vector<std::string>& r_values);
// finish_order's signatures: none empty (their count is the order's).
Status validate_signatures(const std::vector<Bytes>& signatures);
// finish_csr_order's records: the signatures, and a certificate the store
// accepts that names the order's tenant.
Status validate_csr_completion(std::string_view tenant_id, const std::vector<Bytes>& signatures,
                               const Certificate& certificate);
// A certificate record the store accepts (ids, serial, DER; revoked flag
// consistent with revoked_at).
Status validate_certificate(const Certificate& c);
Status validate_ca(const CaRecord& ca);
Status validate_retention_settings(const RetentionSettings& s);
Status validate_availability(const std::vector<AvailabilityMinute>& deltas);
Status validate_sla_credit(const SlaCredit& credit);
// create_maintenance_window's record: an id, and an end after the start.
Status validate_maintenance_window(const MaintenanceWindow& w);
// set_tenant_rate_limit's value (0 removes the limit).
Status validate_rate_limit(int64_t requests_per_second);
// hit_rate_window's window: a tenant and a key.
Status validate_rate_window(std::string_view tenant_id, std::string_view key);
// append_audit_event's event: an actor type the log knows, an action and an outcome.
Status validate_audit_event(const AuditEvent& event);
// add_audit_checkpoint's record: a positive seq, a whole hash, a key id and a signature.
Status validate_audit_checkpoint(const AuditCheckpoint& cp);
// A chained checkpoint (prev_hash set) must come after the newest stored one
// (kDuplicate: that head or a later one is signed already) and name it
// (checkpoint_hash; 32 zero bytes when there is none) (kConflict).
Status check_checkpoint_extends(const AuditCheckpoint& cp, const std::optional<AuditCheckpoint>& newest);
Status validate_audit_key(const AuditKey& key);
// add_package's record: ids, a period that ends after it starts, used 0, a
// known source, and a quantity the package's kind and source allow.
Status validate_package(const Package& p);
// A callback job as both backends insert it: the tenant's and the order's
// (order_id "" for a job about no order), with a new id ("cbk_...") if it
// has none. Its url must not be empty. The only call here that writes the
// record it checks.
Status complete_callback_job(CallbackJob& job, std::string_view tenant_id, std::string_view order_id);

}  // namespace duet::store
