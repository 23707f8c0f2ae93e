#include "core/certificate_service.h"
#include "core/holder_fields.h"

#include "core/consent.h"

#include <algorithm>

#include "core/consent.h"
#include "core/subject_pseudonym.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "pki/csr.h"
#include "pki/identify_code.h"
#include "pki/issuer.h"
#include "pki/lint.h"
#include "store/ids.h"

namespace duet::core {
namespace {

pki::Time to_time(UnixSeconds t) { return pki::Time(std::chrono::seconds(t)); }
UnixSeconds to_unix(pki::Time t) { return t.time_since_epoch().count(); }

std::string to_string(const SecretBytes& s) { return std::string(reinterpret_cast<const char*>(s.data()), s.size()); }

struct ReasonName {
  int value;
  std::string_view name;
};
constexpr ReasonName kReasons[] = {
    {0, "unspecified"},         {1, "keyCompromise"},        {2, "cACompromise"},
    {3, "affiliationChanged"},  {4, "superseded"},           {5, "cessationOfOperation"},
    {6, "certificateHold"},     {8, "removeFromCRL"},        {9, "privilegeWithdrawn"},
    {10, "aACompromise"},
};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::optional<int> revocation_reason_from_name(std::string_view name) {
  if (!name.empty() && name.size() <= 2 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int v = std::stoi(std::string(name));
    for (const auto& r : kReasons)
      if (r.value == v) return v;
    return std::nullopt;
  }
  for (const auto& r : kReasons)
    if (iequal(r.name, name)) return r.value;
  return std::nullopt;
}

std::string_view revocation_reason_name(int reason) {
  for (const auto& r : kReasons)
    if (r.value == reason) return r.name;
  return "unspecified";
}

CertificateService::CertificateService(CoreDeps deps, keys::Kek& kek, PkiConfig config)
    : deps_(deps), stores_(deps.store), kek_(kek), config_(std::move(config)) {}

CertificateService::~CertificateService() = default;

Result<CertificateService::Subject> CertificateService::subject_for(const store::Holder& h) {
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  DUET_ASSIGN_OR_RETURN(SecretBytes name, fields.open(h.tenant_id, h.holder_id, "name", h.name_ciphertext));
  Subject out;
  pki::DistinguishedName& dn = out.dn;
  dn.country = config_.subject_country;
  dn.organization = config_.subject_organization;
  // A sandbox holder's certificate says so where a relying party looks: the
  // OU (production certificates have none; the lint checks both).
  if (h.environment == store::AppEnvironment::kSandbox) dn.organizational_unit = std::string(kSandboxOrganizationalUnit);
  // CN: the holder's full name (issue 12: under the Electronic Signature Law
  // a personal signing certificate identifies the person). Certificates hold
  // it in clear, in the store and in every CMS signature; everything else at
  // rest keeps the name sealed. Certificates issued before issue 12 keep
  // their masked CN.
  dn.common_name = to_string(name);
  if (h.id_number_ciphertext.empty()) {
    // The ID number was purged by the retention rules (core/retention.h):
    // the pseudonym stays the one of the holder's earlier certificates, and
    // there is no number for the identity-code extension.
    DUET_ASSIGN_OR_RETURN(auto issued, stores_.certificates.list_holder_certificates(h.tenant_id, h.holder_id));
    for (const auto& c : issued) {
      auto cert = pki::Certificate::parse(c.der);
      if (!cert.ok()) continue;
      std::string subject = cert->subject();
      auto at = subject.find("serialNumber=");
      if (at == std::string::npos) continue;
      at += std::string_view("serialNumber=").size();
      dn.serial_number = subject.substr(at, subject.find(',', at) - at);
      return out;
    }
    return make_error(ErrorCode::kConflict, "the holder's ID number was purged and no earlier certificate names it");
  }
  DUET_ASSIGN_OR_RETURN(SecretBytes id_full,
                        fields.open(h.tenant_id, h.holder_id, "id_number", h.id_number_ciphertext));
  // serialNumber: a pseudonym stable per (tenant, identity), never the raw number.
  std::string input = h.tenant_id + "\n" + to_string(id_full);
  Bytes hash = deps_.protector.keyed_hash("cert_subject_serial", as_bytes(input));
  secure_wipe(input.data(), input.size());
  dn.serial_number = subject_pseudonym(hash);
  // The number itself only as the tenant's policy says: gmt0015 puts a
  // resident ID number ("resident_id:<number>") into the GM/T 0015
  // extension; other ID types have no alternative produced here and get none.
  // The stored form is "<id_type>:<number>" (business_service.cc).
  std::string idn = to_string(id_full);
  const size_t colon = idn.find(':');
  out.id_number = colon == std::string::npos ? idn : idn.substr(colon + 1);
  DUET_ASSIGN_OR_RETURN(store::Tenant tenant, stores_.tenants.get_tenant(h.tenant_id));
  if (tenant.cert_identity_policy == "gmt0015" && idn.rfind("resident_id:", 0) == 0) out.identify_code = out.id_number;
  secure_wipe(idn.data(), idn.size());
  return out;
}

Result<CertificateView> CertificateService::view(store::Certificate c) const {
  CertificateView v;
  DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(c.der));
  v.certificate_pem = cert.pem();
  auto issuer = ca_certs_.find(c.issuer_id);
  if (issuer != ca_certs_.end()) {
    v.chain_pem = issuer->second.pem();
    // The root of the issuer's own environment (a sandbox certificate's
    // chain ends at the sandbox root).
    auto e = ca_envs_.find(c.issuer_id);
    const std::string& root_id = env(e != ca_envs_.end() ? e->second : store::AppEnvironment::kProduction).root_id;
    auto root = ca_certs_.find(root_id);
    if (root != ca_certs_.end()) v.chain_pem += root->second.pem();
  }
  v.record = std::move(c);
  return v;
}

Result<size_t> CertificateService::supersede_stale_certificates(const store::WriteContext& write,
                                                                const std::string& tenant_id,
                                                                const std::string& holder_id,
                                                                const std::string& active_key_id, UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(auto certs, stores_.certificates.list_holder_certificates(tenant_id, holder_id));
  size_t n = 0;
  for (const auto& c : certs) {
    if (c.revoked || c.key_id == active_key_id) continue;
    auto st = stores_.certificates.revoke_certificate(write, tenant_id, c.cert_id,
                                                      static_cast<int>(pki::RevocationReason::kSuperseded),
                                                      /*revoke_key=*/false, now);
    if (!st.ok()) {
      if (st.code() == ErrorCode::kConflict) continue;  // revoked meanwhile
      return Unexpected{st.error()};
    }
    ++n;
    deps_.metrics.certificates_revoked++;
  }
  if (n > 0) invalidate_crl();
  return n;
}

Result<store::SignOrder> CertificateService::request_certificate(const HolderContext& ctx, bool* replayed,
                                                                bool renewal) {
  if (replayed != nullptr) *replayed = false;
  if (!loaded_) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  UnixSeconds now = deps_.clock.now();
  DUET_ASSIGN_OR_RETURN(store::Holder holder, stores_.holders.get_holder(ctx.tenant_id, ctx.holder_id));
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id);
  if (!key.ok()) {
    if (key.code() == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kConflict, "the holder has no active key (not enrolled, or revoked)");
    }
    return Unexpected{key.error()};
  }
  // No issuance without the holder's acceptance of the current texts (docs/consent.md).
  DUET_ASSIGN_OR_RETURN(auto consents, stores_.holders.list_consents(ctx.tenant_id, ctx.holder_id));
  DUET_TRY_STATUS(require_current_consents(consents));
  // Retry of a re-key's revocation of the old certificates (see header).
  DUET_TRY_STATUS(supersede_stale_certificates(ctx.write, ctx.tenant_id, ctx.holder_id, key->key_id, now));
  // Idempotent: an open request for this key is answered again.
  DUET_ASSIGN_OR_RETURN(auto open, stores_.orders.list_open_orders(ctx.tenant_id, ctx.holder_id, now, 100));
  for (auto& o : open) {
    if (o.kind == store::OrderKind::kCsr && o.key_id == key->key_id) {
      if (replayed != nullptr) *replayed = true;
      return std::move(o);
    }
  }
  DUET_ASSIGN_OR_RETURN(auto certs, stores_.certificates.list_holder_certificates(ctx.tenant_id, ctx.holder_id));
  for (const auto& c : certs) {
    if (!renewal && c.key_id == key->key_id && !c.revoked) {
      return make_error(ErrorCode::kConflict, "the holder's key already has a certificate");
    }
  }
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::from_hex(key->public_key_hex));
  DUET_ASSIGN_OR_RETURN(Subject subject_parts, subject_for(holder));
  const pki::DistinguishedName& subject = subject_parts.dn;
  // A name the CN cannot hold (X.520 ub-common-name: 64 characters) and,
  // under gmt0015, a number the extension cannot hold are refused now, before
  // the holder signs a request that could never be issued.
  const auto name_chars = static_cast<size_t>(
      std::count_if(subject.common_name.begin(), subject.common_name.end(),
                    [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  if (name_chars > kMaxCommonNameChars) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the holder's name is longer than the 64 characters a certificate's CN can hold");
  }
  if (!subject_parts.identify_code.empty() && !pki::encode_identify_code(subject_parts.identify_code).ok()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the holder's ID number is not a valid resident ID number, which the tenant's gmt0015 "
                      "certificate identity policy requires");
  }
  // Build the request only to learn e: the signer records it and stops.
  std::optional<crypto::Digest> captured;
  auto built = pki::build_csr(pub, subject, [&](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
    captured = e;
    return make_error(ErrorCode::kBadState, "digest captured");
  });
  if (!captured) {
    if (!built.ok()) return Unexpected{built.error()};
    return make_error(ErrorCode::kInternal, "the certificate request was built without a signature");
  }
  std::string app_id = holder.identity_verified_by;
  if (app_id.empty()) {
    DUET_ASSIGN_OR_RETURN(auto apps, stores_.tenants.list_apps(ctx.tenant_id));
    if (apps.empty()) return make_error(ErrorCode::kConflict, "the tenant has no app");
    app_id = apps.front().app_id;
  }
  store::SignOrder o;
  o.tenant_id = ctx.tenant_id;
  o.order_id = store::new_id("ord_");
  o.app_id = app_id;
  o.environment = holder.environment;
  o.holder_id = ctx.holder_id;
  o.kind = store::OrderKind::kCsr;
  o.key_id = key->key_id;
  o.title = "Certificate request";
  // No personal data here: display_text is stored in clear.
  o.display_text = "Sign the request for the X.509 certificate of your signing key (SM2, valid " +
                   std::to_string(config_.validity_days) + " days)";
  o.output_format = store::OutputFormat::kRaw;
  o.items.push_back(store::SignItem{Bytes(captured->begin(), captured->end()), true, {}});
  o.created_at = o.updated_at = now;
  o.expires_at = now + config_.csr_order_ttl_seconds;
  return stores_.orders.create_order(ctx.write, o);
}

