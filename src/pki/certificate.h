// Certificate: an owned, parsed X.509 certificate (RAII over OpenSSL's X509),
// with its DER/PEM forms and the few fields the service reads; chain
// verification with the SM2 distinguishing ID set on every certificate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/sm2.h"
#include "pki/pki_time.h"

typedef struct x509_st X509;

namespace duet::pki {

class Certificate {
 public:
  // Takes ownership of `cert` (must not be null).
  explicit Certificate(X509* cert);
  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&& other) noexcept;
  Certificate& operator=(Certificate&& other) noexcept;
  ~Certificate();

  // PEM ("-----BEGIN CERTIFICATE-----") or DER; trailing bytes are refused.
  static Result<Certificate> parse(ByteView pem_or_der);
  static Result<Certificate> parse(std::string_view pem) { return parse(as_bytes(pem)); }

  Bytes der() const;
  std::string pem() const;
  // The subject's SM2 public key; kBadPoint for any other key type.
  Result<crypto::Point> public_key() const;
  // RFC 2253 subject and issuer, e.g. "CN=Alice,O=Duet,C=CN".
  std::string subject() const;
  std::string issuer() const;
  // Serial number as lowercase hex of its big-endian magnitude.
  std::string serial_hex() const;
  Bytes serial_bytes() const;
  Time not_before() const;
  Time not_after() const;
  // basicConstraints CA:TRUE and keyUsage keyCertSign.
  bool is_ca() const;

  X509* raw() const { return x_; }

 private:
  X509* x_;
};

// Verifies `leaf` up to one of `roots` through `intermediates` at time `at`,
// with `sm2_id` set on every certificate first (OpenSSL 3.0 otherwise checks
// SM2 certificate signatures with an empty ID). kSignatureInvalid with
// OpenSSL's reason when the chain does not verify.
Status verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                    const std::vector<Certificate>& roots, Time at = now_seconds(),
                    std::string_view sm2_id = crypto::kDefaultSm2Id);

// Unencrypted PKCS#8 PEM of an SM2 private key, and back (for import/export of
// CA keys; the caller seals them).
Result<std::string> private_key_pem(const crypto::Scalar& key);
Result<crypto::Scalar> private_key_from_pem(std::string_view pem);

}  // namespace duet::pki
