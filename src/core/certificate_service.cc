#include "core/certificate_service.h"
#include "core/holder_fields.h"

#include "core/consent.h"

#include <algorithm>
#include <fstream>
#include <sstream>

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

constexpr std::string_view kRoot = "root";
constexpr std::string_view kIssuing = "issuing";
constexpr std::string_view kOcsp = "ocsp";

pki::Time to_time(UnixSeconds t) { return pki::Time(std::chrono::seconds(t)); }
UnixSeconds to_unix(pki::Time t) { return t.time_since_epoch().count(); }

std::string to_string(const SecretBytes& s) { return std::string(reinterpret_cast<const char*>(s.data()), s.size()); }

std::string seal_context(std::string_view ca_id) { return "ca_key:" + std::string(ca_id); }

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

std::string CertificateService::base_url() const {
  std::string b = config_.base_url.empty() ? deps_.config.public_url : config_.base_url;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b;
}

Status CertificateService::bootstrap(UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(std::vector<store::CaRecord> cas, stores_.cas.list_cas());
  bool has_issuing = std::any_of(cas.begin(), cas.end(), [](const store::CaRecord& c) {
    return c.active && c.role == kIssuing && !c.sealed_private_key.empty();
  });
  if (!has_issuing) {
    bool import = !config_.import_root_cert.empty() || !config_.import_issuing_cert.empty() ||
                  !config_.import_issuing_key.empty();
    DUET_TRY_STATUS(import ? import_hierarchy(now) : create_hierarchy(now));
    DUET_ASSIGN_OR_RETURN(cas, stores_.cas.list_cas());
  }
  return load(cas);
}

Status CertificateService::create_hierarchy(UnixSeconds now) {
  const std::string& org = config_.subject_organization.empty() ? std::string("Duet") : config_.subject_organization;
  pki::CaProfile profile;
  profile.root_subject = {config_.subject_country, org, "", org + " Root CA", ""};
  profile.issuing_subject = {config_.subject_country, org, "", org + " Issuing CA", ""};
  DUET_ASSIGN_OR_RETURN(pki::CaHierarchy h, pki::create_ca_hierarchy(profile, deps_.rng, to_time(now)));
  crypto::Scalar ocsp_key = crypto::Scalar::random_nonzero(deps_.rng);
  DUET_ASSIGN_OR_RETURN(crypto::Point ocsp_pub, crypto::Point::mul_base(ocsp_key));
  DUET_ASSIGN_OR_RETURN(pki::Certificate ocsp_cert,
                        pki::issue_ocsp_signer_certificate(h.issuing_ca(), ocsp_pub,
                                                           {config_.subject_country, org, "", org + " OCSP Responder", ""},
                                                           profile.issuing_validity, deps_.rng, to_time(now)));
  struct Item {
    std::string_view role;
    const pki::Certificate* cert;
    const crypto::Scalar* key;
  } items[] = {{kRoot, &h.root_certificate, &h.root_private_key},
               {kIssuing, &h.issuing_certificate, &h.issuing_private_key},
               {kOcsp, &ocsp_cert, &ocsp_key}};
  for (const auto& it : items) {
    store::CaRecord rec;
    rec.ca_id = store::new_id("ca_");
    rec.role = std::string(it.role);
    rec.certificate_der = it.cert->der();
    DUET_ASSIGN_OR_RETURN(rec.sealed_private_key,
                          kek_.wrap(seal_context(rec.ca_id), ByteView(it.key->bytes().data(), it.key->bytes().size())));
    rec.created_at = now;
    rec.active = true;
    DUET_TRY_STATUS(stores_.cas.put_ca({}, rec));
  }
  return Status::Ok();
}

