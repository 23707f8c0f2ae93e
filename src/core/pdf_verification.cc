#include "core/pdf_verification.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace duet::core {
namespace {

using State = pdf::RevocationStatus::State;

// The built-in CA answers only for the certificates it issued: a certificate
// of another issuer is "unknown" even if a serial happens to collide.
pdf::RevocationCheck built_in_ca_check(const VerifyTrust& trust) {
  return [&trust](const pki::Certificate& signer) -> pdf::RevocationStatus {
    const std::string source = "the built-in CA";
    auto issued_by = [&](const pki::Certificate& ca) { return ca.subject() == signer.issuer(); };
    bool ours = std::any_of(trust.intermediates.begin(), trust.intermediates.end(), issued_by) ||
                std::any_of(trust.roots.begin(), trust.roots.end(), issued_by);
    if (!ours) return {State::kUnknown, std::nullopt, "", source + " (not one of its certificates)"};
    auto known = trust.revocation(signer.serial_hex());
    if (!known) return {State::kUnknown, std::nullopt, "", source};
    if (!known->has_value()) return {State::kGood, std::nullopt, "", source};
    return {State::kRevoked, pki::Time(std::chrono::seconds(**known)), "", source};
  };
}

}  // namespace

Result<pdf::PdfVerification> verify_pdf_document(ByteView pdf, const VerifyTrust& trust, size_t max_bytes,
                                                 const std::string& not_checked_because) {
  pki::CmsTrust cms_trust;
  cms_trust.intermediates = trust.intermediates;
  cms_trust.roots = trust.roots;
  pdf::VerifyOptions options;
  options.max_pdf_bytes = max_bytes;
  pdf::RevocationSource revocation;
  revocation.not_checked_because = not_checked_because;
  if (trust.revocation) revocation.check = built_in_ca_check(trust);
  DUET_ASSIGN_OR_RETURN(pdf::PdfVerification v, pdf::verify_pdf(pdf, cms_trust, options, revocation));
  // A signer of the other environment's CA: the chain failed as any
  // stranger's; the report says why (docs/pki.md "The sandbox CA").
  for (auto& sig : v.signatures) {
    if (sig.cms_ok || sig.signer_issuer.empty()) continue;
    if (std::string why = trust.distrust_reason_for(sig.signer_issuer); !why.empty()) sig.problems.push_back(why);
  }
  return v;
}

std::string pdf_verification_json(const pdf::PdfVerification& v) {
  nlohmann::json j = nlohmann::json::parse(pdf::verification_json(v));
  j["format"] = "pdf";
  j["valid"] = v.ok();
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace duet::core
