// PgStore, the PostgreSQL backend of store::Store (pg_store.h), declared for
// its files: pg_store.cc (transactions, retries, migrations, opening),
// pg_tenants.cc, pg_holders.cc, pg_orders.cc, pg_pin_attempts.cc (PIN
// attempts and share refreshes), pg_certificates.cc, pg_callbacks.cc and
// pg_store_areas.cc (the calls that the pg_<area>.cc functions do), with the
// statements they share (pg_rows.cc); rows decode with both backends' record
// decoders (store/row_decoders.h). Private to the backend; the contracts are
// store.h's.
#pragma once

#include <charconv>
#include <chrono>
#include <exception>
#include <random>
#include <thread>
#include <utility>

#include "store/audit_checkpoint_deliveries.h"
#include "store/audit_disclosures.h"
#include "store/holder_data_keys.h"
#include "store/ids.h"
#include "store/pg_areas.h"
#include "store/pg_db.h"
#include "store/pg_schema.h"
#include "store/pg_store.h"
#include "store/pg_util.h"
#include "store/record_text.h"
#include "store/row_decoders.h"
#include "store/validate.h"
#include "store/write_context.h"

namespace duet::store::pg_store {

using pg::Connection;
using pg::ConnectionPool;
using pg::Param;
using pg::Row;
using pg::Rows;
using pg::Transaction;
using pg::changes;
using pg::conflict;
using pg::corrupt;
using pg::exists;
using pg::invalid;
using pg::not_found;
using pg::not_found_or_conflict;
using pg::clamp_limit;

using namespace record_text;  // enum <-> text and cursors (store/record_text.h)

constexpr std::string_view kCallbackExists = "SELECT 1 FROM callback_jobs WHERE tenant_id = $1 AND job_id = $2";

// --- row readers: the record decoders and their column lists are row_decoders.h's ---

using namespace row_decoders;

// The first row of `rows` read by `read`, or kNotFound.
template <typename T, typename Reader>
Result<T> first_row(const Rows& rows, Reader read, std::string_view what) {
  if (rows.empty()) return not_found(what);
  return read(Row(rows, 0));
}

template <typename T, typename Reader>
Result<std::vector<T>> all_rows(const Rows& rows, Reader read) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    Result<T> one = read(Row(rows, i));
    if (!one.ok()) return Unexpected{one.error()};
    out.push_back(std::move(one).value());
  }
  return out;
}

// Inserts a validated certificate: the serial must be free in every tenant
// (kConflict, also when a concurrent insert takes it first) and the key must
// be the holder's (kNotFound).
Status insert_certificate(Connection& c, const Certificate& cert);
// Inserts consent records (validated for `tenant_id`, `holder_id`), keeping
// an existing (holder, document, version) as it was; in pg_consents.cc.
Status insert_consents(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                       const std::vector<HolderConsent>& consents);


// Orders are read with their items in ONE statement (one snapshot, one
// round trip): the order's columns (row_decoders' kOrderCols, o.-qualified:
// both tables have tenant_id and order_id), then the item's input,
// input_is_digest and signature (NULL item columns: an order without items,
// which is corrupt).
constexpr std::string_view kOrderSelect =
    "SELECT o.tenant_id, o.order_id, o.app_id, o.holder_id, o.title, o.display_text, o.output_format, "
    "o.expires_at, o.callback_url, o.idempotency_key, o.state, o.created_at, o.updated_at, o.kind, o.key_id, "
    "o.cms_output, o.signer_cert_id, o.cms_oid_style, o.environment, o.document_output, o.cms_profile, "
    "i.input, i.input_is_digest, i.signature, i.item_index "
    "FROM sign_orders o LEFT JOIN sign_order_items i ON i.tenant_id = o.tenant_id AND i.order_id = o.order_id ";

// Reads the orders of a kOrderSelect result; rows of one order are adjacent
// (ordered by item_index).
Result<std::vector<SignOrder>> read_orders(const Rows& rows);

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

Status fail_open_sessions(Connection& c, std::string_view tenant, std::string_view order_id, UnixSeconds now);

Result<Holder> load_holder(Connection& c, std::string_view tenant_id, std::string_view holder_id);

