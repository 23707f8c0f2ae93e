// The built-in CA in the service (docs/api/openapi.yaml enrollment, issue 4): the CA
// hierarchy kept in the store with its private keys sealed by the KEK, the
// certificate request of a holder's key signed by the two-party protocol like
// any order (OrderKind::kCsr), issuance with pre-issuance lint, revocation
// (which shreds the service's key share), the CRL and the OCSP responder.
//
// Flow: request_certificate(holder) builds the PKCS#10 request of the holder's
// active key only to learn the digest e it must be signed over, and stores a
// kCsr order with that one digest item. The device signs it with the usual
// sessions/finish routes; HolderService::finish_signing, once (r, s) verified,
// calls issue_for_csr_order, which rebuilds the same request with that
// signature, verifies it, issues the certificate and stores it together with
// the order's completion (Store::finish_csr_order, one transaction). CSR
// orders are never metered, called back or listed to the business system.
//
// Two CAs (issue 14 item 1, docs/pki.md "The sandbox CA"): production's and
// the sandbox's, each a root, an issuing CA and an OCSP responder of its own.
// A holder's certificate comes from its environment's issuing CA (the
// holder's, which is its creating app's); a certificate keeps the issuer it
// was issued by. The sandbox CA's names and its holders' subjects carry
// kSandboxOrganizationalUnit; trust_for() gives each environment only its
// own anchors.
//
// Thread-safe after bootstrap(): the CA material is immutable, the CRL cache
// has its own lock.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/contexts.h"
#include "base/bytes.h"
#include "core/core_deps.h"
#include "core/verification.h"
#include "store/tenants.h"
#include "store/holders.h"
#include "store/orders.h"
#include "store/certificates.h"
#include "store/ca_material.h"
#include "crypto/sm2.h"
#include "keys/data_protector.h"
#include "pki/ca.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/ocsp.h"

namespace duet::core {

// [pki] settings (duetd fills them from its TOML config; see docs/configuration.md).
struct PkiConfig {
  std::string subject_organization = "Duet";  // O of holder certificates (empty: none)
  std::string subject_country = "CN";         // C of holder certificates (empty: none)
  int64_t validity_days = 365;                // holder certificate lifetime
  // certificatePolicies of holder certificates; the default is a placeholder
  // under the private-enterprise arc, to be replaced by the operator's OID.
  std::string policy_oid = "1.3.6.1.4.1.99999.1.2.1";
  // Empty: derived from CoreConfig::public_url: <public_url>/pki/crl/<ca_id>.crl,
  // <public_url>/pki/ocsp, <public_url>/pki/ca/<ca_id>.cer.
  std::string base_url;
  int64_t crl_refresh_seconds = 3600;        // a cached CRL older than this is rebuilt
  int64_t crl_next_update_seconds = 86400;   // nextUpdate - thisUpdate of each CRL
  int64_t ocsp_validity_seconds = 86400;     // nextUpdate - thisUpdate of each OCSP answer
  int64_t csr_order_ttl_seconds = 86400;     // how long a certificate request waits for the holder
  // The SM2 ID of CRL and OCSP signatures. The standard one by default;
  // "" for OpenSSL 3.0 clients (`openssl crl -verify`, `openssl ocsp`), which
  // verify those signatures with an empty ID only.
  std::string ocsp_crl_sm2_id = std::string(crypto::kDefaultSm2Id);
  // CA import at first start (all three set, or none): PEM file paths of the
  // root certificate, the issuing CA certificate and its PKCS#8 private key.
  // When the store has no CA yet, this issuing CA is imported
  // (pki::import_issuing_ca, its key sealed by the KEK like a created one; the
  // root key is never needed) and an OCSP responder certificate is issued
  // under it. Ignored once the store holds a CA.
  std::string import_root_cert;
  std::string import_issuing_cert;
  std::string import_issuing_key;
  // TSTInfo.policy of the time-stamping unit's tokens (core/timestamp_service.h);
  // a placeholder under the private-enterprise arc like policy_oid.
  std::string tsa_policy_oid = "1.3.6.1.4.1.99999.1.3.1";
};

// The OU of every sandbox CA certificate and of every holder certificate the
// sandbox CA issues: what a relying party sees to tell a test certificate
// from a real one (production certificates carry no OU).
inline constexpr std::string_view kSandboxOrganizationalUnit = "Sandbox 测试 (not for production use)";

// The path under the public URL where an environment's CA files are served:
// "/pki" (production) or "/pki/sandbox" (ca/, crl/, ocsp below it).
std::string_view pki_path(store::AppEnvironment environment);

// An issued certificate as the APIs show it.
struct CertificateView {
  store::Certificate record;
  std::string certificate_pem;
  std::string chain_pem;  // issuing CA then root, PEM
};

// RFC 5280 CRLReason by name ("keyCompromise", …) or number ("1"); nullopt if unknown.
std::optional<int> revocation_reason_from_name(std::string_view name);
std::string_view revocation_reason_name(int reason);

class CertificateService {
 public:
  // The store areas the service uses (the daemon passes its one store::Store).
  struct Stores {
    store::TenantStore& tenants;
    store::HolderStore& holders;
    store::OrderStore& orders;
    store::CertificateStore& certificates;
    store::CaStore& cas;
    explicit Stores(store::Store& s) : tenants(s), holders(s), orders(s), certificates(s), cas(s) {}
  };

