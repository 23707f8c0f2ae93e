// CMS SignedData (RFC 5652 / GM/T 0010) for a holder signature produced by an
// ExternalSigner: the signed attributes are built and DER-encoded here, their
// SM2 signature comes from outside, and nothing ever holds the holder's key.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"
#include "pki/certificate.h"
#include "pki/external_signer.h"
#include "pki/pki_time.h"

namespace duet::pki {

enum class CmsOids {
  kPkcs7,    // id-signedData 1.2.840.113549.1.7.2, id-data 1.2.840.113549.1.7.1
  kGmT0010,  // signedData 1.2.156.10197.6.1.4.2.2, data 1.2.156.10197.6.1.4.2.1
};

struct CmsSignOptions {
  bool detached = true;
  CmsOids oids = CmsOids::kPkcs7;
  std::optional<Time> signing_time;  // default: now
  // PAdES baseline (ETSI EN 319 142-1 §5.2.1, /SubFilter ETSI.CAdES.detached)
  // forbids the signingTime attribute: the time is the signature dictionary's
  // /M (or a timestamp). False leaves it out; signing_time is then unused.
  bool signing_time_attribute = true;
  std::string sm2_id = std::string(crypto::kDefaultSm2Id);
  // When set, receives DER(SET OF signed attributes) before the signer is
  // called (what e covers; a device shows it to check messageDigest).
  Bytes* signed_attributes_out = nullptr;
  // eContentType (and the contentType attribute), dotted; empty: data (the
  // OID of `oids`). A time-stamp token's is id-ct-TSTInfo (pki/timestamp.h).
  std::string content_type_oid;
  // The signer's certificate in SignedData.certificates (a time-stamp
  // request may ask for a token without it).
  bool include_signer_certificate = true;
};

// DER ContentInfo with SignedData: digestAlgorithm SM3, signatureAlgorithm
// SM2-with-SM3, the signer's certificate, signed attributes contentType,
// signingTime, messageDigest (SM3 of the content) and signingCertificateV2
// (ESSCertIDv2 with the SM3 hash of the certificate). The signer signs
// e = SM3(Z_A ‖ DER(SET OF signed attributes)); the signature is checked
// before it is embedded. Attached unless options.detached.
Result<Bytes> cms_sign(ByteView content, const Certificate& signer_cert, const ExternalSigner& signer,
                       const CmsSignOptions& options = {});

// Detached SignedData from the SM3 digest of the content only (hybrid cloud:
// the document stays on the tenant's premises).
Result<Bytes> cms_sign_detached_digest(const crypto::Digest& content_sm3, const Certificate& signer_cert,
                                       const ExternalSigner& signer, const CmsSignOptions& options = {});

enum class CmsProblem {
  kWrongAlgorithm,          // digest not SM3 or signature not SM2-with-SM3
  kMissingAttribute,        // contentType, messageDigest or (when required) signingTime absent
  kContentTypeMismatch,     // contentType attribute != eContentType
  kMessageDigestMismatch,   // the content was changed
  kSignatureInvalid,        // the signed attributes were changed, or a wrong key
  kSigningCertMismatch,     // signingCertificateV2 absent or names another certificate
  kChainInvalid,            // the signer's certificate does not chain to a trusted root
};

struct CmsVerification {
  std::optional<Certificate> signer;
  std::optional<Time> signing_time;
  bool detached = false;
  CmsOids oids = CmsOids::kPkcs7;
  std::vector<CmsProblem> problems;
  std::vector<std::string> reasons;  // one line per problem

  bool ok() const { return problems.empty(); }
  bool has(CmsProblem p) const;
};

// What a verification requires beyond RFC 5652 itself.
struct CmsVerifyPolicy {
  // False for PAdES (ETSI.CAdES.detached) signatures, which carry no
  // signingTime attribute; when present it is still parsed and reported.
  bool signing_time_required = true;
};

struct CmsTrust {
  std::vector<Certificate> intermediates;
  std::vector<Certificate> roots;
  std::optional<Time> at;  // chain validation time; default: signingTime, else now
};

// Verifies a DER SignedData with one SignerInfo: the SM2 signature over the
// signed attributes with `sm2_id` (OpenSSL 3.0's CMS_verify cannot take an
// SM2 ID, so this is done with crypto::sm2_verify_digest), messageDigest
// against the content (attached, or `detached_content` — or its SM3 digest),
// contentType, signingCertificateV2, and the chain to `trust.roots`.
// Malformed input is an error (kBadEncoding); a well-formed but failing
// signature is a verdict listing every problem found.
Result<CmsVerification> verify_cms(ByteView der, std::optional<ByteView> detached_content, const CmsTrust& trust,
                                   std::string_view sm2_id = crypto::kDefaultSm2Id,
                                   const CmsVerifyPolicy& policy = {});
Result<CmsVerification> verify_cms_detached_digest(ByteView der, const crypto::Digest& content_sm3,
                                                   const CmsTrust& trust,
                                                   std::string_view sm2_id = crypto::kDefaultSm2Id,
                                                   const CmsVerifyPolicy& policy = {});

std::string_view cms_problem_name(CmsProblem p);

}  // namespace duet::pki