// --- PIN attempts (store.h): core's rule, run with the holder's row locked ---
// Writes run at READ COMMITTED (pg_db.h), so the counters are read with the
// holder's row locked, FOR NO KEY UPDATE: the lock an UPDATE of the row takes,
// so every PIN use of a holder waits for the one before to commit, while
// inserts that only reference the holder (orders, sessions) do not wait. The
// window's COUNT is a separate statement after the lock: its snapshot is
// taken then and sees every attempt committed by an earlier holder of the
// lock (one statement would keep the snapshot it started with, and a
// blocked FOR UPDATE re-reads only the locked row). The rule runs between
// the read and the write, and the write is a conditional update naming the
// values read.
//
// Row locks in the backend's order: the order or the refresh, the session,
// the holder, then the holder's pin_attempts rows (unlock_holder too), so PIN
// uses, their ends and unlocks cannot deadlock one another.

// The statement that counts an attempt: the holder's consecutive count as
// the rule answered, only if it is still the one read and the holder is
// active (the status stays active: only a failure locks, fail_pin_attempt),
// and the attempt's pending row. `also` is empty or one more common table
// expression ", name AS (INSERT ... SELECT ... FROM attempt)" storing what
// the attempt starts (its parameters from $7). It answers COUNT(*) of
// attempt: 1 counted, 0 not (the holder is not active). Parameters: $1
// tenant, $2 holder, $3 attempt id, $4 failed_attempts read, $5 the rule's
// failed_attempts, $6 now.
std::string count_attempt_sql(std::string_view also);

// Locks the holder's row, reads the counters, asks `rule` and counts the
// attempt (count_attempt_sql with `also`): three round trips. A refusal by
// the rule is returned as is, nothing written. refuse_refresh_required:
// signing, which an unlock committed meanwhile must refuse too (the caller's
// check ran before the lock).
Result<PinAttemptCounters> count_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view holder_id,
                                             std::string_view attempt_id, UnixSeconds window_since,
                                             const PinAttemptRule& rule, UnixSeconds now,
                                             bool refuse_refresh_required, std::string_view also,
                                             std::initializer_list<Param> also_params);

// accept_*: one statement (one round trip) that applies `what` (an UPDATE
// of the session or refresh, RETURNING holder_id; $1 tenant, $2 its id, $3
// the attempt id, its own values from $4), resets that holder's consecutive
// count and ends the holder's pending attempt ok. Each step reads the one
// before, so the rows are locked in the backend's order (the session or
// refresh, the holder, the attempt). Answers (rows `what` changed, attempts
// ended); anything short of (1, 1) must roll back.
std::string accept_attempt_sql(std::string_view what);

// Ends a pending attempt of the holder (any holder if holder_id is empty)
// with `outcome`; kConflict if it is not pending (ended before, or forgiven
// by an unlock meanwhile).
Status end_pin_attempt(Connection& c, std::string_view tenant_id, std::string_view attempt_id,
                       std::string_view holder_id, std::string_view outcome);

Result<CallbackJob> load_callback(Connection& c, std::string_view tenant_id, std::string_view job_id);

bool valid_schema_name(std::string_view s);

// The context of reads and of the store's own audit calls: no audited
// action, no request nonce.
inline const WriteContext kNoWrite{};

// --- the store ------------------------------------------------------------------

