// CertificateService: the CA material of both environments (creation,
// import, loading), the CA files, the CRLs, the OCSP responders and the trust
// anchors of verification (core/certificate_service.h).
#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/certificate_service.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "pki/issuer.h"
#include "store/ids.h"
#include "store/record_text.h"

namespace duet::core {
namespace {

using store::AppEnvironment;

constexpr std::string_view kRoot = "root";
constexpr std::string_view kIssuing = "issuing";
constexpr std::string_view kOcsp = "ocsp";

pki::Time to_time(UnixSeconds t) { return pki::Time(std::chrono::seconds(t)); }

std::string seal_context(std::string_view ca_id) { return "ca_key:" + std::string(ca_id); }

}  // namespace

std::string_view pki_path(AppEnvironment environment) {
  return environment == AppEnvironment::kSandbox ? "/pki/sandbox" : "/pki";
}

std::string CertificateService::base_url() const {
  std::string b = config_.base_url.empty() ? deps_.config.public_url : config_.base_url;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b;
}

std::string CertificateService::organization() const {
  return config_.subject_organization.empty() ? std::string("Duet") : config_.subject_organization;
}

Status CertificateService::bootstrap(UnixSeconds now) {
  DUET_ASSIGN_OR_RETURN(std::vector<store::CaRecord> cas, stores_.cas.list_cas());
  auto has_issuing = [&](AppEnvironment e) {
    return std::any_of(cas.begin(), cas.end(), [e](const store::CaRecord& c) {
      return c.active && c.environment == e && c.role == kIssuing && !c.sealed_private_key.empty();
    });
  };
  bool created = false;
  if (!has_issuing(AppEnvironment::kProduction)) {
    bool import = !config_.import_root_cert.empty() || !config_.import_issuing_cert.empty() ||
                  !config_.import_issuing_key.empty();
    DUET_TRY_STATUS(import ? import_hierarchy(now) : create_hierarchy(now, AppEnvironment::kProduction));
    created = true;
  }
  // The sandbox's own CA, also in a store from before v31 (its first start
  // after the upgrade). The import settings are production's only.
  if (!has_issuing(AppEnvironment::kSandbox)) {
    DUET_TRY_STATUS(create_hierarchy(now, AppEnvironment::kSandbox));
    created = true;
  }
  if (created) {
    DUET_ASSIGN_OR_RETURN(cas, stores_.cas.list_cas());
  }
  DUET_TRY_STATUS(load(cas, AppEnvironment::kProduction));
  DUET_TRY_STATUS(load(cas, AppEnvironment::kSandbox));
  loaded_ = true;
  return Status::Ok();
}

Status CertificateService::store_ca_records(UnixSeconds now, AppEnvironment e, const pki::Certificate& root,
                                            const crypto::Scalar* root_key, const pki::IssuingCa& issuing,
                                            const pki::Certificate& ocsp_cert, const crypto::Scalar& ocsp_key) {
  struct Item {
    std::string_view role;
    const pki::Certificate* cert;
    const crypto::Scalar* key;  // null: not held (an imported root)
  } items[] = {{kRoot, &root, root_key}, {kIssuing, &issuing.certificate, &issuing.private_key},
               {kOcsp, &ocsp_cert, &ocsp_key}};
  for (const auto& it : items) {
    store::CaRecord rec;
    rec.ca_id = store::new_id("ca_");
    rec.role = std::string(it.role);
    rec.environment = e;
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

Status CertificateService::create_hierarchy(UnixSeconds now, AppEnvironment e) {
  const std::string org = organization();
  const bool sandbox = e == AppEnvironment::kSandbox;
  // The sandbox CA's names say what it is: "Sandbox" in every CN and the
  // sandbox OU (docs/pki.md "The sandbox CA").
  const std::string ou = sandbox ? std::string(kSandboxOrganizationalUnit) : std::string();
  const std::string prefix = sandbox ? org + " Sandbox" : org;
  pki::CaProfile profile;
  profile.root_subject = {config_.subject_country, org, ou, prefix + " Root CA", ""};
  profile.issuing_subject = {config_.subject_country, org, ou, prefix + " Issuing CA", ""};
  DUET_ASSIGN_OR_RETURN(pki::CaHierarchy h, pki::create_ca_hierarchy(profile, deps_.rng, to_time(now)));
  crypto::Scalar ocsp_key = crypto::Scalar::random_nonzero(deps_.rng);
  DUET_ASSIGN_OR_RETURN(crypto::Point ocsp_pub, crypto::Point::mul_base(ocsp_key));
  DUET_ASSIGN_OR_RETURN(pki::Certificate ocsp_cert,
                        pki::issue_ocsp_signer_certificate(h.issuing_ca(), ocsp_pub,
                                                           {config_.subject_country, org, ou, prefix + " OCSP Responder", ""},
                                                           profile.issuing_validity, deps_.rng, to_time(now)));
  return store_ca_records(now, e, h.root_certificate, &h.root_private_key, h.issuing_ca(), ocsp_cert, ocsp_key);
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
  const std::string org = organization();
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
  return store_ca_records(now, AppEnvironment::kProduction, ca.root, nullptr, ca, ocsp_cert, ocsp_key);
}

Status CertificateService::load(const std::vector<store::CaRecord>& cas, AppEnvironment e) {
  // Newest active record of each role (list_cas is oldest first).
  const store::CaRecord* root = nullptr;
  const store::CaRecord* issuing = nullptr;
  const store::CaRecord* ocsp = nullptr;
  for (const auto& c : cas) {
    if (c.environment != e) continue;
    DUET_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::parse(c.certificate_der));
    ca_certs_.insert_or_assign(c.ca_id, std::move(cert));
    ca_envs_.insert_or_assign(c.ca_id, e);
    if (!c.active) continue;
    if (c.role == kRoot) root = &c;
    else if (c.role == kIssuing && !c.sealed_private_key.empty()) issuing = &c;
    else if (c.role == kOcsp && !c.sealed_private_key.empty()) ocsp = &c;
  }
  if (root == nullptr || issuing == nullptr || ocsp == nullptr) {
    return make_error(ErrorCode::kInternal, std::string("the ") + std::string(store::record_text::env_text(e)) +
                                                " CA hierarchy in the store is incomplete (root, issuing, ocsp)");
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

  EnvironmentCa& out = e == AppEnvironment::kSandbox ? sandbox_ : production_;
  out.issuing = std::make_unique<pki::IssuingCa>(pki::IssuingCa{issuing_cert, std::move(issuing_key), root_cert,
                                                                std::string(crypto::kDefaultSm2Id)});
  out.ocsp = std::make_unique<pki::OcspResponderConfig>(pki::OcspResponderConfig{
      issuing_cert, ocsp_cert, std::move(ocsp_key), std::chrono::seconds(config_.ocsp_validity_seconds),
      config_.ocsp_crl_sm2_id});
  out.root_id = root->ca_id;
  out.issuing_id = issuing->ca_id;
  out.ocsp_id = ocsp->ca_id;
  return Status::Ok();
}

std::string CertificateService::chain_pem(AppEnvironment e) const {
  if (!loaded_) return {};
  const EnvironmentCa& ca = env(e);
  return ca.issuing->certificate.pem() + ca.issuing->root.pem();
}

Result<pki::Certificate> CertificateService::ca_certificate(std::string_view ca_id) const {
  auto it = ca_certs_.find(ca_id);
  if (it == ca_certs_.end()) return make_error(ErrorCode::kNotFound, "no such CA");
  return it->second;
}

Result<AppEnvironment> CertificateService::ca_environment(std::string_view ca_id) const {
  auto it = ca_envs_.find(ca_id);
  if (it == ca_envs_.end()) return make_error(ErrorCode::kNotFound, "no such CA");
  return it->second;
}

VerifyTrust CertificateService::trust_for(AppEnvironment e) const {
  VerifyTrust trust;
  if (!loaded_) return trust;
  // Every CA certificate of the environment, active or not: a certificate
  // keeps the issuer it was issued by. Roots are the self-issued ones.
  std::vector<std::string> issuer_ids;
  for (const auto& [id, cert] : ca_certs_) {
    auto ce = ca_envs_.find(id);
    const bool own = ce != ca_envs_.end() && ce->second == e;
    const bool root = cert.subject() == cert.issuer();
    if (!own) {
      trust.distrusted.push_back(cert);
      continue;
    }
    if (root) trust.roots.push_back(cert);
    else if (cert.is_ca()) {
      trust.intermediates.push_back(cert);
      issuer_ids.push_back(id);
    }
  }
  trust.distrusted_reason =
      e == AppEnvironment::kProduction
          ? "the certificate was issued by the sandbox CA, which production verification does not trust (verify "
            "sandbox signatures with sandbox credentials)"
          : "the certificate was issued by the production CA, which sandbox verification does not trust (verify "
            "production signatures with production credentials)";
  // Revocation records of this environment's certificates only.
  trust.revocation = [&certs = stores_.certificates,
                      issuer_ids](const std::string& serial) -> std::optional<std::optional<int64_t>> {
    auto c = certs.find_certificate_by_serial(serial);
    if (!c.ok()) return std::nullopt;
    if (std::find(issuer_ids.begin(), issuer_ids.end(), c->issuer_id) == issuer_ids.end()) return std::nullopt;
    return std::optional<int64_t>(c->revoked_at);
  };
  return trust;
}

void CertificateService::invalidate_crl() {
  std::lock_guard<std::mutex> lock(crl_mu_);
  crl_cache_.clear();
}

Result<Bytes> CertificateService::crl_der(const store::WriteContext& write, std::string_view ca_id, UnixSeconds now,
                                          AppEnvironment e) {
  if (!loaded_) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  const EnvironmentCa& ca_env = env(e);
  if (ca_id != ca_env.issuing_id) return make_error(ErrorCode::kNotFound, "no CRL for this CA");
  std::lock_guard<std::mutex> lock(crl_mu_);
  auto it = crl_cache_.find(ca_id);
  if (it != crl_cache_.end() && now - it->second.built_at < config_.crl_refresh_seconds && now >= it->second.built_at) {
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
  pki::IssuingCa ca = *ca_env.issuing;
  ca.sm2_id = config_.ocsp_crl_sm2_id;
  pki::CrlParams params;
  params.crl_number = static_cast<uint64_t>(number);
  params.this_update = to_time(now);
  params.next_update_after = std::chrono::seconds(config_.crl_next_update_seconds);
  DUET_ASSIGN_OR_RETURN(Bytes der, pki::build_crl(ca, entries, params));
  crl_cache_[std::string(ca_id)] = CachedCrl{der, now, entries.size()};
  return der;
}

Result<size_t> CertificateService::refresh_crls(const store::WriteContext& write, UnixSeconds now) {
  if (!loaded_) return size_t{0};
  size_t rebuilt = 0;
  for (AppEnvironment e : {AppEnvironment::kProduction, AppEnvironment::kSandbox}) {
    const std::string& id = env(e).issuing_id;
    DUET_ASSIGN_OR_RETURN(auto revoked, stores_.certificates.list_revoked_certificates(id));
    {
      std::lock_guard<std::mutex> lock(crl_mu_);
      auto it = crl_cache_.find(id);
      bool stale = it == crl_cache_.end() || now - it->second.built_at >= config_.crl_refresh_seconds ||
                   it->second.revoked_count != revoked.size();
      if (!stale) continue;
      if (it != crl_cache_.end()) crl_cache_.erase(it);
    }
    DUET_TRY_STATUS(crl_der(write, id, now, e));
    ++rebuilt;
  }
  return rebuilt;
}

Result<Bytes> CertificateService::ocsp_response(ByteView request_der, UnixSeconds now, AppEnvironment e) {
  if (!loaded_) return make_error(ErrorCode::kUnavailable, "the CA is not ready");
  const EnvironmentCa& ca = env(e);
  auto lookup = [this, &ca](ByteView serial) -> Result<pki::StatusAnswer> {
    pki::StatusAnswer a;
    auto c = stores_.certificates.find_certificate_by_serial(to_hex(serial));
    if (!c.ok()) {
      if (c.code() == ErrorCode::kNotFound) return a;  // unknown
      return Unexpected{c.error()};
    }
    if (c->issuer_id != ca.issuing_id) return a;
    if (c->revoked) {
      a.status = pki::CertStatus::kRevoked;
      a.revoked_at = to_time(c->revoked_at.value_or(0));
      a.reason = static_cast<pki::RevocationReason>(c->revocation_reason);
    } else {
      a.status = pki::CertStatus::kGood;
    }
    return a;
  };
  return pki::ocsp_respond(*ca.ocsp, request_der, lookup, to_time(now));
}

}  // namespace duet::core
