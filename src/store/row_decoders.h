// The record decoders of both backends: each reads one row, selected with
// its column list below (in that order), through RowReader
// (store/row_reader.h), so SQLite and PostgreSQL rows decode by the same
// code. Private to src/store.
//
// A stored enum word that does not parse is StoreError::kCorrupt (the
// decoders that can meet one answer Result<T>).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "store/records.h"
#include "store/row_reader.h"

namespace duet::store::row_decoders {

// "SELECT <cols> FROM <table> WHERE <where>".
std::string select_from(std::string_view cols, std::string_view table, std::string_view where);

constexpr std::string_view kTenantCols =
    "tenant_id, name, production_active_from, suspended, created_at, signature_v1_cutoff, cert_identity_policy, hybrid_previews";
Tenant read_tenant(const RowReader& r);

constexpr std::string_view kAppCols =
    "tenant_id, app_id, secret_ciphertext, environment, created_at, identity_mode, sms_otp_required, cms_oid_style, "
    "pin_failure_budget";
Result<App> read_app(const RowReader& r);

constexpr std::string_view kHolderCols =
    "tenant_id, holder_id, name_ciphertext, id_number_ciphertext, phone_ciphertext, lookup_hash, "
    "status, failed_attempts, created_at, identity_verification, identity_verified_by, identity_verified_at, "
    "identity_reference, refresh_required, environment";
Result<Holder> read_holder(const RowReader& r);

constexpr std::string_view kHandwrittenSignatureCols = "tenant_id, holder_id, sealed_png, width, height, updated_at";
HandwrittenSignature read_handwritten_signature(const RowReader& r);

constexpr std::string_view kKeyCols =
    "tenant_id, key_id, holder_id, public_key_hex, service_share_ciphertext, created_at, revoked_at";
HolderKeyShare read_key(const RowReader& r);

constexpr std::string_view kCodeCols =
    "tenant_id, code_id, holder_id, code_hash, expires_at, attempts_left, used_at, created_at, otp_hash, "
    "otp_attempts_left";
ActivationCode read_code(const RowReader& r);

// The last column is the holder's environment (a correlated read of the
// holder's primary key), so authenticating a device costs one query.
constexpr std::string_view kTokenCols =
    "tenant_id, token_hash, holder_id, created_at, revoked_at, "
    "(SELECT h.environment FROM holders h WHERE h.tenant_id = device_tokens.tenant_id "
    "AND h.holder_id = device_tokens.holder_id)";
DeviceToken read_token(const RowReader& r);

constexpr std::string_view kSessionCols =
    "tenant_id, session_id, order_id, holder_id, r_values, state, created_at, updated_at";
Result<SignSession> read_session(const RowReader& r);

constexpr std::string_view kRefreshCols =
    "tenant_id, refresh_id, key_id, holder_id, sealed_rho, pending_share_ciphertext, state, created_at, "
    "confirmed_at";
Result<ShareRefresh> read_refresh(const RowReader& r);

constexpr std::string_view kCallbackCols =
    "tenant_id, job_id, order_id, url, payload, attempts, next_attempt_at, delivered_at, last_error, "
    "lease_owner, lease_until, created_at";
CallbackJob read_callback(const RowReader& r);

constexpr std::string_view kAdminCols = "token_hash, name, role, created_at, revoked_at";
AdminToken read_admin(const RowReader& r);

constexpr std::string_view kCertCols =
    "tenant_id, cert_id, holder_id, key_id, serial_hex, issuer_id, der, not_before, not_after, revoked_at, "
    "revocation_reason, created_at";
Certificate read_certificate(const RowReader& r);

constexpr std::string_view kCaCols = "ca_id, role, certificate_der, sealed_private_key, created_at, active, environment";
CaRecord read_ca(const RowReader& r);

// An order without its items (they are rows of sign_order_items, read with
// read_order_item). PostgreSQL selects these columns o.-qualified in a join
// (pg_store_impl.h, kOrderSelect): keep the two in the same order.
// An order document (order_documents, schema v16); byte_range[0] is always 0
// and not stored.
constexpr std::string_view kOrderDocumentCols =
    "tenant_id, order_id, item_index, prepared_pdf, byte_range_1, byte_range_2, byte_range_3, sub_filter, "
    "signing_time, field_name, stamped_pages, page_count, signed_pdf";
// The same columns with the two documents read as NULL (empty bytes).
constexpr std::string_view kOrderDocumentInfoCols =
    "tenant_id, order_id, item_index, NULL, byte_range_1, byte_range_2, byte_range_3, sub_filter, "
    "signing_time, field_name, stamped_pages, page_count, NULL";
Result<OrderDocument> read_order_document(const RowReader& r);

constexpr std::string_view kOrderCols =
    "tenant_id, order_id, app_id, holder_id, title, display_text, output_format, expires_at, callback_url, "
    "idempotency_key, state, created_at, updated_at, kind, key_id, cms_output, signer_cert_id, cms_oid_style, "
    "environment, document_output, cms_profile";
constexpr int kOrderColCount = 21;  // the columns of kOrderCols: a joined select's next column
Result<SignOrder> read_order(const RowReader& r);

// One item of an order: columns first_col, first_col + 1, first_col + 2 are
// input, input_is_digest and signature.
SignItem read_order_item(const RowReader& r, int first_col);

}  // namespace duet::store::row_decoders
