#include "store/row_decoders.h"

#include "store/record_text.h"
#include "store/store_error.h"

namespace duet::store::row_decoders {

using namespace record_text;  // the stored enum words (store/record_text.h)

std::string select_from(std::string_view cols, std::string_view table, std::string_view where) {
  std::string sql = "SELECT ";
  sql += cols;
  sql += " FROM ";
  sql += table;
  sql += " WHERE ";
  sql += where;
  return sql;
}

Tenant read_tenant(const RowReader& r) {
  Tenant t;
  t.tenant_id = r.text(0);
  t.name = r.text(1);
  t.production_active_from = r.optional_int(2);
  t.suspended = r.get_int(3) != 0;
  t.created_at = r.get_int(4);
  t.signature_v1_cutoff = r.optional_int(5);
  t.cert_identity_policy = r.text(6);
  t.hybrid_previews = r.get_int(7) != 0;
  return t;
}

Result<App> read_app(const RowReader& r) {
  App a;
  a.tenant_id = r.text(0);
  a.app_id = r.text(1);
  a.secret_ciphertext = r.blob(2);
  DUET_ASSIGN_OR_RETURN(a.environment, parse_env(r.text(3)));
  a.created_at = r.get_int(4);
  a.identity_mode = r.text(5);
  a.sms_otp_required = r.get_int(6) != 0;
  a.cms_oid_style = r.text(7);
  if (auto b = r.optional_int(8)) a.pin_failure_budget = static_cast<int>(*b);
  return a;
}

HandwrittenSignature read_handwritten_signature(const RowReader& r) {
  HandwrittenSignature s;
  s.tenant_id = r.text(0);
  s.holder_id = r.text(1);
  s.sealed_png = r.blob(2);
  s.width = r.get_int(3);
  s.height = r.get_int(4);
  s.updated_at = r.get_int(5);
  return s;
}

Result<Holder> read_holder(const RowReader& r) {
  Holder h;
  h.tenant_id = r.text(0);
  h.holder_id = r.text(1);
  h.name_ciphertext = r.blob(2);
  h.id_number_ciphertext = r.blob(3);
  h.phone_ciphertext = r.blob(4);
  h.lookup_hash = r.blob(5);
  DUET_ASSIGN_OR_RETURN(h.status, parse_holder_status(r.text(6)));
  h.failed_attempts = static_cast<int>(r.get_int(7));
  h.created_at = r.get_int(8);
  h.identity_verification = r.text(9);
  h.identity_verified_by = r.text(10);
  h.identity_verified_at = r.get_int(11);
  h.identity_reference = r.text(12);
  h.refresh_required = r.get_int(13) != 0;
  DUET_ASSIGN_OR_RETURN(h.environment, parse_env(r.text(14)));
  return h;
}

HolderKeyShare read_key(const RowReader& r) {
  HolderKeyShare k;
  k.tenant_id = r.text(0);
  k.key_id = r.text(1);
  k.holder_id = r.text(2);
  k.public_key_hex = r.text(3);
  k.service_share_ciphertext = r.blob(4);
  k.created_at = r.get_int(5);
  k.revoked_at = r.optional_int(6);
  return k;
}

ActivationCode read_code(const RowReader& r) {
  ActivationCode a;
  a.tenant_id = r.text(0);
  a.code_id = r.text(1);
  a.holder_id = r.text(2);
  a.code_hash = r.blob(3);
  a.expires_at = r.get_int(4);
  a.attempts_left = static_cast<int>(r.get_int(5));
  a.used_at = r.optional_int(6);
  a.created_at = r.get_int(7);
  a.otp_hash = r.blob(8);
  a.otp_attempts_left = static_cast<int>(r.get_int(9));
  return a;
}

DeviceToken read_token(const RowReader& r) {
  DeviceToken t;
  t.tenant_id = r.text(0);
  t.token_hash = r.blob(1);
  t.holder_id = r.text(2);
  t.created_at = r.get_int(3);
  t.revoked_at = r.optional_int(4);
  // Only a holder created by a sandbox app is sandbox (the CHECK allows two words).
  t.holder_environment = r.text(5) == env_text(AppEnvironment::kSandbox) ? AppEnvironment::kSandbox
                                                                          : AppEnvironment::kProduction;
  return t;
}

Result<SignSession> read_session(const RowReader& r) {
  SignSession s;
  s.tenant_id = r.text(0);
  s.session_id = r.text(1);
  s.order_id = r.text(2);
  s.holder_id = r.text(3);
  s.r_values = split_r_values(r.text(4));
  DUET_ASSIGN_OR_RETURN(s.state, parse_session_state(r.text(5)));
  s.created_at = r.get_int(6);
  s.updated_at = r.get_int(7);
  return s;
}

Result<ShareRefresh> read_refresh(const RowReader& r) {
  ShareRefresh refresh;
  refresh.tenant_id = r.text(0);
  refresh.refresh_id = r.text(1);
  refresh.key_id = r.text(2);
  refresh.holder_id = r.text(3);
  refresh.sealed_rho = r.blob(4);
  refresh.pending_share_ciphertext = r.blob(5);
  const std::string state = r.text(6);
  if (state == "open") refresh.state = RefreshState::kOpen;
  else if (state == "confirmed") refresh.state = RefreshState::kConfirmed;
  else if (state == "abandoned") refresh.state = RefreshState::kAbandoned;
  else return store_error(StoreError::kCorrupt, "unknown share refresh state");
  refresh.created_at = r.get_int(7);
  refresh.confirmed_at = r.optional_int(8);
  return refresh;
}

CallbackJob read_callback(const RowReader& r) {
  CallbackJob j;
  j.tenant_id = r.text(0);
  j.job_id = r.text(1);
  j.order_id = r.text(2);
  j.url = r.text(3);
  j.payload = r.text(4);
  j.attempts = static_cast<int>(r.get_int(5));
  j.next_attempt_at = r.get_int(6);
  j.delivered_at = r.optional_int(7);
  j.last_error = r.text(8);
  j.lease_owner = r.text(9);
  j.lease_until = r.optional_int(10);
  j.created_at = r.get_int(11);
  return j;
}

AdminToken read_admin(const RowReader& r) {
  AdminToken a;
  a.token_hash = r.blob(0);
  a.name = r.text(1);
  a.role = r.text(2);
  a.created_at = r.get_int(3);
  a.revoked_at = r.optional_int(4);
  return a;
}

Certificate read_certificate(const RowReader& r) {
  Certificate c;
  c.tenant_id = r.text(0);
  c.cert_id = r.text(1);
  c.holder_id = r.text(2);
  c.key_id = r.text(3);
  c.serial_hex = r.text(4);
  c.issuer_id = r.text(5);
  c.der = r.blob(6);
  c.not_before = r.get_int(7);
  c.not_after = r.get_int(8);
  c.revoked_at = r.optional_int(9);
  c.revoked = c.revoked_at.has_value();
  c.revocation_reason = static_cast<int>(r.get_int(10));
  c.created_at = r.get_int(11);
  return c;
}

CaRecord read_ca(const RowReader& r) {
  CaRecord a;
  a.ca_id = r.text(0);
  a.role = r.text(1);
  a.certificate_der = r.blob(2);
  a.sealed_private_key = r.blob(3);
  a.created_at = r.get_int(4);
  a.active = r.get_int(5) != 0;
  a.environment = r.text(6) == env_text(AppEnvironment::kSandbox) ? AppEnvironment::kSandbox
                                                                  : AppEnvironment::kProduction;
  return a;
}

Result<SignOrder> read_order(const RowReader& r) {
  SignOrder o;
  o.tenant_id = r.text(0);
  o.order_id = r.text(1);
  o.app_id = r.text(2);
  o.holder_id = r.text(3);
  o.title = r.text(4);
  o.display_text = r.text(5);
  DUET_ASSIGN_OR_RETURN(o.output_format, parse_format(r.text(6), r.text(15), r.text(19)));
  o.expires_at = r.get_int(7);
  o.callback_url = r.text(8);
  o.idempotency_key = r.text(9);
  DUET_ASSIGN_OR_RETURN(o.state, parse_order_state(r.text(10)));
  o.created_at = r.get_int(11);
  o.updated_at = r.get_int(12);
  DUET_ASSIGN_OR_RETURN(o.kind, parse_order_kind(r.text(13)));
  o.key_id = r.text(14);
  o.signer_cert_id = r.text(16);
  o.cms_oid_style = r.text(17);
  DUET_ASSIGN_OR_RETURN(o.environment, parse_env(r.text(18)));
  o.cms_profile = r.text(20);
  return o;
}

Result<OrderDocument> read_order_document(const RowReader& r) {
  OrderDocument d;
  d.tenant_id = r.text(0);
  d.order_id = r.text(1);
  d.item_index = static_cast<int>(r.get_int(2));
  d.prepared_pdf = r.blob(3);
  d.byte_range[0] = 0;
  for (int i = 0; i < 3; ++i) {
    int64_t v = r.get_int(4 + i);
    if (v < 0) return store_error(StoreError::kCorrupt, "negative ByteRange");
    d.byte_range[1 + i] = static_cast<uint64_t>(v);
  }
  d.sub_filter = r.text(7);
  d.signing_time = r.get_int(8);
  d.field_name = r.text(9);
  DUET_ASSIGN_OR_RETURN(d.stamped_pages, parse_pages(r.text(10)));
  d.page_count = static_cast<int>(r.get_int(11));
  if (!r.is_null(12)) d.signed_pdf = r.blob(12);
  return d;
}

SignItem read_order_item(const RowReader& r, int first_col) {
  SignItem item;
  item.input = r.blob(first_col);
  item.input_is_digest = r.get_int(first_col + 1) != 0;
  item.signature = r.blob(first_col + 2);
  return item;
}

}  // namespace duet::store::row_decoders
