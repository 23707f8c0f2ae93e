// PDF verification for relying parties (issue 12 item 4; docs/pdf.md
// "Verification report"): POST /api/v1/verify with a PDF and
// `duet verify --pdf` share this. Every signature is checked by
// pdf::verify_pdf against the trust anchors of `trust`; the revocation state
// of each signer certificate is asked of `trust.revocation` (the built-in CA's
// records) when the certificate was issued by one of the trusted CAs.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "core/verification.h"
#include "pdf/pdf_verifier.h"

namespace duet::core {

// The document errors of pdf/pdf_document.h only (payload_too_large over
// `max_bytes`, not_pdf, pdf_encrypted, pdf_malformed); every finding about a
// signature is in the report. Without `trust.revocation` each signature says
// "not checked" with `not_checked_because`.
Result<pdf::PdfVerification> verify_pdf_document(ByteView pdf, const VerifyTrust& trust, size_t max_bytes,
                                                 const std::string& not_checked_because);

// The report as POST /api/v1/verify answers it (and `duet verify --pdf
// --json`): pdf::verification_json with "format": "pdf" and "valid" (= ok),
// the field the signature verdicts of the same route carry.
std::string pdf_verification_json(const pdf::PdfVerification& v);

}  // namespace duet::core
