// SqliteStore, the SQLite backend of store::Store (sqlite_store.h), declared
// for its files: sqlite_store.cc (transactions, migrations, opening),
// sqlite_tenants.cc, sqlite_holders.cc, sqlite_orders.cc,
// sqlite_pin_attempts.cc (PIN attempts and share refreshes),
// sqlite_certificates.cc, sqlite_callbacks.cc and sqlite_store_areas.cc (the
// calls that the sqlite_<area>.cc functions do), with the statements they
// share (sqlite_rows.cc); rows decode with both backends' record decoders
// (store/row_decoders.h). Private to the backend; the contracts are
// store.h's.
#pragma once

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <utility>

#include "store/audit_checkpoint_deliveries.h"
#include "store/audit_disclosures.h"
#include "store/holder_data_keys.h"
#include "store/ids.h"
#include "store/record_text.h"
#include "store/row_decoders.h"
#include "store/sqlite_audit.h"
#include "store/sqlite_db.h"
#include "store/sqlite_metering.h"
#include "store/sqlite_retention.h"
#include "store/sqlite_row.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_sla.h"
#include "store/sqlite_store.h"
#include "store/validate.h"
#include "store/write_context.h"

namespace duet::store::sqlite_store {

using sqlite::Connection;
using sqlite::ConnectionPool;
using sqlite::Statement;
using sqlite::Transaction;

// --- enum <-> text ------------------------------------------------------------

Unexpected corrupt(std::string_view what);

using namespace record_text;  // enum <-> text and cursors (store/record_text.h)

Status invalid(std::string_view what);

Status not_found(std::string_view what);

Status conflict(std::string_view what);

// Runs a statement that changes rows; returns the number changed.
Result<int> run_changes(Connection& c, Statement& st);

// Does a row exist? `sql` selects with the given two text parameters.
Result<bool> exists(Connection& c, std::string_view sql, std::string_view a, std::string_view b);

Result<bool> exists(Connection& c, std::string_view sql, std::string_view a, std::string_view b,
                    std::string_view d);

// After a conditional update changed nothing: kNotFound if the row is not
// there (for this tenant), else kConflict.
Status not_found_or_conflict(Connection& c, std::string_view exists_sql, std::string_view tenant,
                             std::string_view id, std::string_view what);

constexpr std::string_view kOrderExists = "SELECT 1 FROM sign_orders WHERE tenant_id = ?1 AND order_id = ?2";
constexpr std::string_view kCallbackExists = "SELECT 1 FROM callback_jobs WHERE tenant_id = ?1 AND job_id = ?2";

// --- row readers: the record decoders and their column lists are row_decoders.h's ---

using namespace row_decoders;

// Inserts a validated certificate: the serial must be free in every tenant
// (kConflict) and the key must be the holder's (kNotFound).
Status insert_certificate(Connection& c, const Certificate& cert);

// Runs a query expected to yield at most one row and reads it.
template <typename T, typename Reader>
Result<T> query_one(Statement& st, Reader read, std::string_view what) {
  DUET_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Unexpected{not_found(what).error()};
  return read(st);  // T or Result<T>
}

// Reads every remaining row of a query with a reader of the statement.
template <typename T, typename Reader>
Result<std::vector<T>> read_all(Statement& st, Reader read) {
  return sqlite::read_rows<T>(st, [&](const RowReader&) { return read(st); });
}

Result<SignOrder> load_order(Connection& c, std::string_view tenant, std::string_view order_id);

// Order documents (sqlite_order_documents.cc / pg_order_documents.cc): one
// validated document inserted; a signed PDF set on an unsigned document
// (kNotFound when there is none); and the check, before a finish, that the
// order has exactly as many documents as signed PDFs are given
// (kInvalidArgument otherwise: a PDF order finishes only with its PDFs).
Status insert_order_document(Connection& c, const OrderDocument& d);
Status set_signed_pdf(Connection& c, std::string_view tenant, std::string_view order_id, int item_index,
                      const Bytes& pdf);
Status check_document_completion(Connection& c, std::string_view tenant, std::string_view order_id,
                                 const std::vector<Bytes>& signed_pdfs);

Status insert_callback(Connection& c, CallbackJob job, std::string_view tenant, std::string_view order_id,
                       UnixSeconds now);

// Marks the open sessions of an order failed (when the order reaches a final state).
Status fail_open_sessions(Connection& c, std::string_view tenant, std::string_view order_id, UnixSeconds now);

// The holder's key exists (kNotFound) and is not revoked (kConflict); in sqlite_holders.cc.
Status check_holder_key_usable(Connection& c, std::string_view tenant_id, std::string_view key_id,
                               std::string_view holder_id);

// Inserts consent records (validated for `tenant_id`, `holder_id`), keeping
// an existing (holder, document, version) as it was; in sqlite_consents.cc.
Status insert_consents(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                       const std::vector<HolderConsent>& consents);

// The context of reads and of the store's own audit calls: no audited
// action, no request nonce.
inline const WriteContext kNoWrite{};

// --- the store ------------------------------------------------------------------

class SqliteStore final : public Store, public HolderDataKeyStore, public AuditDisclosureStore,
                          public AuditCheckpointDeliveryStore {
 public:

  explicit SqliteStore(SqliteStoreOptions options)
      : options_(std::move(options)),
        pool_(options_.path, static_cast<int>(options_.busy_timeout.count()), options_.max_connections,
              options_.checkpoint_pages) {}
  Status migrate();
  Result<int> schema_version() override;
  // --- tenants ---
  Status create_tenant(const WriteContext& context, const Tenant& t) override;
  Result<Tenant> get_tenant(std::string_view tenant_id) override;
  Status set_tenant_suspended(const WriteContext& context, std::string_view tenant_id, bool suspended,
                              UnixSeconds now) override;
  Status set_tenant_hybrid_previews(const WriteContext& context, std::string_view tenant_id, bool allowed) override;
  Status set_tenant_cert_identity_policy(const WriteContext& context, std::string_view tenant_id,
                                         std::string_view policy) override;
  Status set_tenant_production_active_from(const WriteContext& context, std::string_view tenant_id,
                                           UnixSeconds from) override;
  Status activate_tenant(const WriteContext& context, std::string_view tenant_id, UnixSeconds from,
                         UnixSeconds expires_at, UnixSeconds now) override;
  Result<std::vector<Tenant>> list_tenants() override;
  // --- apps ---
  Status create_app(const WriteContext& context, const App& a) override;
  Result<App> get_app(std::string_view tenant_id, std::string_view app_id) override;
  Result<App> find_app(std::string_view app_id) override;
  Result<std::vector<App>> list_apps(std::string_view tenant_id) override;
  Status update_app_secret(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                           ByteView secret_ciphertext) override;
  Status set_app_pin_failure_budget(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                                    std::optional<int> budget) override;
  Status update_app_settings(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                             std::string_view identity_mode, bool sms_otp_required,
                             std::string_view cms_oid_style) override;
  // --- holders ---
  Status create_holder(const WriteContext& context, const Holder& h) override;
  Status create_holder_with_consents(const WriteContext& context, const Holder& h,
                                     const std::vector<HolderConsent>& consents) override;
  Status record_consents(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id,
                         const std::vector<HolderConsent>& consents) override;
  Result<std::vector<HolderConsent>> list_consents(std::string_view tenant_id, std::string_view holder_id) override;
  Result<Holder> get_holder(std::string_view tenant_id, std::string_view holder_id) override;
  Result<Holder> find_holder_by_lookup_hash(std::string_view tenant_id, ByteView lookup_hash) override;
  Status unlock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) override;
  Status lock_holder(const WriteContext& context, std::string_view tenant_id, std::string_view holder_id) override;
  Result<std::vector<Holder>> list_holders(std::string_view tenant_id, std::string_view after_holder_id, size_t limit,
                                           std::optional<AppEnvironment> environment) override;
  // --- holder keys ---
  Status add_holder_key(const WriteContext& context, const HolderKeyShare& k) override;
  Result<HolderKeyShare> get_active_holder_key(std::string_view tenant_id, std::string_view holder_id) override;
  Status revoke_holder_key(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                           UnixSeconds now) override;
  Result<HolderKeyShare> get_holder_key(std::string_view tenant_id, std::string_view key_id) override;
  // --- per-holder data keys and erasure (sqlite_erasure.cc) ---
  Result<Bytes> put_holder_data_key(const WriteContext& context, std::string_view tenant_id,
                                    std::string_view holder_id, ByteView wrapped, UnixSeconds now) override;
  Result<Bytes> get_holder_data_key(std::string_view tenant_id, std::string_view holder_id) override;
  Result<HolderErasure> erase_holder(const WriteContext& context, const HolderErasure& erasure,
                                     ByteView replacement_lookup_hash) override;
  Result<HolderErasure> get_holder_erasure(std::string_view tenant_id, std::string_view holder_id) override;
  // --- handwritten-signature images (sqlite_handwriting.cc / pg_handwriting.cc) ---
  Status put_handwritten_signature(const WriteContext& context, const HandwrittenSignature& signature) override;
  Result<HandwrittenSignature> get_handwritten_signature(std::string_view tenant_id,
                                                         std::string_view holder_id) override;
  Status delete_handwritten_signature(const WriteContext& context, std::string_view tenant_id,
                                      std::string_view holder_id) override;
  // --- activation codes ---
  Status create_activation_code(const WriteContext& context, const ActivationCode& a) override;
  Result<ActivationCode> find_activation_code(ByteView code_hash) override;
  Status use_activation_code(const WriteContext& context, std::string_view tenant_id, std::string_view code_id,
                             UnixSeconds now) override;
  Result<int> spend_activation_attempt(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view code_id) override;
  Result<int> spend_otp_attempt(const WriteContext& context, std::string_view tenant_id,
                                std::string_view code_id) override;
  Status complete_activation(const WriteContext& context, const ActivationCompletion& a) override;
  // --- device tokens ---
  Status create_device_token(const WriteContext& context, const DeviceToken& t) override;
  Result<DeviceToken> find_device_token(ByteView token_hash) override;
  Status revoke_device_token(const WriteContext& context, std::string_view tenant_id, ByteView token_hash,
                             UnixSeconds now) override;
  // --- orders ---
  Result<SignOrder> create_order(const WriteContext& context, const SignOrder& o) override;
  Result<SignOrder> create_document_order(const WriteContext& context, const SignOrder& o,
                                          const std::vector<OrderDocument>& documents) override;
  Result<OrderDocument> get_order_document(std::string_view tenant_id, std::string_view order_id,
                                           int item_index) override;
  Result<OrderDocument> get_order_document_info(std::string_view tenant_id, std::string_view order_id,
                                                int item_index) override;
  Status put_order_previews(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                            const std::vector<OrderPreview>& pages) override;
  Result<std::vector<OrderPreview>> list_order_previews(std::string_view tenant_id,
                                                        std::string_view order_id) override;
  Result<OrderPreview> get_order_preview(std::string_view tenant_id, std::string_view order_id, int page) override;
  Status finish_document_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                               std::string_view session_id, const std::vector<Bytes>& signatures,
                               const std::vector<Bytes>& signed_pdfs, const std::optional<CallbackJob>& callback,
                               UnixSeconds now) override;
  Result<SignOrder> get_order(std::string_view tenant_id, std::string_view order_id) override;
  Result<OrderPage> list_orders(std::string_view tenant_id, const OrderFilter& filter) override;
  Result<std::vector<SignOrder>> list_open_orders(std::string_view tenant_id, std::string_view holder_id,
                                                  UnixSeconds now, size_t limit) override;
  // --- share refresh ---
  Status reseal_key_share(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                          ByteView expected, ByteView replacement) override;

  // --- PIN attempts (store.h): core's rule, run with the holder's row held ---
  Result<PinAttemptCounters> count_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                                               std::string_view attempt_id, UnixSeconds window_since,
                                               const PinAttemptRule& rule, UnixSeconds now);

  template <typename T>
  static Status as_status(const Result<T>& r) {
    if (!r.ok()) return Unexpected{r.error()};
    return Status::Ok();
  }
  static Result<std::string> end_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view attempt_id,
                                             std::string_view outcome, bool reset_consecutive);
  Result<PinAttemptCounters> begin_sign_attempt(const WriteContext& context, const SignSession& s,
                                                std::string_view attempt_id, UnixSeconds window_since,
                                                const PinAttemptRule& rule, UnixSeconds now) override;
  static Status check_key_unchanged(Connection& c, std::string_view tenant_id, std::string_view key_id,
                                    ByteView expected_share);
  Status accept_sign_attempt(const WriteContext& context, std::string_view tenant_id, std::string_view session_id,
                             std::string_view attempt_id, const std::vector<std::string>& r_values, UnixSeconds now,
                             std::string_view key_id, ByteView expected_share) override;
  Result<PinAttemptCounters> begin_refresh_attempt(const WriteContext& context, const ShareRefresh& r,
                                                   std::string_view attempt_id, UnixSeconds window_since,
                                                   const PinAttemptRule& rule, UnixSeconds now) override;
  Status accept_refresh_attempt(const WriteContext& context, std::string_view tenant_id, std::string_view refresh_id,
                                std::string_view attempt_id, ByteView pending_share_ciphertext, UnixSeconds now,
                                std::string_view key_id, ByteView expected_share) override;
  Result<PinAttemptCounters> begin_confirm_attempt(const WriteContext& context, std::string_view tenant_id,
                                                   std::string_view holder_id, std::string_view refresh_id,
                                                   std::string_view attempt_id, UnixSeconds open_since,
                                                   UnixSeconds window_since, const PinAttemptRule& rule,
                                                   UnixSeconds now) override;
  Result<PinAttemptCounters> begin_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                                      std::string_view holder_id, std::string_view attempt_id,
                                                      UnixSeconds window_since, const PinAttemptRule& rule,
                                                      UnixSeconds now) override;
  Result<PendingPinAttempt> get_pending_pin_attempt(std::string_view tenant_id, std::string_view holder_id,
                                                    std::string_view attempt_id, UnixSeconds window_since) override;
  Status accept_holder_pin_attempt(const WriteContext& context, std::string_view tenant_id,
                                   std::string_view holder_id, std::string_view attempt_id) override;
  Status fail_pin_attempt(const WriteContext& context, std::string_view tenant_id, std::string_view attempt_id,
                          bool lock_holder, std::string_view session_id, const std::vector<CallbackJob>& alarms,
                          const std::optional<CallbackJob>& callback_if_order_fails, UnixSeconds now) override;
  Status confirm_share_refresh(const WriteContext& context, std::string_view tenant_id, std::string_view refresh_id,
                               std::string_view attempt_id, const DeviceToken& t, UnixSeconds now) override;
  Result<ShareRefresh> get_share_refresh(std::string_view tenant_id, std::string_view refresh_id) override;
  Result<SignSession> get_sign_session(std::string_view tenant_id, std::string_view session_id) override;
  Result<OrderState> fail_sign_session(const WriteContext& context, std::string_view tenant_id,
                                       std::string_view session_id,
                                       const std::optional<CallbackJob>& callback_if_order_fails,
                                       UnixSeconds now) override;
  Status finish_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                      std::string_view session_id, const std::vector<Bytes>& signatures,
                      const std::optional<CallbackJob>& callback, UnixSeconds now) override;
  Status finish_csr_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                          std::string_view session_id, const std::vector<Bytes>& signatures,
                          const Certificate& certificate, UnixSeconds now) override;
  Status reject_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                      const std::optional<CallbackJob>& callback, UnixSeconds now) override;
  Status cancel_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                      const std::optional<CallbackJob>& callback, UnixSeconds now) override;
  Result<std::vector<SignOrder>> expire_orders(const WriteContext& context, UnixSeconds now, size_t limit,
                                               const CallbackFactory& make_callback) override;
  // --- certificates ---
  Status add_certificate(const WriteContext& context, const Certificate& cert) override;
  Result<Certificate> get_certificate(std::string_view tenant_id, std::string_view cert_id) override;
  Result<Certificate> find_certificate_by_serial(std::string_view serial_hex) override;
  Result<std::vector<Certificate>> list_holder_certificates(std::string_view tenant_id,
                                                            std::string_view holder_id) override;
  Result<std::vector<Certificate>> list_revoked_certificates(std::string_view issuer_id) override;
  Status revoke_certificate(const WriteContext& context, std::string_view tenant_id, std::string_view cert_id,
                            int reason, bool revoke_key, UnixSeconds now) override;
  // --- CA material ---
  Status put_ca(const WriteContext& context, const CaRecord& ca) override;
  Result<std::vector<CaRecord>> list_cas() override;
  Status set_ca_active(const WriteContext& context, std::string_view ca_id, bool active) override;
  Result<int64_t> next_crl_number(const WriteContext& context, std::string_view issuer_id) override;
  // --- nonces ---
  Status insert_nonce(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                      std::string_view nonce, UnixSeconds seen_at) override;
  Result<size_t> prune_nonces(const WriteContext& context, UnixSeconds before) override;
  // --- callbacks ---
  Status enqueue_callback(const WriteContext& context, const CallbackJob& job) override;
  Result<CallbackJob> get_callback(std::string_view tenant_id, std::string_view job_id) override;
  Result<std::vector<CallbackJob>> claim_due_callbacks(const WriteContext& context, std::string_view worker,
                                                       UnixSeconds now, int lease_seconds, size_t limit) override;
  Status mark_callback_delivered(const WriteContext& context, std::string_view tenant_id, std::string_view job_id,
                                 UnixSeconds now) override;
  Status mark_callback_failed(const WriteContext& context, std::string_view tenant_id, std::string_view job_id,
                              std::string_view worker, std::string_view error, UnixSeconds next_attempt_at) override;
  Result<CallbackBacklog> callback_backlog(UnixSeconds now) override;
  // --- packages and metering (store/sqlite_metering.cc) ---
  Status add_package(const WriteContext& context, const Package& p) override;
  Result<std::vector<Package>> list_packages(std::string_view tenant_id) override;
  Result<Package> get_package(std::string_view tenant_id, std::string_view package_id) override;
  Status check_quota(std::string_view tenant_id, PackageKind kind, int64_t units, UnixSeconds now) override;
  Result<std::vector<UsageRecord>> list_usage_records(std::string_view tenant_id, UnixSeconds from, UnixSeconds to,
                                                      size_t limit) override;
  Result<int64_t> count_usage(std::string_view tenant_id, PackageKind kind, UnixSeconds from,
                              UnixSeconds to) override;
  Result<size_t> prune_usage_records(const WriteContext& context, UnixSeconds before, UnixSeconds now) override;
  Result<std::vector<Notice>> list_notices(std::string_view tenant_id, size_t limit) override;
  Result<std::vector<Notice>> sweep_package_notices(const WriteContext& context, UnixSeconds now, size_t limit,
                                                    const NoticeCallbackFactory& make_callback) override;
  Status set_tenant_notify_target(const WriteContext& context, const TenantNotifyTarget& t) override;
  Result<TenantNotifyTarget> get_tenant_notify_target(std::string_view tenant_id) override;
  Result<Notice> set_tenant_signature_v1_cutoff(const WriteContext& context, std::string_view tenant_id,
                                                UnixSeconds cutoff, UnixSeconds now) override;
  // --- admin tokens ---
  Status create_admin_token(const WriteContext& context, const AdminToken& t) override;
  Result<AdminToken> find_admin_token(ByteView token_hash) override;

  // portal users and sessions (sqlite_portal_users.cc / pg_portal_users.cc)
  Status create_portal_user(const WriteContext& context, const PortalUser& user) override;
  Result<PortalUser> find_portal_user_by_login(std::string_view login) override;
  Result<PortalUser> get_portal_user(std::string_view tenant_id, std::string_view user_id) override;
  Result<std::vector<PortalUser>> list_portal_users(std::string_view tenant_id) override;
  Status set_portal_user_totp(const WriteContext& context, std::string_view tenant_id, std::string_view user_id,
                              const Bytes& totp_secret_sealed, std::optional<int64_t> accepted_step) override;
  Result<PortalUser> record_portal_signin_failure(const WriteContext& context, std::string_view tenant_id,
                                                  std::string_view user_id, int threshold, int64_t lock_seconds,
                                                  UnixSeconds now) override;
  Status open_portal_session(const WriteContext& context, const PortalSession& session, UnixSeconds now) override;
  Result<PortalSession> find_portal_session(ByteView token_hash, UnixSeconds now) override;
  Status revoke_portal_session(const WriteContext& context, ByteView token_hash, UnixSeconds now) override;
  Status accept_portal_totp_step(const WriteContext& context, std::string_view tenant_id, std::string_view user_id,
                                 int64_t step) override;
  Status set_portal_user_password(const WriteContext& context, std::string_view tenant_id, std::string_view user_id,
                                  const std::string& password_hash, ByteView keep_session, UnixSeconds now) override;
  Status set_portal_user_disabled(const WriteContext& context, std::string_view tenant_id, std::string_view user_id,
                                  bool disabled, UnixSeconds now) override;
  Result<std::vector<PortalSession>> list_portal_sessions(std::string_view tenant_id, std::string_view user_id,
                                                          UnixSeconds now) override;
  Result<int64_t> revoke_portal_user_sessions(const WriteContext& context, std::string_view tenant_id,
                                              std::string_view user_id, ByteView keep_session,
                                              UnixSeconds now) override;
  Status touch_portal_session(ByteView token_hash, UnixSeconds now) override;
  Status create_portal_password_reset(const WriteContext& context, const PortalPasswordReset& reset) override;
  Result<PortalUser> use_portal_password_reset(const WriteContext& context, ByteView token_hash,
                                               const std::string& password_hash, UnixSeconds now) override;
  // --- retention and leases (store/sqlite_retention.cc) ---
  Result<size_t> purge_order_payloads(const WriteContext& context, UnixSeconds final_before, UnixSeconds now,
                                      std::string_view actor, size_t limit) override;
  Result<std::optional<UnixSeconds>> order_payload_purged_at(std::string_view tenant_id,
                                                             std::string_view order_id) override;
  Result<size_t> purge_identity_attributes(const WriteContext& context, UnixSeconds issued_before, UnixSeconds now,
                                           std::string_view actor, size_t limit) override;
  Result<size_t> wipe_retired_key_shares(const WriteContext& context, UnixSeconds expired_before, UnixSeconds now,
                                         std::string_view actor, size_t limit) override;
  Result<RetentionSettings> get_retention_settings() override;
  Status put_retention_settings(const WriteContext& context, const RetentionSettings& settings) override;
  Result<bool> try_acquire_lease(const WriteContext& context, std::string_view name, std::string_view owner,
                                 UnixSeconds now, int64_t ttl_seconds) override;
  // --- notice mail (store/sqlite_notice_mail.cc) ---
  Status set_tenant_contact_email(const WriteContext& context, std::string_view tenant_id, std::string_view email,
                                  UnixSeconds now) override;
  Result<std::string> get_tenant_contact_email(std::string_view tenant_id) override;
  Status create_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& window,
                                             UnixSeconds now) override;
  Status delete_announced_maintenance_window(const WriteContext& context, std::string_view window_id,
                                             UnixSeconds now) override;
  Status change_announced_maintenance_window(const WriteContext& context, const MaintenanceWindow& before,
                                             const MaintenanceWindow& after, UnixSeconds now) override;
  Result<std::vector<NoticeMail>> claim_notice_mails(const WriteContext& context, UnixSeconds now,
                                                     UnixSeconds lease_until, size_t limit) override;
  Status record_notice_mail(const WriteContext& context, std::string_view tenant_id, std::string_view notice_id,
                            const NoticeMailOutcome& outcome, UnixSeconds now) override;
  Result<std::vector<NoticeMailState>> list_notice_mail_states(std::string_view tenant_id, size_t limit) override;
  // --- incidents (store/sqlite_incidents.cc) ---
  Status create_incident(const WriteContext& context, const Incident& incident) override;
  Result<Incident> get_incident(std::string_view incident_id) override;
  Status update_incident(const WriteContext& context, const Incident& incident,
                         UnixSeconds expected_updated_at) override;
  Result<std::vector<Incident>> list_incidents(UnixSeconds from, UnixSeconds to,
                                               std::optional<std::string_view> tenant_id) override;
  // --- audit disclosures (store/sqlite_audit_disclosures.cc) ---
  Status request_audit_disclosure(const WriteContext& context, const AuditDisclosure& d) override;
  Result<AuditDisclosure> get_audit_disclosure(std::string_view disclosure_id) override;
  Result<std::vector<AuditDisclosure>> list_audit_disclosures() override;
  Status decide_audit_disclosure(const WriteContext& context, std::string_view disclosure_id, DisclosureState decision,
                                 std::string_view decided_by, std::string_view reason, UnixSeconds now) override;
  Status mark_audit_disclosure_run(const WriteContext& context, std::string_view disclosure_id,
                                   std::string_view run_by, UnixSeconds now) override;
  // --- audit checkpoint webhook deliveries (store/sqlite_audit_checkpoint_deliveries.cc) ---
  Result<size_t> queue_checkpoint_deliveries(UnixSeconds now) override;
  Result<std::optional<CheckpointDelivery>> next_checkpoint_delivery() override;
  Status record_checkpoint_delivery(int64_t seq, bool delivered, std::string_view error, UnixSeconds now,
                                    UnixSeconds next_at) override;
  Result<std::vector<CheckpointDelivery>> list_checkpoint_deliveries(int64_t after_seq, size_t limit) override;
  // --- sla terms and claims (store/sqlite_sla_claims.cc) ---
  Status record_sla_terms(const WriteContext& context, const SlaTermsVersion& terms) override;
  Result<SlaTermsVersion> get_sla_terms(std::string_view version) override;
  Result<std::vector<SlaTermsVersion>> list_sla_terms() override;
  Status pin_tenant_sla_terms(const WriteContext& context, const TenantSlaTerms& pin) override;
  Result<std::optional<TenantSlaTerms>> get_tenant_sla_terms(std::string_view tenant_id) override;
  Status file_sla_claim(const WriteContext& context, const SlaClaim& claim) override;
  Result<SlaClaim> get_sla_claim(std::string_view tenant_id, std::string_view claim_id) override;
  Result<SlaClaim> find_sla_claim(std::string_view claim_id) override;
  Result<std::vector<SlaClaim>> list_sla_claims(std::string_view tenant_id) override;
  Status decide_sla_claim(const WriteContext& context, std::string_view claim_id, SlaClaimState decision,
                          std::string_view decided_by, std::string_view reason, UnixSeconds now,
                          const std::vector<CreditGrant>& grants) override;
  // --- sla (store/sqlite_sla.cc) ---
  Status add_availability(const WriteContext& context, const std::vector<AvailabilityMinute>& deltas) override;
  Result<std::vector<AvailabilityMinute>> list_availability(std::string_view tenant_id, UnixSeconds from,
                                                            UnixSeconds to) override;
  Result<std::optional<UnixSeconds>> first_availability_minute() override;
  Status create_maintenance_window(const WriteContext& context, const MaintenanceWindow& w) override;
  Result<MaintenanceWindow> get_maintenance_window(std::string_view window_id) override;
  Result<std::vector<MaintenanceWindow>> list_maintenance_windows(UnixSeconds from, UnixSeconds to) override;
  Status delete_maintenance_window(const WriteContext& context, std::string_view window_id, UnixSeconds now) override;
  Result<SlaCredit> propose_sla_credit(const WriteContext& context, const SlaCredit& credit) override;
  Status withdraw_sla_credit(const WriteContext& context, std::string_view tenant_id, std::string_view month,
                             SlaCreditKind kind) override;
  Result<SlaCredit> find_sla_credit(std::string_view credit_id) override;
  Result<std::vector<SlaCredit>> list_sla_credits(std::string_view tenant_id, std::string_view month) override;
  Status approve_sla_credit(const WriteContext& context, std::string_view credit_id, std::string_view approved_by,
                            UnixSeconds now, const Package& bonus) override;
  Result<int64_t> hit_rate_window(const WriteContext& context, std::string_view tenant_id, std::string_view key,
                                  UnixSeconds window_start) override;
  Result<size_t> prune_rate_windows(const WriteContext& context, UnixSeconds before) override;
  Status set_tenant_rate_limit(const WriteContext& context, std::string_view tenant_id, int64_t requests_per_second,
                               UnixSeconds now) override;
  Result<std::vector<TenantRateLimit>> list_tenant_rate_limits() override;
  // --- audit (sqlite_audit.cc; the store's own audit calls are not bound) ---
  Result<AuditEvent> append_audit_event(const AuditEvent& event) override;
  Status append_audit_events(std::vector<AuditEvent>& events) override;
  Result<AuditCheckpoint> get_audit_head() override;
  Result<std::vector<AuditEvent>> list_audit_events(int64_t after_seq, size_t limit) override;
  Result<std::vector<AuditEvent>> list_tenant_audit_events(std::string_view tenant_id, UnixSeconds from,
                                                           UnixSeconds to, int64_t after_seq, size_t limit) override;
  Status add_audit_checkpoint(const AuditCheckpoint& cp) override;
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(int64_t from_seq, int64_t to_seq) override;
  Status put_audit_key(const AuditKey& key) override;
  Result<std::vector<AuditKey>> list_audit_keys() override;
  Result<std::vector<AdminToken>> list_admin_tokens() override;
  Result<size_t> revoke_admin_tokens(const WriteContext& context, std::string_view name, UnixSeconds now) override;

 private:

  // Runs `fn` in one transaction on a pooled connection; commits only if it
  // succeeded. Nothing escapes as an exception.
  template <typename R, typename F>
  R run(const WriteContext& context, Transaction::Kind kind, F&& fn) {
    try {
      auto lease = kind == Transaction::Kind::kWrite ? pool_.acquire_writer() : pool_.acquire_for_read();
      if (!lease.ok()) return Unexpected{lease.error()};
      Connection& conn = **lease;
      auto tx = Transaction::begin(conn, kind);
      if (!tx.ok()) return Unexpected{tx.error()};
      PendingAuditEvent* pending = kind == Transaction::Kind::kWrite ? context.audit : nullptr;
      // The request's nonce commits with its first write (write_context.h).
      PendingNonce* nonce = kind == Transaction::Kind::kWrite ? context.unrecorded_nonce() : nullptr;
      if (nonce) DUET_TRY_STATUS(insert_nonce_in(conn, *nonce));
      const int64_t changes_before = pending ? sqlite::total_changes(conn) : 0;
      R result = fn(conn);
      if (!result.ok()) return result;  // tx rolls back on destruction
      // Fail-closed audit (store.h, "audit"): a write that changed rows for
      // the context's action carries its event in the same transaction, or
      // does not commit.
      if (pending && sqlite::total_changes(conn) == changes_before) pending = nullptr;
      AuditEvent audited;
      if (pending) {
        audited = committed_event(*pending);
        hook("audit:before_append");
        // Whatever the cause, the caller sees "unavailable": the change was
        // not made because its audit record could not be written.
        if (!sqlite::append_audit_event(conn, audited).ok())
          return store_error(StoreError::kUnavailable, "audit log unavailable: the change was not made");
      }
      Status committed = tx->commit();
      if (!committed.ok()) return Unexpected{committed.error()};
      if (nonce) nonce->recorded = true;
      if (pending) {
        ++pending->appended;
        pending->last_seq = audited.seq;
      }
      return result;
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "store: unexpected exception");
    }
  }

  template <typename F>
  Status write(const WriteContext& context, F&& fn) {
    return run<Status>(context, Transaction::Kind::kWrite, std::forward<F>(fn));
  }
  static Status insert_nonce_row(Connection& c, std::string_view tenant_id, std::string_view app_id,
                                 std::string_view nonce, UnixSeconds seen_at);
  static Status insert_nonce_in(Connection& c, const PendingNonce& n);

  template <typename T, typename F>
  Result<T> read(F&& fn) {
    return run<Result<T>>(kNoWrite, Transaction::Kind::kRead, std::forward<F>(fn));
  }

  // A read that is ONE SELECT: no explicit transaction. In autocommit mode
  // the statement runs in its own implicit read transaction (one snapshot
  // from its first step until it is reset), which is exactly what
  // BEGIN DEFERRED + SELECT + COMMIT gave, minus two statements. Reads made
  // of several statements use read() for one snapshot across them.
  template <typename T, typename F>
  Result<T> read_single(F&& fn) {
    try {
      auto lease = pool_.acquire_for_read();
      if (!lease.ok()) return Unexpected{lease.error()};
      return fn(**lease);
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "store: unexpected exception");
    }
  }
  static int64_t clamp_limit(size_t limit);
  Status update_one(const WriteContext& context, std::string_view sql, std::string_view id, int64_t value,
                    std::string_view what);
  Status close_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                     std::string_view to_state, std::string_view from_states,
                     const std::optional<CallbackJob>& callback, UnixSeconds now);
  Status finish_in_tx(Connection& c, std::string_view tenant_id, std::string_view order_id,
                      std::string_view session_id, const std::vector<Bytes>& signatures, OrderKind kind,
                      const Certificate* cert, UnixSeconds now);
  static Result<int> read_version(Connection& c);
  static Result<Holder> load_holder(Connection& c, std::string_view tenant_id, std::string_view holder_id);
  static Result<CallbackJob> load_callback(Connection& c, std::string_view tenant_id, std::string_view job_id);
  void hook(std::string_view point);
  SqliteStoreOptions options_;
  ConnectionPool pool_;
};

}  // namespace duet::store::sqlite_store