Status CertificateService::import_hierarchy(UnixSeconds now) {
  if (config_.import_root_cert.empty() || config_.import_issuing_cert.empty() || config_.import_issuing_key.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "CA import needs import_root_cert, import_issuing_cert and import_issuing_key");
  }
  auto read = [](const std::string& path, std::string& out) -> Status {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return Status::Ok();
  };
  std::string root_pem, issuing_pem, key_pem;
  DUET_TRY_STATUS(read(config_.import_root_cert, root_pem));
  DUET_TRY_STATUS(read(config_.import_issuing_cert, issuing_pem));
  DUET_TRY_STATUS(read(config_.import_issuing_key, key_pem));
  auto imported = pki::import_issuing_ca(root_pem, issuing_pem, key_pem);
  secure_wipe(key_pem.data(), key_pem.size());
  if (!imported.ok()) return make_error(imported.code(), "CA import: " + imported.error().message);
  const pki::IssuingCa& ca = *imported;
  const std::string& org = config_.subject_organization.empty() ? std::string("Duet") : config_.subject_organization;
  crypto::Scalar ocsp_key = crypto::Scalar::random_nonzero(deps_.rng);
  DUET_ASSIGN_OR_RETURN(crypto::Point ocsp_pub, crypto::Point::mul_base(ocsp_key));
  // The responder certificate lives at most as long as the issuing CA.
  auto validity = std::chrono::duration_cast<std::chrono::seconds>(ca.certificate.not_after() - to_time(now));
  if (validity.count() <= 0) return make_error(ErrorCode::kInvalidArgument, "CA import: the issuing CA has expired");
  validity = std::min<std::chrono::seconds>(validity, std::chrono::days(1827));
  DUET_ASSIGN_OR_RETURN(pki::Certificate ocsp_cert,
                        pki::issue_ocsp_signer_certificate(ca, ocsp_pub,
                                                           {config_.subject_country, org, "", org + " OCSP Responder", ""},
                                                           validity, deps_.rng, to_time(now)));
  struct Item {
    std::string_view role;
    const pki::Certificate* cert;
    const crypto::Scalar* key;  // null: not held (the imported root)
  } items[] = {{kRoot, &ca.root, nullptr}, {kIssuing, &ca.certificate, &ca.private_key}, {kOcsp, &ocsp_cert, &ocsp_key}};
  for (const auto& it : items) {
    store::CaRecord rec;
    rec.ca_id = store::new_id("ca_");
    rec.role = std::string(it.role);
    rec.certificate_der = it.cert->der();
    if (it.key != nullptr) {
      DUET_ASSIGN_OR_RETURN(rec.sealed_private_key, kek_.wrap(seal_context(rec.ca_id),
                                                              ByteView(it.key->bytes().data(), it.key->bytes().size())));
    }
    rec.created_at = now;
    rec.active = true;
    DUET_TRY_STATUS(stores_.cas.put_ca({}, rec));
  }
  return Status::Ok();
}

