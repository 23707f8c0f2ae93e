#include "store/validate.h"

#include "store/audit_encoding.h"
#include "store/ids.h"
#include "store/record_text.h"
#include "store/store_error.h"

namespace duet::store {

using record_text::is_cms;
using record_text::valid_ca_role;
using record_text::valid_cms_oid_style;
using record_text::valid_identity_mode;
using record_text::valid_revocation_reason;

namespace {

Status invalid(std::string_view what) { return make_error(ErrorCode::kInvalidArgument, std::string(what)); }

// The smallest purchase of each counted package kind (credit packages, granted
// by the SLA, may be smaller).
constexpr int64_t kMinPerSignaturePurchase = 10'000;
constexpr int64_t kMinPerUserPurchase = 1'000;

}  // namespace

Status validate_tenant(const Tenant& t) {
  if (t.tenant_id.empty()) return invalid("tenant id is empty");
  return validate_cert_identity_policy(t.cert_identity_policy);
}

Status validate_order_previews(std::string_view tenant_id, std::string_view order_id,
                               const std::vector<OrderPreview>& pages) {
  if (pages.empty()) return invalid("an order preview needs at least one page");
  for (size_t i = 0; i < pages.size(); ++i) {
    const OrderPreview& p = pages[i];
    if (p.tenant_id != tenant_id || p.order_id != order_id) return invalid("a preview names another order");
    if (p.page < 1 || p.page_count < p.page) return invalid("a preview's page is outside 1..page_count");
    if (p.page_count != pages[0].page_count) return invalid("the previews disagree on the page count");
    if (p.png.empty()) return invalid("a preview is empty");
    for (size_t j = 0; j < i; ++j)
      if (pages[j].page == p.page) return invalid("a preview page is repeated");
  }
  return Status::Ok();
}

Status validate_cert_identity_policy(std::string_view policy) {
  if (policy != "none" && policy != "gmt0015") return invalid("unknown certificate identity policy (none | gmt0015)");
  return Status::Ok();
}

Status validate_app(const App& a) {
  if (a.tenant_id.empty() || a.app_id.empty()) return invalid("app ids are empty");
  return validate_app_settings(a.identity_mode, a.cms_oid_style);
}

Status validate_app_settings(std::string_view identity_mode, std::string_view cms_oid_style) {
  if (!valid_identity_mode(identity_mode)) return invalid("unknown identity mode");
  if (!valid_cms_oid_style(cms_oid_style)) return invalid("unknown CMS OID style");
  return Status::Ok();
}

Status validate_pin_failure_budget(std::optional<int> budget) {
  if (budget && *budget < 1) return invalid("the PIN failure budget must be at least 1");
  return Status::Ok();
}

Status validate_holder(const Holder& h) {
  if (h.tenant_id.empty() || h.holder_id.empty()) return invalid("holder ids are empty");
  if (h.lookup_hash.empty()) return invalid("holder lookup hash is empty");
  if (!h.identity_verification.empty() && !valid_identity_mode(h.identity_verification))
    return invalid("unknown identity verification");
  return Status::Ok();
}

Status validate_consent(const HolderConsent& c, std::string_view tenant_id, std::string_view holder_id) {
  if (c.tenant_id.empty() || c.holder_id.empty()) return invalid("consent ids are empty");
  if (c.tenant_id != tenant_id || c.holder_id != holder_id) return invalid("consent names another holder");
  if (c.document != "subscriber_agreement" && c.document != "identity_check") return invalid("unknown consent document");
  if (c.version.empty() || c.channel.empty() || c.attested_by.empty()) return invalid("consent is incomplete");
  if (c.channel != "holder_app" && c.channel != "business_system") return invalid("unknown consent channel");
  if (c.text_sm3.size() != 32) return invalid("consent text digest is not 32 bytes");
  return Status::Ok();
}

Status validate_holder_key(const HolderKeyShare& k) {
  if (k.tenant_id.empty() || k.key_id.empty() || k.holder_id.empty()) return invalid("key ids are empty");
  if (k.public_key_hex.empty() || k.service_share_ciphertext.empty()) return invalid("key material is empty");
  return Status::Ok();
}

Status validate_handwritten_signature(const HandwrittenSignature& s) {
  if (s.tenant_id.empty() || s.holder_id.empty()) return invalid("handwritten signature ids are empty");
  if (s.sealed_png.empty()) return invalid("the sealed handwritten signature is empty");
  if (s.width < 1 || s.height < 1) return invalid("a handwritten signature is at least 1 x 1 pixels");
  return Status::Ok();
}

Status validate_activation_code(const ActivationCode& a) {
  if (a.tenant_id.empty() || a.code_id.empty() || a.holder_id.empty()) return invalid("code ids are empty");
  if (a.code_hash.empty()) return invalid("code hash is empty");
  if (a.otp_attempts_left < 0) return invalid("negative one-time-code attempts");
  return Status::Ok();
}

Status validate_activation_completion(const ActivationCompletion& a) {
  const HolderKeyShare& k = a.key;
  const DeviceToken& t = a.token;
  if (a.tenant_id.empty() || a.code_id.empty()) return invalid("activation ids are empty");
  if (k.key_id.empty() || k.holder_id.empty()) return invalid("key ids are empty");
  if (k.public_key_hex.empty() || k.service_share_ciphertext.empty()) return invalid("key material is empty");
  if (t.token_hash.empty()) return invalid("device token is incomplete");
  if (k.tenant_id != a.tenant_id || t.tenant_id != a.tenant_id || t.holder_id != k.holder_id)
    return invalid("key and device token must name the activation's tenant and holder");
  return Status::Ok();
}

Status validate_device_token(const DeviceToken& t) {
  if (t.tenant_id.empty() || t.holder_id.empty() || t.token_hash.empty()) return invalid("device token is incomplete");
  return Status::Ok();
}

Status validate_order(const SignOrder& o) {
  if (o.tenant_id.empty() || o.order_id.empty() || o.app_id.empty() || o.holder_id.empty())
    return invalid("order ids are empty");
  if (o.items.empty()) return invalid("order has no items");
  for (const SignItem& item : o.items)
    if (item.input.empty()) return invalid("order item input is empty");
  if (o.kind == OrderKind::kCsr && o.key_id.empty()) return invalid("a certificate request order names its key");
  if (o.kind == OrderKind::kSign && !o.key_id.empty()) return invalid("a sign order names no key");
  if (is_cms(o.output_format) != !o.signer_cert_id.empty() || is_cms(o.output_format) != !o.cms_oid_style.empty())
    return invalid("a CMS order names its signer certificate and OID style (and only a CMS order)");
  if (!o.cms_oid_style.empty() && o.cms_oid_style != "pkcs7" && o.cms_oid_style != "gmt")
    return invalid("unknown CMS OID style");
  if (!o.cms_profile.empty() && (o.cms_profile != "pades" || o.output_format != OutputFormat::kCmsDetached))
    return invalid("a CMS profile other than the default is pades, on a cms-detached order");
  return Status::Ok();
}

Status validate_order_documents(const SignOrder& o, const std::vector<OrderDocument>& documents) {
  if (o.output_format != OutputFormat::kPdf) {
    if (!documents.empty()) return invalid("only a PDF order has documents");
    return Status::Ok();
  }
  if (documents.size() != o.items.size()) return invalid("a PDF order has one document per item");
  for (size_t i = 0; i < documents.size(); ++i) {
    const OrderDocument& d = documents[i];
    if (d.tenant_id != o.tenant_id || d.order_id != o.order_id || d.item_index != static_cast<int>(i))
      return invalid("a document names another order or item");
    if (d.prepared_pdf.empty()) return invalid("a document has no PDF");
    const uint64_t* br = d.byte_range;
    if (br[0] != 0 || br[1] == 0 || br[2] <= br[1] || br[2] + br[3] != d.prepared_pdf.size())
      return invalid("a document's ByteRange does not fit its PDF");
    if (d.sub_filter != "ETSI.CAdES.detached" && d.sub_filter != "adbe.pkcs7.detached")
      return invalid("unknown /SubFilter");
    if (d.field_name.empty() || d.page_count < 1 || d.stamped_pages.empty())
      return invalid("a document names no field or page");
    int last = 0;
    for (int p : d.stamped_pages) {
      if (p <= last || p > d.page_count) return invalid("a document's stamped pages are out of order or range");
      last = p;
    }
    if (!d.signed_pdf.empty()) return invalid("a new document is not signed yet");
  }
  return Status::Ok();
}

Status validate_signed_pdfs(const SignOrder& o, const std::vector<Bytes>& signed_pdfs) {
  if (o.output_format != OutputFormat::kPdf) return invalid("only a PDF order has documents");
  if (signed_pdfs.size() != o.items.size()) return invalid("one signed PDF per item is required");
  for (const Bytes& b : signed_pdfs)
    if (b.empty()) return invalid("a signed PDF is empty");
  return Status::Ok();
}

Status validate_sign_session(const SignSession& s) {
  if (s.tenant_id.empty() || s.session_id.empty() || s.order_id.empty() || s.holder_id.empty())
    return invalid("session ids are empty");
  return Status::Ok();
}

Status validate_share_refresh(const ShareRefresh& r) {
  if (r.tenant_id.empty() || r.refresh_id.empty() || r.key_id.empty() || r.holder_id.empty())
    return invalid("share refresh ids are empty");
  return Status::Ok();
}

Status validate_r_values(const std::vector<std::string>& r_values) {
  if (r_values.empty()) return invalid("r values are required");
  for (const std::string& r : r_values)
    if (r.empty() || r.find(',') != std::string::npos) return invalid("malformed r value");
  return Status::Ok();
}

Status validate_signatures(const std::vector<Bytes>& signatures) {
  for (const Bytes& sig : signatures)
    if (sig.empty()) return invalid("empty signature");
  return Status::Ok();
}

Status validate_certificate(const Certificate& c) {
  if (c.tenant_id.empty() || c.cert_id.empty() || c.holder_id.empty() || c.key_id.empty() || c.issuer_id.empty())
    return invalid("certificate ids are empty");
  if (c.serial_hex.empty()) return invalid("certificate serial is empty");
  for (char ch : c.serial_hex)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return invalid("certificate serial must be lowercase hex");
  if (c.der.empty()) return invalid("certificate DER is empty");
  if (c.revoked != c.revoked_at.has_value()) return invalid("certificate revoked flag and revoked_at disagree");
  if (c.revoked && !valid_revocation_reason(c.revocation_reason)) return invalid("unknown revocation reason");
  return Status::Ok();
}

Status validate_ca(const CaRecord& ca) {
  if (ca.ca_id.empty()) return invalid("CA id is empty");
  if (!valid_ca_role(ca.role)) return invalid("unknown CA role");
  if (ca.certificate_der.empty()) return invalid("CA certificate is empty");
  return Status::Ok();
}

Status validate_retention_settings(const RetentionSettings& s) {
  constexpr int64_t kMaxDays = 36500;
  if (s.order_payload_days < 0 || s.identity_days < 0 || s.expired_key_days < 0 || s.order_payload_days > kMaxDays ||
      s.identity_days > kMaxDays || s.expired_key_days > kMaxDays) {
    return invalid("retention days must be 0..36500");
  }
  if (s.interval_seconds < 1 || s.interval_seconds > 7 * 86400) return invalid("retention interval must be 1..604800 s");
  return Status::Ok();
}

Status validate_availability(const std::vector<AvailabilityMinute>& deltas) {
  for (const auto& d : deltas) {
    if (d.minute % 60 != 0) return invalid("an availability minute must be a multiple of 60");
    if (d.requests < 0 || d.normal < 0 || d.total_us < 0 || d.max_us < 0 || d.probes_ok < 0 || d.probes_failed < 0)
      return invalid("availability counts must not be negative");
  }
  return Status::Ok();
}

Status validate_sla_credit(const SlaCredit& credit) {
  if (credit.tenant_id.empty() || credit.credit_id.empty()) return invalid("credit ids are empty");
  if (credit.month.size() != 7 || credit.month[4] != '-') return invalid("credit month must be YYYY-MM");
  if (credit.amount < 1) return invalid("a credit amount must be at least 1");
  if (credit.band != "A" && credit.band != "B" && credit.band != "C") return invalid("credit band must be A, B or C");
  return Status::Ok();
}

Status validate_csr_completion(std::string_view tenant_id, const std::vector<Bytes>& signatures,
                               const Certificate& certificate) {
  DUET_TRY_STATUS(validate_signatures(signatures));
  DUET_TRY_STATUS(validate_certificate(certificate));
  if (certificate.tenant_id != tenant_id) return invalid("the certificate must name the order's tenant");
  return Status::Ok();
}

Status validate_maintenance_window(const MaintenanceWindow& w) {
  if (w.window_id.empty()) return invalid("maintenance window id is empty");
  if (w.ends_at <= w.starts_at) return invalid("a maintenance window must end after it starts");
  if (w.kind != "maintenance" && w.kind != "fault_drill") return invalid("a maintenance window's kind is maintenance or fault_drill");
  return Status::Ok();
}

Status validate_rate_limit(int64_t requests_per_second) {
  if (requests_per_second < 0) return invalid("requests_per_second must not be negative");
  return Status::Ok();
}

Status validate_rate_window(std::string_view tenant_id, std::string_view key) {
  if (tenant_id.empty() || key.empty()) return invalid("rate window tenant and key must be set");
  return Status::Ok();
}

Status validate_audit_event(const AuditEvent& event) {
  const std::string_view t = event.actor_type;
  const bool known_actor = t == "app" || t == "holder" || t == "operator" || t == "system" || t == "anonymous" ||
                           t == "portal_user";
  if (event.action.empty() || event.outcome.empty() || !known_actor)
    return invalid("audit event needs an actor type, an action and an outcome");
  return Status::Ok();
}

Status validate_audit_checkpoint(const AuditCheckpoint& cp) {
  if (cp.seq <= 0 || cp.hash.size() != kAuditHashSize || cp.key_id.empty() || cp.signature.empty())
    return invalid("incomplete audit checkpoint");
  if (!cp.prev_hash.empty() && cp.prev_hash.size() != kAuditHashSize) return invalid("malformed previous checkpoint hash");
  return Status::Ok();
}

Status check_checkpoint_extends(const AuditCheckpoint& cp, const std::optional<AuditCheckpoint>& newest) {
  if (newest && newest->seq >= cp.seq) return store_error(StoreError::kDuplicate, "a newer chain head is signed already");
  Bytes expected = newest ? audit_checkpoint_hash(*newest) : audit_genesis_hash();
  if (cp.prev_hash != expected) return store_error(StoreError::kConflict, "the checkpoint does not name the newest one");
  return Status::Ok();
}

Status validate_audit_key(const AuditKey& key) {
  if (key.key_id.empty() || key.public_key_der.empty() || key.sealed_private_key.empty())
    return invalid("incomplete audit key");
  return Status::Ok();
}

Status validate_package(const Package& p) {
  if (p.tenant_id.empty() || p.package_id.empty()) return invalid("package ids are empty");
  if (p.expires_at <= p.starts_at) return invalid("a package expires after it starts");
  if (p.used != 0) return invalid("a new package has used 0");
  if (p.source != "purchase" && p.source != "sla_credit") return invalid("package source is purchase or sla_credit");
  if (p.kind == PackageKind::kUnlimited) {
    if (p.quantity != 0) return invalid("an unlimited package has quantity 0");
    return Status::Ok();
  }
  if (p.source == "sla_credit") {
    if (p.quantity < 1) return invalid("a credit package has a quantity of at least 1");
    return Status::Ok();
  }
  if (p.kind == PackageKind::kPerSignature && p.quantity < kMinPerSignaturePurchase)
    return invalid("a per-signature package has at least 10000 signatures");
  if (p.kind == PackageKind::kPerUser && p.quantity < kMinPerUserPurchase)
    return invalid("a per-user package has at least 1000 users");
  return Status::Ok();
}

Status complete_callback_job(CallbackJob& job, std::string_view tenant_id, std::string_view order_id) {
  job.tenant_id = std::string(tenant_id);
  job.order_id = std::string(order_id);
  if (job.job_id.empty()) job.job_id = new_id("cbk_");
  if (job.url.empty()) return invalid("callback url is empty");
  return Status::Ok();
}

}  // namespace duet::store