  CertificateService(CoreDeps deps, keys::Kek& kek, PkiConfig config);
  ~CertificateService();
  CertificateService(const CertificateService&) = delete;
  CertificateService& operator=(const CertificateService&) = delete;

  // Loads the active CA hierarchy of each environment from the store (keys
  // unwrapped by the KEK), or creates one (root, issuing CA, OCSP
  // responder), seals the keys with the KEK ("ca_key:<ca_id>") and stores
  // it: production's imported instead when the import settings are given;
  // the sandbox's always created (a store from before v31 gets it at its
  // first start after the upgrade). Call once before serving.
  Status bootstrap(UnixSeconds now);
  bool ready() const { return loaded_; }

  // Production's CA (the time-stamping unit, and the default of the overloads).
  const std::string& issuing_ca_id() const { return production_.issuing_id; }
  const std::string& root_ca_id() const { return production_.root_id; }
  const std::string& ocsp_ca_id() const { return production_.ocsp_id; }  // the OCSP responder's certificate
  const std::string& issuing_ca_id(store::AppEnvironment e) const { return env(e).issuing_id; }
  const std::string& root_ca_id(store::AppEnvironment e) const { return env(e).root_id; }
  const std::string& ocsp_ca_id(store::AppEnvironment e) const { return env(e).ocsp_id; }
  // Production's active issuing CA with its key (null before bootstrap): for
  // the services that certify their own keys (the time-stamping unit).
  const pki::IssuingCa* issuing_ca() const { return production_.issuing.get(); }
  // Issuing CA then root, PEM (production's, or the environment's).
  std::string chain_pem(store::AppEnvironment e = store::AppEnvironment::kProduction) const;
  // A CA certificate (any role, active or not) by id; kNotFound.
  Result<pki::Certificate> ca_certificate(std::string_view ca_id) const;
  // The environment of a CA by id; kNotFound.
  Result<store::AppEnvironment> ca_environment(std::string_view ca_id) const;
  // What POST /api/v1/verify trusts for a caller of `e`: that environment's
  // issuing CAs and roots only, the revocation records of the certificates
  // they issued, and the other environment's CAs as `distrusted` with the
  // reason a relying party reads (docs/pki.md "The sandbox CA").
  VerifyTrust trust_for(store::AppEnvironment e) const;

  // The kCsr order for the holder's active key (an open one is returned again).
  // kConflict when the holder has no active key or (unless `renewal`) the key
  // already has a valid certificate. With `renewal` (the business system's
  // POST /api/v1/holders/{id}/certificates/renew) a new certificate of the same
  // key is requested; the previous one stays valid until it expires.
  // *replayed (if given) tells whether an open request was returned.
  // Also retries supersede_stale_certificates for the holder. kConsentRequired
  // (nothing requested) until the holder has accepted the current agreement
  // texts (core/consent.h).
  Result<store::SignOrder> request_certificate(const HolderContext& ctx, bool* replayed = nullptr,
                                               bool renewal = false);

  // Re-key: revokes (reason superseded) every still-good certificate of the
  // holder whose key is not `active_key_id` (keys revoked by
  // Store::complete_activation). The keys and device tokens are left as they
  // are. Idempotent: a certificate revoked meanwhile is skipped; called right
  // after complete_activation and again at the holder's next certificate
  // request (request_certificate), so a failure is retried. Returns how many
  // certificates it revoked.
  Result<size_t> supersede_stale_certificates(const store::WriteContext& write, const std::string& tenant_id,
                                              const std::string& holder_id, const std::string& active_key_id,
                                              UnixSeconds now);

  // Called by HolderService::finish_signing for a kCsr order whose (r, s)
  // verified: issues the certificate and finishes the order with it in one
  // transaction. `signature` is the verified signature over the order's e.
  Result<CertificateView> issue_for_csr_order(const store::WriteContext& write, const store::SignOrder& order,
                                              const std::string& session_id, const crypto::Sm2Signature& signature,
                                              const Bytes& raw_signature, UnixSeconds now);

  // The newest unrevoked certificate of the holder's active key; kNotFound.
  Result<CertificateView> current_certificate(const HolderContext& ctx);
  // The certificate issued for `key_id` (newest); kNotFound.
  Result<CertificateView> certificate_for_key(const std::string& tenant_id, const std::string& holder_id,
                                              const std::string& key_id);
  // Every certificate of a holder, newest first (kNotFound for an unknown holder).
  Result<std::vector<CertificateView>> list_certificates(const std::string& tenant_id, const std::string& holder_id);