Status CertificateService::load(const std::vector<store::CaRecord>& cas) {
  // Newest active record of each role (list_cas is oldest first).
  const store::CaRecord* root = nullptr;
  const store::CaRecord* issuing = nullptr;
  const store::CaRecord* ocsp = nullptr;
  for (const auto& c : cas) {
    DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(c.certificate_der));
    ca_certs_.insert_or_assign(c.ca_id, std::move(cert));
    if (!c.active) continue;
    if (c.role == kRoot) root = &c;
    else if (c.role == kIssuing && !c.sealed_private_key.empty()) issuing = &c;
    else if (c.role == kOcsp && !c.sealed_private_key.empty()) ocsp = &c;
  }
  if (root == nullptr || issuing == nullptr || ocsp == nullptr) {
    return make_error(ErrorCode::kInternal, "the CA hierarchy in the store is incomplete (root, issuing, ocsp)");
  }
  auto unseal = [&](const store::CaRecord& c) -> Result<crypto::Scalar> {
    DUET_ASSIGN_OR_RETURN(SecretBytes raw, kek_.unwrap(seal_context(c.ca_id), c.sealed_private_key));
    return crypto::Scalar::from_bytes_nonzero(raw.view());
  };
  DUET_ASSIGN_OR_RETURN(crypto::Scalar issuing_key, unseal(*issuing));
  DUET_ASSIGN_OR_RETURN(crypto::Scalar ocsp_key, unseal(*ocsp));
  const pki::Certificate& issuing_cert = ca_certs_.at(issuing->ca_id);
  const pki::Certificate& root_cert = ca_certs_.at(root->ca_id);
  const pki::Certificate& ocsp_cert = ca_certs_.at(ocsp->ca_id);
  // The keys must match their certificates (a wrong record is refused here,
  // not at the first issuance).
  DUET_ASSIGN_OR_RETURN(crypto::Point ip, crypto::Point::mul_base(issuing_key));
  DUET_ASSIGN_OR_RETURN(crypto::Point ic, issuing_cert.public_key());
  DUET_ASSIGN_OR_RETURN(crypto::Point op, crypto::Point::mul_base(ocsp_key));
  DUET_ASSIGN_OR_RETURN(crypto::Point oc, ocsp_cert.public_key());
  if (!(ip == ic) || !(op == oc)) return make_error(ErrorCode::kInternal, "a CA key does not match its certificate");

  issuing_ = std::make_unique<pki::IssuingCa>(pki::IssuingCa{issuing_cert, std::move(issuing_key), root_cert,
                                                             std::string(crypto::kDefaultSm2Id)});
  ocsp_ = std::make_unique<pki::OcspResponderConfig>(pki::OcspResponderConfig{
      issuing_cert, ocsp_cert, std::move(ocsp_key), std::chrono::seconds(config_.ocsp_validity_seconds),
      config_.ocsp_crl_sm2_id});
  root_id_ = root->ca_id;
  issuing_id_ = issuing->ca_id;
  ocsp_id_ = ocsp->ca_id;
  loaded_ = true;
  return Status::Ok();
}

std::string CertificateService::chain_pem() const {
  if (!loaded_) return {};
  return issuing_->certificate.pem() + issuing_->root.pem();
}

Result<pki::Certificate> CertificateService::ca_certificate(std::string_view ca_id) const {
  auto it = ca_certs_.find(ca_id);
  if (it == ca_certs_.end()) return make_error(ErrorCode::kNotFound, "no such CA");
  return it->second;
}

Result<CertificateService::Subject> CertificateService::subject_for(const store::Holder& h) {
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  DUET_ASSIGN_OR_RETURN(SecretBytes name, fields.open(h.tenant_id, h.holder_id, "name", h.name_ciphertext));
  Subject out;
  pki::DistinguishedName& dn = out.dn;
  dn.country = config_.subject_country;
  dn.organization = config_.subject_organization;
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
    auto root = ca_certs_.find(root_id_);
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

  pki::HolderProfile profile;
  profile.subject = subject;
  profile.validity = std::chrono::days(config_.validity_days);
  std::string base = base_url();
  profile.crl_url = base + "/pki/crl/" + issuing_id_ + ".crl";
  profile.ocsp_url = base + "/pki/ocsp";
  profile.ca_issuers_url = base + "/pki/ca/" + issuing_id_ + ".cer";
  profile.policy_oid = config_.policy_oid;
  profile.identify_code = subject_parts.identify_code;
  pki::IssuancePolicy policy;
  policy.policy_oid = config_.policy_oid;
  policy.expected_common_name = subject.common_name;
  policy.expected_identify_code = subject_parts.identify_code;
  policy.holder_id_number = subject_parts.id_number;
  policy.serial_is_unused = [this](ByteView serial) -> Result<bool> {
    auto found = stores_.certificates.find_certificate_by_serial(to_hex(serial));
    if (found.ok()) return false;
    if (found.code() == ErrorCode::kNotFound) return true;
    return Unexpected{found.error()};
  };
  DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::issue_holder_certificate_from_csr(*issuing_, *csr, profile, policy,
                                                                                      deps_.rng, to_time(now)));
  store::Certificate rec;
  rec.tenant_id = order.tenant_id;
  rec.cert_id = store::new_id("crt_");
  rec.holder_id = order.holder_id;
  rec.key_id = order.key_id;
  rec.serial_hex = cert.serial_hex();
  rec.issuer_id = issuing_id_;
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

