// The two renderings of a PdfVerification: text for people, JSON for programs.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "base/base64.h"
#include "pdf/pdf_verifier.h"

namespace duet::pdf {
namespace {

std::string rfc3339(pki::Time t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss<seconds> hms(t - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

const char* yes_no(bool b) { return b ? "yes" : "NO"; }

std::string revocation_text(const RevocationStatus& r) {
  using State = RevocationStatus::State;
  std::string out;
  switch (r.state) {
    case State::kGood:
      out = "good";
      break;
    case State::kRevoked:
      out = "REVOKED";
      if (r.revoked_at) out += " at " + rfc3339(*r.revoked_at);
      if (!r.reason.empty()) out += " (" + r.reason + ")";
      break;
    case State::kUnknown:
      out = "unknown to the CA";
      break;
    case State::kNotChecked:
      out = "not checked";
      break;
  }
  if (!r.source.empty()) out += r.state == State::kNotChecked ? ": " + r.source : ", from " + r.source;
  return out;
}

}  // namespace

std::string verification_text(const PdfVerification& v) {
  std::string out;
  out += "PDF of " + std::to_string(v.file_size) + " bytes, " + std::to_string(v.signatures.size()) + " signature" +
         (v.signatures.size() == 1 ? "" : "s") + ": " + (v.ok() ? "VALID" : "NOT VALID") + "\n";
  if (v.signatures.empty()) out += "  the document is not signed\n";
  int n = 0;
  for (const SignatureReport& s : v.signatures) {
    out += "\nSignature " + std::to_string(++n) + " (field \"" + s.field_name + "\"): " + (s.ok() ? "valid" : "NOT VALID") +
           "\n";
    out += "  type:            " + s.sub_filter +
           (s.docmdp_permission ? ", certification (DocMDP P=" + std::to_string(*s.docmdp_permission) + ")" : "") + "\n";
    out += "  signer:          " + (s.signer_subject.empty() ? std::string("(unknown)") : s.signer_subject) + "\n";
    if (!s.signer_issuer.empty()) out += "  issuer:          " + s.signer_issuer + ", serial " + s.signer_serial + "\n";
    out += "  signing time:    " + (s.signing_time ? rfc3339(*s.signing_time) + " (/M, claimed by the signer)" : "(none)") + "\n";
    if (s.byte_range) {
      const ByteRange& b = *s.byte_range;
      out += "  byte range:      [" + std::to_string(b.offset1) + " " + std::to_string(b.length1) + " " +
             std::to_string(b.offset2) + " " + std::to_string(b.length2) + "], revision ends at " +
             std::to_string(s.revision_end) + "\n";
    }
    out += std::string("  covers revision: ") + yes_no(s.byte_range_ok) + "\n";
    out += std::string("  digest matches:  ") + yes_no(s.digest_matches) + "\n";
    out += std::string("  CMS verifies:    ") + yes_no(s.cms_ok) + " (SM2/SM3, chain to the trusted roots)\n";
    out += "  revocation:      " + revocation_text(s.revocation) + "\n";
    out += std::string("  whole file:      ") + (s.covers_whole_file ? "yes" : "no, later revisions follow") + "\n";
    for (const RevisionChange& c : s.later_changes) {
      out += std::string("  later change:    ") + (c.allowed ? "allowed: " : "MODIFICATION: ") + c.what + "\n";
    }
    for (const std::string& p : s.problems) out += "  problem:         " + p + "\n";
  }
  if (!v.signatures.empty() && !v.last_covers_whole_file) {
    out += "\nBytes were appended after the last signature: they are not covered by any signature.\n";
  }
  return out;
}

std::string verification_json(const PdfVerification& v) {
  nlohmann::json j;
  j["ok"] = v.ok();
  j["file_size"] = v.file_size;
  j["last_covers_whole_file"] = v.last_covers_whole_file;
  j["signatures"] = nlohmann::json::array();
  for (const SignatureReport& s : v.signatures) {
    nlohmann::json e;
    e["field"] = s.field_name;
    e["sub_filter"] = s.sub_filter;
    if (s.byte_range) {
      e["byte_range"] = {s.byte_range->offset1, s.byte_range->length1, s.byte_range->offset2, s.byte_range->length2};
    } else {
      e["byte_range"] = nullptr;
    }
    e["revision_end"] = s.revision_end;
    e["byte_range_ok"] = s.byte_range_ok;
    e["digest_matches"] = s.digest_matches;
    e["cms_ok"] = s.cms_ok;
    e["ok"] = s.ok();
    e["problems"] = s.problems;
    e["signer"] = {{"subject", s.signer_subject},
                   {"issuer", s.signer_issuer},
                   {"serial", s.signer_serial},
                   {"certificate", encode_base64(s.signer_certificate_der)}};
    e["signing_time"] = s.signing_time ? nlohmann::json(rfc3339(*s.signing_time)) : nlohmann::json(nullptr);
    e["cms_signing_time"] = s.cms_signing_time ? nlohmann::json(rfc3339(*s.cms_signing_time)) : nlohmann::json(nullptr);
    e["docmdp_permission"] = s.docmdp_permission ? nlohmann::json(*s.docmdp_permission) : nlohmann::json(nullptr);
    e["covers_whole_file"] = s.covers_whole_file;
    e["modified_after"] = s.modified_after;
    e["later_changes"] = nlohmann::json::array();
    for (const RevisionChange& c : s.later_changes) e["later_changes"].push_back({{"allowed", c.allowed}, {"what", c.what}});
    e["revocation"] = {
        {"status", std::string(revocation_state_name(s.revocation.state))},
        {"revoked_at", s.revocation.revoked_at ? nlohmann::json(rfc3339(*s.revocation.revoked_at)) : nlohmann::json(nullptr)},
        {"reason", s.revocation.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.revocation.reason)},
        {"source", s.revocation.source}};
    j["signatures"].push_back(std::move(e));
  }
  // `replace`: a field name with invalid UTF-8 must not make the dump throw.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace duet::pdf