  // Revokes a certificate of the holder and shreds its key share (and signs
  // the holder's devices out). reason: RFC 5280 CRLReason 0-5, 9, 10
  // (certificateHold is refused: revocation here is permanent).
  Result<CertificateView> revoke(const store::WriteContext& write, const std::string& tenant_id,
                                 const std::string& holder_id, const std::string& cert_id, int reason, UnixSeconds now);
  // The holder revokes its own current certificate (lost device): keyCompromise.
  // Without a certificate, the active key alone is revoked.
  Status revoke_own(const HolderContext& ctx, UnixSeconds now);

  // DER CRL of an issuing CA of `e` (kNotFound for any other id), cached and
  // rebuilt after a revocation or when older than crl_refresh_seconds.
  Result<Bytes> crl_der(const store::WriteContext& write, std::string_view ca_id, UnixSeconds now,
                        store::AppEnvironment e = store::AppEnvironment::kProduction);
  // Rebuilds stale CRLs (the worker's tick): older than crl_refresh_seconds,
  // or listing fewer revocations than the store now holds (a revocation made
  // through another node). Returns how many were rebuilt.
  Result<size_t> refresh_crls(const store::WriteContext& write, UnixSeconds now);
  // Forgets the cached CRLs (after a revocation, possibly by another node).
  void invalidate_crl();

  // RFC 6960: DER OCSPRequest in, DER OCSPResponse out (always an answer;
  // malformedRequest / internalError inside it when needed). Each
  // environment's responder answers for its own issuing CA's certificates
  // ("unknown" for the other's).
  Result<Bytes> ocsp_response(ByteView request_der, UnixSeconds now,
                              store::AppEnvironment e = store::AppEnvironment::kProduction);

  const PkiConfig& config() const { return config_; }

 private:
  // What a new certificate of the holder says about the person: the subject
  // (CN = full name, serialNumber = pseudonym) and, under the tenant's
  // gmt0015 identity policy, the resident ID number for the GM/T 0015
  // extension (empty otherwise). Personal data: never logged, never stored
  // anywhere but in the certificate.
  struct Subject {
    pki::DistinguishedName dn;
    std::string identify_code;
    // The holder's ID number without its type (empty once purged), for the
    // lint to refuse it anywhere but in the identity-code extension.
    std::string id_number;
    Subject() = default;
    Subject(Subject&&) = default;
    Subject(const Subject&) = delete;
    Subject& operator=(const Subject&) = delete;
    Subject& operator=(Subject&&) = default;
    ~Subject() {
      secure_wipe(dn.common_name.data(), dn.common_name.size());
      secure_wipe(identify_code.data(), identify_code.size());
      secure_wipe(id_number.data(), id_number.size());
    }
  };
  Result<Subject> subject_for(const store::Holder& holder);
  // X.520 ub-common-name, in characters (UTF-8 code points).
  static constexpr size_t kMaxCommonNameChars = 64;
  Result<CertificateView> view(store::Certificate c) const;
  std::string base_url() const;
  // One environment's CA as loaded (certificate_service_ca.cc).
  struct EnvironmentCa {
    std::string root_id, issuing_id, ocsp_id;
    std::unique_ptr<pki::IssuingCa> issuing;
    std::unique_ptr<pki::OcspResponderConfig> ocsp;
  };
  const EnvironmentCa& env(store::AppEnvironment e) const {
    return e == store::AppEnvironment::kSandbox ? sandbox_ : production_;
  }
  Status load(const std::vector<store::CaRecord>& cas, store::AppEnvironment e);
  Status create_hierarchy(UnixSeconds now, store::AppEnvironment e);
  Status import_hierarchy(UnixSeconds now);
  Status store_ca_records(UnixSeconds now, store::AppEnvironment e, const pki::Certificate& root,
                          const crypto::Scalar* root_key, const pki::IssuingCa& issuing,
                          const pki::Certificate& ocsp_cert, const crypto::Scalar& ocsp_key);
  std::string organization() const;

  ServiceDeps deps_;  // everything but the store
  Stores stores_;
  keys::Kek& kek_;
  PkiConfig config_;
  bool loaded_ = false;
  EnvironmentCa production_, sandbox_;
  std::map<std::string, pki::Certificate, std::less<>> ca_certs_;  // every CA by id
  std::map<std::string, store::AppEnvironment, std::less<>> ca_envs_;  // and its environment

  struct CachedCrl {
    Bytes der;
    UnixSeconds built_at = 0;
    size_t revoked_count = 0;
  };
  std::mutex crl_mu_;
  std::map<std::string, CachedCrl, std::less<>> crl_cache_;  // emptied by invalidate_crl
};

}  // namespace duet::core