void CertificateService::invalidate_crl() {
  std::lock_guard<std::mutex> lock(crl_mu_);
  crl_dirty_ = true;
}

Result<Bytes> CertificateService::crl_der(const store::WriteContext& write, std::string_view ca_id, UnixSeconds now) {
  if (!loaded_) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  if (ca_id != issuing_id_) return make_error(ErrorCode::kNotFound, "no CRL for this CA");
  std::lock_guard<std::mutex> lock(crl_mu_);
  auto it = crl_cache_.find(ca_id);
  if (!crl_dirty_ && it != crl_cache_.end() && now - it->second.built_at < config_.crl_refresh_seconds &&
      now >= it->second.built_at) {
    return it->second.der;
  }
  DUET_ASSIGN_OR_RETURN(auto revoked, stores_.certificates.list_revoked_certificates(ca_id));
  std::vector<pki::RevokedEntry> entries;
  for (const auto& c : revoked) {
    DUET_ASSIGN_OR_RETURN(Bytes serial, from_hex(c.serial_hex));
    entries.push_back({std::move(serial), to_time(c.revoked_at.value_or(now)),
                       static_cast<pki::RevocationReason>(c.revocation_reason)});
  }
  DUET_ASSIGN_OR_RETURN(int64_t number, stores_.cas.next_crl_number(write, ca_id));
  pki::IssuingCa ca = *issuing_;
  ca.sm2_id = config_.ocsp_crl_sm2_id;
  pki::CrlParams params;
  params.crl_number = static_cast<uint64_t>(number);
  params.this_update = to_time(now);
  params.next_update_after = std::chrono::seconds(config_.crl_next_update_seconds);
  DUET_ASSIGN_OR_RETURN(Bytes der, pki::build_crl(ca, entries, params));
  crl_cache_[std::string(ca_id)] = CachedCrl{der, now, entries.size()};
  crl_dirty_ = false;
  return der;
}

Result<size_t> CertificateService::refresh_crls(const store::WriteContext& write, UnixSeconds now) {
  if (!loaded_) return size_t{0};
  DUET_ASSIGN_OR_RETURN(auto revoked, stores_.certificates.list_revoked_certificates(issuing_id_));
  {
    std::lock_guard<std::mutex> lock(crl_mu_);
    auto it = crl_cache_.find(issuing_id_);
    bool stale = crl_dirty_ || it == crl_cache_.end() || now - it->second.built_at >= config_.crl_refresh_seconds ||
                 it->second.revoked_count != revoked.size();
    if (!stale) return size_t{0};
    crl_dirty_ = true;
  }
  DUET_TRY_STATUS(crl_der(write, issuing_id_, now));
  return size_t{1};
}

Result<Bytes> CertificateService::ocsp_response(ByteView request_der, UnixSeconds now) {
  if (!loaded_) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  auto lookup = [this](ByteView serial) -> Result<pki::StatusAnswer> {
    pki::StatusAnswer a;
    auto c = stores_.certificates.find_certificate_by_serial(to_hex(serial));
    if (!c.ok()) {
      if (c.code() == ErrorCode::kNotFound) return a;  // unknown
      return Unexpected{c.error()};
    }
    if (c->issuer_id != issuing_id_) return a;
    if (c->revoked) {
      a.status = pki::CertStatus::kRevoked;
      a.revoked_at = to_time(c->revoked_at.value_or(0));
      a.reason = static_cast<pki::RevocationReason>(c->revocation_reason);
    } else {
      a.status = pki::CertStatus::kGood;
    }
    return a;
  };
  return pki::ocsp_respond(*ocsp_, request_der, lookup, to_time(now));
}

}  // namespace duet::core