Result<CertificateView> CertificateService::issue_for_csr_order(const store::WriteContext& write,
                                                                const store::SignOrder& order,
                                                                const std::string& session_id,
                                                                const crypto::Sm2Signature& signature,
                                                                const Bytes& raw_signature, UnixSeconds now) {
  if (!loaded_) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  if (order.kind != store::OrderKind::kCsr || order.items.size() != 1 || !order.items[0].input_is_digest ||
      order.items[0].input.size() != 32) {
    return make_error(ErrorCode::kInternal, "not a certificate request order");
  }
  crypto::Digest want{};
  std::copy(order.items[0].input.begin(), order.items[0].input.end(), want.begin());
  DUET_ASSIGN_OR_RETURN(store::Holder holder, stores_.holders.get_holder(order.tenant_id, order.holder_id));
  DUET_ASSIGN_OR_RETURN(store::HolderKeyShare key, stores_.holders.get_holder_key(order.tenant_id, order.key_id));
  if (key.revoked_at) return make_error(ErrorCode::kConflict, "the key of this certificate request is revoked");
  DUET_ASSIGN_OR_RETURN(crypto::Point pub, crypto::Point::from_hex(key.public_key_hex));
  // The subject and the identity policy are read now, at issuance: a renewal
  // or re-key after a policy change issues the new form.
  DUET_ASSIGN_OR_RETURN(Subject subject_parts, subject_for(holder));
  const pki::DistinguishedName& subject = subject_parts.dn;
  bool asked = false;
  auto csr = pki::build_csr(pub, subject, [&](const crypto::Digest& e) -> Result<crypto::Sm2Signature> {
    asked = true;
    if (e != want) {
      return make_error(ErrorCode::kConflict,
                        "the certificate request changed since it was created (CA settings?); request a new one");
    }
    return signature;
  });
  if (!csr.ok()) return Unexpected{csr.error()};
  if (!asked) return make_error(ErrorCode::kInternal, "the certificate request was built without a signature");
  DUET_ASSIGN_OR_RETURN(pki::VerifiedCsr verified, pki::verify_csr(*csr));
  if (!(verified.public_key == pub)) return make_error(ErrorCode::kInternal, "the request names another key");

  // The holder's environment's CA (docs/pki.md "The sandbox CA").
  const EnvironmentCa& ca = env(holder.environment);
  pki::HolderProfile profile;
  profile.subject = subject;
  profile.validity = std::chrono::days(config_.validity_days);
  std::string base = base_url() + std::string(pki_path(holder.environment));
  profile.crl_url = base + "/crl/" + ca.issuing_id + ".crl";
  profile.ocsp_url = base + "/ocsp";
  profile.ca_issuers_url = base + "/ca/" + ca.issuing_id + ".cer";
  profile.policy_oid = config_.policy_oid;
  profile.identify_code = subject_parts.identify_code;
  pki::IssuancePolicy policy;
  policy.policy_oid = config_.policy_oid;
  policy.expected_common_name = subject.common_name;
  policy.expected_organizational_unit = subject.organizational_unit;
  policy.expected_identify_code = subject_parts.identify_code;
  policy.holder_id_number = subject_parts.id_number;
  policy.serial_is_unused = [this](ByteView serial) -> Result<bool> {
    auto found = stores_.certificates.find_certificate_by_serial(to_hex(serial));
    if (found.ok()) return false;
    if (found.code() == ErrorCode::kNotFound) return true;
    return Unexpected{found.error()};
  };
  DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::issue_holder_certificate_from_csr(*ca.issuing, *csr, profile, policy,
                                                                                      deps_.rng, to_time(now)));
  store::Certificate rec;
  rec.tenant_id = order.tenant_id;
  rec.cert_id = store::new_id("crt_");
  rec.holder_id = order.holder_id;
  rec.key_id = order.key_id;
  rec.serial_hex = cert.serial_hex();
  rec.issuer_id = ca.issuing_id;
  rec.der = cert.der();
  rec.not_before = to_unix(cert.not_before());
  rec.not_after = to_unix(cert.not_after());
  rec.created_at = now;
  DUET_TRY_STATUS(
      stores_.orders.finish_csr_order(write, order.tenant_id, order.order_id, session_id, {raw_signature}, rec, now));
  return view(std::move(rec));
}