class PgStore final : public Store, public HolderDataKeyStore, public AuditDisclosureStore,
                          public AuditCheckpointDeliveryStore {
 public:

  explicit PgStore(PostgresStoreOptions options)
      : options_(std::move(options)), pool_(options_.dsn, options_.schema, options_.max_connections) {}
  Status open();
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
  // --- per-holder data keys and erasure (pg_erasure.cc) ---
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
  Status reseal_key_share(const WriteContext& context, std::string_view tenant_id, std::string_view key_id,
                          ByteView expected, ByteView replacement) override;
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
  // --- PIN attempts (store.h; the helpers above say how they lock) ---
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
  // --- share refresh ---
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
  // --- packages and metering (store/pg_metering.cc) ---
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
  // --- retention and leases (store/pg_retention.cc) ---
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
  // --- notice mail (store/pg_notice_mail.cc) ---
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
  // --- incidents (store/pg_incidents.cc) ---
  Status create_incident(const WriteContext& context, const Incident& incident) override;
  Result<Incident> get_incident(std::string_view incident_id) override;
  Status update_incident(const WriteContext& context, const Incident& incident,
                         UnixSeconds expected_updated_at) override;
  Result<std::vector<Incident>> list_incidents(UnixSeconds from, UnixSeconds to,
                                               std::optional<std::string_view> tenant_id) override;
  // --- audit disclosures (store/pg_audit_disclosures.cc) ---
  Status request_audit_disclosure(const WriteContext& context, const AuditDisclosure& d) override;
  Result<AuditDisclosure> get_audit_disclosure(std::string_view disclosure_id) override;
  Result<std::vector<AuditDisclosure>> list_audit_disclosures() override;
  Status decide_audit_disclosure(const WriteContext& context, std::string_view disclosure_id, DisclosureState decision,
                                 std::string_view decided_by, std::string_view reason, UnixSeconds now) override;
  Status mark_audit_disclosure_run(const WriteContext& context, std::string_view disclosure_id,
                                   std::string_view run_by, UnixSeconds now) override;
  // --- audit checkpoint webhook deliveries (store/pg_audit_checkpoint_deliveries.cc) ---
  Result<size_t> queue_checkpoint_deliveries(UnixSeconds now) override;
  Result<std::optional<CheckpointDelivery>> next_checkpoint_delivery() override;
  Status record_checkpoint_delivery(int64_t seq, bool delivered, std::string_view error, UnixSeconds now,
                                    UnixSeconds next_at) override;
  Result<std::vector<CheckpointDelivery>> list_checkpoint_deliveries(int64_t after_seq, size_t limit) override;
  // --- sla terms and claims (store/pg_sla_claims.cc) ---
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
  // --- sla (store/pg_sla.cc) ---
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
  // --- audit (pg_audit.cc; the store's own audit calls are not bound) ---
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

  static constexpr std::string_view kCodeExists =
      "SELECT 1 FROM activation_codes WHERE tenant_id = $1 AND code_id = $2";
  static constexpr int kMaxAttempts = 5;
  static void backoff(int attempt);

  // Runs `fn` in one transaction on a pooled connection; commits only if it
  // succeeded. A transaction that failed with a serialization failure or
  // deadlock, or whose BEGIN (sent with its first statement, pg_db.h) found
  // the pooled connection lost, runs again from the start (up to
  // kMaxAttempts). Nothing escapes as an exception.
  template <typename R, typename F>
  R run(const WriteContext& context, Transaction::Kind kind, F&& fn) {
    try {
      for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire();
        if (!lease.ok()) return Unexpected{lease.error()};
        Connection& conn = **lease;
        bool begun = false;
        PendingAuditEvent* pending = kind == Transaction::Kind::kWrite ? context.audit : nullptr;
        // The request's nonce commits with its first write (write_context.h).
        PendingNonce* nonce = kind == Transaction::Kind::kWrite ? context.unrecorded_nonce() : nullptr;
        AuditEvent audited;
        R result = [&]() -> R {
          auto tx = Transaction::begin(conn, kind);
          if (!tx.ok()) return Unexpected{tx.error()};
          begun = true;
          if (nonce) {
            Status inserted = insert_nonce_row(conn, nonce->tenant_id, nonce->app_id, nonce->nonce, nonce->seen_at);
            if (!inserted.ok() && store_error_kind(inserted.error()) == StoreError::kDuplicate)
              return make_error(ErrorCode::kUnauthenticated, "nonce already used");
            if (!inserted.ok()) return Unexpected{inserted.error()};
          }
          R r = fn(conn);
          if (!r.ok()) return r;  // tx rolls back on destruction
          // Fail-closed audit (store.h, "audit"): a write made for the context's
          // action carries its event in the same transaction, or does not
          // commit.
          if (pending) {
            audited = committed_event(*pending);
            hook("audit:before_append");
            // Whatever the cause, the caller sees "unavailable": the change
            // was not made because its audit record could not be written
            // (a deadlock on the head row is still run again, see below).
            // The event's insert carries the COMMIT (one round trip less);
            // tx->commit() below reports the COMMIT's outcome.
            if (!pg::append_audit_event(conn, audited, /*then_commit=*/true).ok())
              return store_error(StoreError::kUnavailable, "audit log unavailable: the change was not made");
          }
          Status committed = tx->commit();
          if (!committed.ok()) return Unexpected{committed.error()};
          return r;
        }();
        if (result.ok() && nonce) nonce->recorded = true;
        if (result.ok() && pending) {
          ++pending->appended;
          pending->last_seq = audited.seq;
        }
        if (result.ok() || attempt >= kMaxAttempts) return result;
        // BEGIN travels with the first statement: a connection lost before
        // it was answered committed nothing.
        const bool retry = conn.retryable_failure() || conn.ended_by_server() ||
                           ((!begun || conn.begin_unanswered()) && conn.broken());
        if (!retry) return result;
        backoff(attempt);
      }
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

  // A call that is ONE statement (plus, on its failure path, read-only
  // statements that only pick the error kind): runs in autocommit, which
  // makes the statement its own transaction, without BEGIN/COMMIT round
  // trips. Run again on 40001/40P01 and when the server ended the session
  // (57P01...: the statement was rolled back); a read also when the
  // connection was simply lost. A write whose connection broke without an
  // answer is not run again: it may have committed (kUnavailable).
  template <typename R, typename F>
  R single(F&& fn, bool idempotent) {
    try {
      for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire();
        if (!lease.ok()) return Unexpected{lease.error()};
        Connection& conn = **lease;
        conn.clear_failure();
        R result = fn(conn);
        if (result.ok() || attempt >= kMaxAttempts) return result;
        const bool retry = conn.retryable_failure() || conn.ended_by_server() || (idempotent && conn.broken());
        if (!retry) return result;
        backoff(attempt);
      }
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "store: unexpected exception");
    }
  }

  // A write of one statement; when the context has an audit event or an
  // unrecorded request nonce it needs a transaction to carry them, so it
  // runs in one.
  template <typename F>
  Status write_single(const WriteContext& context, F&& fn) {
    if (context.audit || context.unrecorded_nonce()) return write(context, std::forward<F>(fn));
    return single<Status>(std::forward<F>(fn), /*idempotent=*/false);
  }

  template <typename T, typename F>
  Result<T> write_single_value(const WriteContext& context, F&& fn) {
    if (context.audit || context.unrecorded_nonce())
      return run<Result<T>>(context, Transaction::Kind::kWrite, std::forward<F>(fn));
    return single<Result<T>>(std::forward<F>(fn), /*idempotent=*/false);
  }

  // A read that is ONE statement: its own snapshot, no transaction.
  template <typename T, typename F>
  Result<T> read_single(F&& fn) {
    return single<Result<T>>(std::forward<F>(fn), /*idempotent=*/true);
  }
  Result<int> spend(const WriteContext& context, std::string_view sql, std::string_view tenant_id,
                    std::string_view code_id);
  Status update_one(const WriteContext& context, std::string_view sql, std::string_view id, int64_t value,
                    std::string_view what);
  Status close_order(const WriteContext& context, std::string_view tenant_id, std::string_view order_id,
                     std::string_view to_state, std::string_view from_states,
                     const std::optional<CallbackJob>& callback, UnixSeconds now);

  // The shared part of finish_order / finish_csr_order inside the caller's
  // transaction (see the SQLite backend). Row locks: the order (conditional
  // update), then its sessions. The holder's counters are not touched: the
  // valid PIN proof reset them at step 1 (accept_sign_attempt), and a lock
  // that came since stays.
  // `metered` (optional) receives what meter_finished_order reads (the
  // order's kind and holder, its app's environment, "" if the app is
  // missing), read here in the same statement.
  struct MeterInput {
    std::string kind, holder_id, app_environment;
  };
  Status finish_in_tx(Connection& c, std::string_view tenant_id, std::string_view order_id,
                      std::string_view session_id, const std::vector<Bytes>& signatures, OrderKind kind,
                      const Certificate* cert, UnixSeconds now, MeterInput* metered = nullptr);
  void hook(std::string_view point);
  PostgresStoreOptions options_;
  ConnectionPool pool_;
};

}  // namespace duet::store::pg_store
