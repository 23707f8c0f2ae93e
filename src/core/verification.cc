#include "core/verification.h"

#include "crypto/scalar.h"
#include "pki/cms.h"

namespace duet::core {
namespace {

int64_t to_unix(pki::Time t) { return t.time_since_epoch().count(); }

void check_certificate(const pki::Certificate& cert, const VerifyTrust& trust, std::optional<int64_t> at,
                       VerifyOutcome& out, bool chain_already_checked, bool chain_result) {
  out.signer_serial = cert.serial_hex();
  out.signer_subject = cert.subject();
  pki::Time when = at ? pki::Time(std::chrono::seconds(*at)) : pki::now_seconds();
  // Validity gets its own reason, before (and besides) the chain check.
  if (when > cert.not_after()) {
    out.reasons.push_back("the certificate had expired at the " + std::string(at ? "signing" : "verification") +
                          " time (notAfter " + std::to_string(to_unix(cert.not_after())) + ")");
  } else if (when < cert.not_before()) {
    out.reasons.push_back("the certificate was not yet valid at the " +
                          std::string(at ? "signing" : "verification") + " time");
  }
  if (chain_already_checked) {
    out.chain_ok = chain_result;
  } else {
    auto st = pki::verify_chain(cert, trust.intermediates, trust.roots, when);
    out.chain_ok = st.ok();
    if (!st.ok()) out.reasons.push_back("the certificate does not chain to a trusted CA: " + st.error().message);
  }
  if (out.chain_ok == false) {
    if (std::string why = trust.distrust_reason_for(cert.issuer()); !why.empty()) out.reasons.push_back(why);
  }
  if (!trust.revocation) return;
  auto known = trust.revocation(cert.serial_hex());
  if (!known) return;  // not ours: unknown
  if (!known->has_value()) {
    out.revoked_at_signing_time = "false";
    return;
  }
  int64_t revoked_at = **known;
  if (!at) {
    out.revoked_at_signing_time = "unknown";
    out.reasons.push_back("the certificate is revoked and the signature carries no signing time");
    return;
  }
  out.revoked_at_signing_time = *at >= revoked_at ? "true" : "false";
  if (*at >= revoked_at) out.reasons.push_back("the certificate was revoked at the signing time");
}

}  // namespace

Result<VerifyOutcome> verify_signature(const VerifyRequest& in, const VerifyTrust& trust) {
  if (in.data.has_value() && in.digest.has_value()) {
    return make_error(ErrorCode::kInvalidArgument, "give one of data and digest, not both");
  }
  if (!in.data && !in.digest && in.format != "cms") {
    return make_error(ErrorCode::kInvalidArgument, "raw and der signatures need the data or the digest");
  }
  VerifyOutcome out;
  if (in.format == "cms") {
    pki::CmsTrust ct;
    ct.intermediates = trust.intermediates;
    ct.roots = trust.roots;
    Result<pki::CmsVerification> v =
        in.digest ? pki::verify_cms_detached_digest(in.signature, *in.digest, ct)
                  : pki::verify_cms(in.signature, in.data ? std::optional<ByteView>(ByteView(*in.data)) : std::nullopt, ct);
    if (!v.ok()) {
      // A detached SignedData given without content reads as "no content": say so.
      return make_error(v.code(), "the CMS signature does not parse: " + v.error().message);
    }
    if (v->signing_time) out.signing_time = to_unix(*v->signing_time);
    bool chain_ok = !v->has(pki::CmsProblem::kChainInvalid);
    for (size_t i = 0; i < v->problems.size(); ++i) {
      out.reasons.push_back(i < v->reasons.size() ? v->reasons[i] : std::string(pki::cms_problem_name(v->problems[i])));
    }
    if (v->signer) {
      if (in.certificate && in.certificate->der() != v->signer->der()) {
        out.reasons.push_back("the CMS signer is not the certificate given");
      }
      check_certificate(*v->signer, trust, out.signing_time, out, true, chain_ok);
    } else {
      out.reasons.push_back("the CMS carries no signer certificate");
    }
    out.valid = out.reasons.empty();
    return out;
  }
  if (in.format != "raw" && in.format != "der") {
    return make_error(ErrorCode::kInvalidArgument, "format must be raw, der or cms");
  }
  std::optional<crypto::Point> pub = in.public_key;
  if (in.certificate) {
    DUET_ASSIGN_OR_RETURN(crypto::Point cp, in.certificate->public_key());
    if (pub && pub->to_hex() != cp.to_hex()) {
      return make_error(ErrorCode::kInvalidArgument, "public_key is not the certificate's key");
    }
    pub = cp;
  }
  if (!pub) return make_error(ErrorCode::kInvalidArgument, "raw and der signatures need public_key or a certificate");
  crypto::Sm2Signature sig;
  if (in.format == "raw") {
    if (in.signature.size() != 64) return make_error(ErrorCode::kBadEncoding, "a raw signature is 64 bytes (r‖s)");
    auto r = crypto::Scalar::from_bytes(ByteView(in.signature).subspan(0, 32));
    auto s = crypto::Scalar::from_bytes(ByteView(in.signature).subspan(32, 32));
    if (!r.ok() || !s.ok()) return make_error(ErrorCode::kBadEncoding, "a raw signature is 64 bytes (r‖s)");
    sig = crypto::Sm2Signature{*r, *s};
  } else {
    auto d = crypto::Sm2Signature::from_der(in.signature);
    if (!d.ok()) return make_error(ErrorCode::kBadEncoding, "the signature is not DER SEQUENCE{r, s}");
    sig = *d;
  }
  crypto::Digest e{};
  if (in.digest) {
    e = *in.digest;
  } else {
    DUET_ASSIGN_OR_RETURN(e, crypto::sm2_digest(*pub, *in.data));
  }
  Status st = crypto::sm2_verify_digest(*pub, e, sig);
  if (!st.ok()) out.reasons.push_back("the signature does not verify under the key");
  if (in.certificate) check_certificate(*in.certificate, trust, std::nullopt, out, false, false);
  out.valid = out.reasons.empty();
  return out;
}

}  // namespace duet::core