Result<CertificateView> CertificateService::certificate_for_key(const std::string& tenant_id,
                                                                const std::string& holder_id,
                                                                const std::string& key_id) {
  DUET_ASSIGN_OR_RETURN(auto certs, stores_.certificates.list_holder_certificates(tenant_id, holder_id));
  for (auto& c : certs) {
    if (c.key_id == key_id) return view(std::move(c));
  }
  return make_error(ErrorCode::kNotFound, "no certificate for this key");
}

Result<CertificateView> CertificateService::current_certificate(const HolderContext& ctx) {
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id);
  if (!key.ok()) {
    if (key.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "the holder has no active key");
    return Unexpected{key.error()};
  }
  DUET_ASSIGN_OR_RETURN(auto certs, stores_.certificates.list_holder_certificates(ctx.tenant_id, ctx.holder_id));
  for (auto& c : certs) {
    if (c.key_id == key->key_id && !c.revoked) return view(std::move(c));
  }
  return make_error(ErrorCode::kNotFound, "the holder has no certificate yet (POST /app/v1/certificate-requests)");
}

Result<std::vector<CertificateView>> CertificateService::list_certificates(const std::string& tenant_id,
                                                                          const std::string& holder_id) {
  DUET_TRY_STATUS(stores_.holders.get_holder(tenant_id, holder_id));
  DUET_ASSIGN_OR_RETURN(auto certs, stores_.certificates.list_holder_certificates(tenant_id, holder_id));
  std::vector<CertificateView> out;
  for (auto& c : certs) {
    DUET_ASSIGN_OR_RETURN(CertificateView v, view(std::move(c)));
    out.push_back(std::move(v));
  }
  return out;
}

