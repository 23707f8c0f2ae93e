// The built-in time-stamping unit (RFC 3161, with RFC 5816's ESSCertIDv2) and
// signature timestamps (RFC 3161 Appendix A, PAdES B-T): a TimeStampToken is
// a CMS SignedData over a TSTInfo, signed SM2-with-SM3 with the GM/T default
// SM2 ID by a certificate whose only extended key usage is id-kp-timeStamping
// (critical). The TSTInfo and the TimeStampReq/TimeStampResp are OpenSSL's TS
// types; the signature is pki/cms.h's, so it carries the same SM2 ID as every
// other signature of the service (OpenSSL's own TS signer would use the empty
// ID, which GM verifiers reject).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sm3.h"
#include "pki/certificate.h"
#include "pki/cms.h"
#include "pki/external_signer.h"
#include "pki/pki_time.h"

namespace duet::pki {

// The hash algorithms a request's messageImprint may use.
enum class ImprintHash { kSm3, kSha256 };

// A TimeStampReq (RFC 3161 §2.4.1) as the TSA reads it.
struct TimestampRequest {
  ImprintHash hash = ImprintHash::kSm3;
  Bytes imprint;                 // the hashed message (32 bytes for both)
  std::optional<Bytes> nonce;    // INTEGER, big-endian magnitude, echoed back
  bool cert_req = false;         // include the TSA certificate in the token
  std::optional<std::string> policy_oid;  // reqPolicy, dotted
};

// kBadEncoding: not a DER TimeStampReq; kInvalidArgument (with the RFC's
// failure reason in the message) for a version other than 1, an unsupported
// hash algorithm or an imprint of the wrong length, or extensions (none are
// supported).
Result<TimestampRequest> parse_timestamp_request(ByteView der);

// A request for `imprint` (what a client such as the PDF signer sends).
Result<Bytes> encode_timestamp_request(const TimestampRequest& request);

// Who stamps: the TSA certificate (pki/issuer.h issue_tsa_certificate), the
// chain above it (included when the request asks for certificates), and the
// signer for its key.
struct TimestampAuthority {
  Certificate certificate;
  ExternalSigner signer;
  std::string policy_oid;  // the TSA policy (TSTInfo.policy), dotted
};

// A granted TimeStampResp: TSTInfo version 1, the authority's policy (a
// request naming another policy is refused instead), the request's imprint
// and nonce, `serial` (unique per TSA: the caller's), genTime = `now` to the
// second with an accuracy of 1 s, tsa = the certificate's subject. The
// token's SignedData has signed attributes contentType id-ct-TSTInfo,
// signingTime, messageDigest and signingCertificateV2.
Result<Bytes> issue_timestamp(const TimestampRequest& request, const TimestampAuthority& tsa, ByteView serial,
                              Time now);

// The PKIFailureInfo bits a rejection may carry (RFC 3161 §2.4.2).
enum class TimestampFailure { kBadAlg = 0, kBadRequest = 2, kBadDataFormat = 5, kUnacceptedPolicy = 15,
                              kUnacceptedExtension = 16, kSystemFailure = 25 };

// A TimeStampResp with status rejection, the failure bit and `text`.
Bytes timestamp_rejection(TimestampFailure failure, std::string_view text);

// What a token says and whether it holds.
struct TimestampVerification {
  Time gen_time{};
  Bytes serial;
  std::string policy_oid;
  std::optional<Certificate> tsa;
  bool imprint_matches = false;
  CmsVerification cms;  // signature, ESSCertIDv2 and chain of the token
  std::vector<std::string> problems;  // empty: valid
  bool ok() const { return problems.empty(); }
};

// Verifies a TimeStampToken (a DER ContentInfo) against the imprint it must
// carry (`expected_imprint`, hashed with `hash`): the CMS signature with the
// SM2 ID, eContentType id-ct-TSTInfo, the signer's certificate has the
// timeStamping key usage and chains to `trust.roots` at genTime. Malformed
// input is kBadEncoding; a well-formed token that fails is a verdict.
Result<TimestampVerification> verify_timestamp_token(ByteView token_der, ImprintHash hash, ByteView expected_imprint,
                                                     const CmsTrust& trust);

// Reads a TimeStampResp: the token when granted, else kUnavailable with the
// status text (what a client of a TSA does with the answer).
Result<Bytes> timestamp_token_of_response(ByteView response_der);

// --- signature timestamps (RFC 3161 Appendix A; PAdES B-T) -----------------
// The imprint a signature timestamp covers: SM3 of the SignerInfo's signature
// value (the OCTET STRING's contents) of a one-signer SignedData.
Result<crypto::Digest> signature_timestamp_imprint(ByteView cms_der);

// The SignedData with `token_der` added as the unsigned attribute
// id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14) of its one
// SignerInfo. Nothing signed changes: the signature stays valid. Refused
// (kInvalidArgument) if the token's imprint is not the signature's.
Result<Bytes> add_signature_timestamp(ByteView cms_der, ByteView token_der);

// The signature timestamp tokens of a one-signer SignedData (none: empty).
Result<std::vector<Bytes>> signature_timestamps(ByteView cms_der);

}  // namespace duet::pki
