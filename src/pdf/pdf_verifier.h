// Verification of every signature in a PDF: the ByteRange (covers its whole
// revision except /Contents), the digest, the CMS (SM2 with the ID, the chain
// to the caller's trust anchors), the signer, /M, the signer certificate's
// revocation state (asked of the caller's RevocationCheck) and what the later
// revisions changed. A report for people and one for programs (JSON).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/sm2.h"
#include "pdf/pdf_document.h"
#include "pdf/pdf_signer.h"
#include "pki/cms.h"
#include "pki/pki_time.h"

namespace duet::pdf {

// The revocation state of one signer certificate, as its CA answered it.
struct RevocationStatus {
  enum class State {
    kNotChecked,  // no revocation source was asked (e.g. offline)
    kGood,        // the CA knows the certificate and it is not revoked
    kRevoked,     // revoked at `revoked_at`: the signature is not valid
    kUnknown,     // the source does not know the certificate
  };
  State state = State::kNotChecked;
  std::optional<pki::Time> revoked_at;  // kRevoked
  std::string reason;                   // kRevoked: the RFC 5280 reason name, may be empty
  std::string source;                   // who answered, or why nobody was asked
};

// Asked once per signature that carries a signer certificate. Runs after the
// CMS checks, whether they passed or not.
using RevocationCheck = std::function<RevocationStatus(const pki::Certificate& signer)>;

std::string_view revocation_state_name(RevocationStatus::State s);  // "not_checked", "good", "revoked", "unknown"

// Where revocation is asked. Without `check` every signature reports
// kNotChecked with `not_checked_because` as its source.
struct RevocationSource {
  RevocationCheck check;
  std::string not_checked_because = "no revocation source was given";
};

struct VerifyOptions {
  size_t max_pdf_bytes = kDefaultMaxPdfBytes;
  std::string sm2_id = std::string(crypto::kDefaultSm2Id);
};

struct RevisionChange {
  bool allowed = false;
  std::string what;  // names objects and keys, never document text
};

struct SignatureReport {
  std::string field_name;
  std::string sub_filter;  // as written, e.g. "ETSI.CAdES.detached"
  std::optional<ByteRange> byte_range;
  uint64_t revision_end = 0;  // offset2 + length2: where the signed revision ends
  // ByteRange starts at 0, its gap is exactly this signature's /Contents hex
  // string, and it ends at the end of a revision (%%EOF).
  bool byte_range_ok = false;
  bool digest_matches = false;  // SM3 of the ranges = the CMS messageDigest
  bool cms_ok = false;          // every CMS check passed (signature, attributes, chain)
  std::vector<std::string> problems;  // one line each, for everything above that failed
  // The signer's certificate (from the CMS).
  std::string signer_subject;
  std::string signer_issuer;
  std::string signer_serial;
  Bytes signer_certificate_der;
  std::optional<pki::Time> signing_time;      // /M
  std::optional<pki::Time> cms_signing_time;  // the signingTime attribute (adbe.pkcs7.detached)
  std::optional<int> docmdp_permission;       // a certification signature's P (1, 2 or 3)
  bool covers_whole_file = false;
  std::vector<RevisionChange> later_changes;  // from the end of its revision to the end of the file
  bool modified_after = false;                // a later change that is not allowed
  // The signer certificate's revocation state. A revoked certificate makes the
  // signature invalid whatever /M says: /M is a claim of the signer, so it
  // cannot show that the signature predates the revocation.
  RevocationStatus revocation;

  bool ok() const {
    return byte_range_ok && digest_matches && cms_ok && !modified_after &&
           revocation.state != RevocationStatus::State::kRevoked;
  }
};

struct PdfVerification {
  uint64_t file_size = 0;
  std::vector<SignatureReport> signatures;  // in the order they were applied (by revision end)
  bool last_covers_whole_file = false;      // nothing was appended after the last signature

  // At least one signature, each ok, and the last covers the file.
  bool ok() const;
};

// Errors are the document errors of pdf_document.h only; every finding about
// a signature is in the report (a document without signatures is a report
// with none, and not ok()).
Result<PdfVerification> verify_pdf(ByteView pdf, const pki::CmsTrust& trust, const VerifyOptions& options = {},
                                   const RevocationSource& revocation = {});

// A report a person reads (English, one block per signature).
std::string verification_text(const PdfVerification& v);
// The same as JSON: {"ok", "file_size", "last_covers_whole_file",
// "signatures": [{"field", "sub_filter", "byte_range": [4 numbers], "revision_end",
// "byte_range_ok", "digest_matches", "cms_ok", "ok", "problems": [...],
// "signer": {"subject", "issuer", "serial", "certificate" (base64 DER)},
// "signing_time" (RFC 3339), "cms_signing_time", "docmdp_permission",
// "covers_whole_file", "modified_after", "later_changes": [{"allowed", "what"}],
// "revocation": {"status" (revocation_state_name), "revoked_at" (RFC 3339 or
// null), "reason" (or null), "source"}}]}.
std::string verification_json(const PdfVerification& v);

}  // namespace duet::pdf