Result<CertificateView> CertificateService::revoke(const store::WriteContext& write, const std::string& tenant_id,
                                                   const std::string& holder_id, const std::string& cert_id, int reason,
                                                   UnixSeconds now) {
  if (reason == static_cast<int>(pki::RevocationReason::kCertificateHold)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "certificateHold is not supported: revocation shreds the key and is permanent");
  }
  if (reason < 0 || reason > 10 || reason == 7 || reason == 8) {
    return make_error(ErrorCode::kInvalidArgument, "reason must be an RFC 5280 CRLReason usable for revocation");
  }
  DUET_ASSIGN_OR_RETURN(store::Certificate c, stores_.certificates.get_certificate(tenant_id, cert_id));
  if (c.holder_id != holder_id) return make_error(ErrorCode::kNotFound, "no such certificate");
  auto st = stores_.certificates.revoke_certificate(write, tenant_id, cert_id, reason, /*revoke_key=*/true, now);
  if (!st.ok()) {
    if (st.code() == ErrorCode::kConflict) return make_error(ErrorCode::kConflict, "the certificate is already revoked");
    return Unexpected{st.error()};
  }
  invalidate_crl();
  deps_.metrics.certificates_revoked++;
  DUET_ASSIGN_OR_RETURN(store::Certificate after, stores_.certificates.get_certificate(tenant_id, cert_id));
  return view(std::move(after));
}

Status CertificateService::revoke_own(const HolderContext& ctx, UnixSeconds now) {
  auto current = current_certificate(ctx);
  if (current.ok()) {
    DUET_TRY_STATUS(revoke(ctx.write, ctx.tenant_id, ctx.holder_id, current->record.cert_id,
                           static_cast<int>(pki::RevocationReason::kKeyCompromise), now));
    return Status::Ok();
  }
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id);
  if (!key.ok()) {
    if (key.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kConflict, "the holder has no active key");
    return Unexpected{key.error()};
  }
  return stores_.holders.revoke_holder_key(ctx.write, ctx.tenant_id, key->key_id, now);
}

}  // namespace duet::core
