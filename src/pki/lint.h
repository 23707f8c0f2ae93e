// Pre-issuance lint: every to-be-signed holder certificate is checked against
// the CA's rules before the CA signs it, and refused (kInvalidArgument with
// the reason) when it does not match.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "pki/serial.h"

typedef struct x509_st X509;

namespace duet::pki {

// The CA's rules for holder certificates.
struct IssuancePolicy {
  // certificatePolicies must contain exactly this policy OID (dotted).
  std::string policy_oid;
  // Longest allowed validity (notAfter - notBefore).
  std::chrono::seconds max_validity = std::chrono::days(3 * 366);
  // Uniqueness of the serial among this CA's certificates (may be empty in
  // tests that do not track serials).
  SerialIsUnused serial_is_unused;
  // The subject CN the issuing service meant to write (the holder's full
  // name). When set, the certificate's CN must equal it octet for octet; the
  // certificate service always sets it (empty only in tests of other rules).
  std::string expected_common_name;
  // The tenant's certificate identity policy. Empty ("none"): the GM/T 0015
  // IdentifyCode extension (pki/identify_code.h) must be absent. Set
  // ("gmt0015"): the extension must be present once, non-critical, and be
  // exactly encode_identify_code(expected_identify_code) — the one place a
  // raw resident ID number may appear.
  std::string expected_identify_code;
  // The holder's own ID number, of whatever type (resident ID, passport, …),
  // without the type. When it has at least kMinLiteralIdNumber characters it
  // must not occur (ASCII case-insensitively) anywhere in the to-be-signed
  // certificate outside the allowed IdentifyCode extension: this catches the
  // numbers looks_like_resident_id cannot recognise by shape. (Shorter
  // numbers could match the pseudonym's hex or a URL by chance and then the
  // holder could never be certified.)
  std::string holder_id_number;
  // The subject OU the issuing service meant to write: the environment
  // marker of sandbox certificates (core/certificate_service.h), "" for
  // production certificates, which carry no OU. When set, the certificate's
  // OU must equal it octet for octet (absent for ""), and a non-empty one
  // must also be the issuer's OU: a certificate marked for the sandbox comes
  // only from a CA marked the same. nullopt: not checked (tests of other rules).
  std::optional<std::string> expected_organizational_unit;
};

inline constexpr size_t kMinLiteralIdNumber = 8;

// Checks `tbs` (not yet signed) issued by `issuer`:
//  - v3; SM2 public key;
//  - serial positive, 8..20 octets (>= 64 bits), unused;
//  - validity ordered, inside the issuer's, at most max_validity;
//  - subject CN and serialNumber present, CN = expected_common_name (if
//    set), C two letters if present; OU = expected_organizational_unit (if
//    set) and, when that is non-empty, the issuer's OU the same;
//  - no raw PRC resident ID number (15 digits, or 17 digits + check character
//    with a valid ISO 7064 MOD 11-2 check) anywhere in the to-be-signed
//    certificate, except inside the IdentifyCode extension that
//    expected_identify_code allows; that extension absent otherwise; nor
//    the holder's own number (holder_id_number) there, whatever its shape;
//  - issuer name = the issuer's subject;
//  - keyUsage critical = digitalSignature + nonRepudiation exactly;
//    basicConstraints CA:FALSE; SKI; AKI = the issuer's SKI; CRL distribution
//    point with a URI; AIA with an OCSP URI; certificatePolicies = policy_oid;
//    no unknown critical extension.
Status lint_certificate(X509* tbs, X509* issuer, const IssuancePolicy& policy);

// True if `value` contains something shaped like a raw PRC resident ID number.
bool looks_like_resident_id(std::string_view value);

}  // namespace duet::pki
