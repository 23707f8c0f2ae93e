#include "core/consent.h"

#include "base/bytes.h"
#include "core/agreements.h"

namespace duet::core {

std::string_view consent_channel_text(ConsentChannel c) {
  return c == ConsentChannel::kHolderApp ? "holder_app" : "business_system";
}

Result<std::vector<store::HolderConsent>> consent_records(const std::vector<GivenConsent>& given,
                                                          ConsentChannel channel, std::string_view tenant_id,
                                                          std::string_view holder_id, std::string_view attested_by,
                                                          store::UnixSeconds now) {
  std::vector<store::HolderConsent> out;
  for (size_t i = 0; i < given.size(); ++i) {
    const GivenConsent& g = given[i];
    std::string where = "consents[" + std::to_string(i) + "]";
    const AgreementText* text = find_agreement(g.document, g.version);
    if (text == nullptr) {
      if (current_agreement(g.document) == nullptr) {
        return make_error(ErrorCode::kInvalidArgument,
                          where + ".document must be subscriber_agreement or identity_check");
      }
      return make_error(ErrorCode::kInvalidArgument, where + ".version is not a version of " + g.document);
    }
    auto digest = from_hex_exact(g.text_sm3_hex, 32);
    if (!digest.ok()) return make_error(ErrorCode::kInvalidArgument, where + ".text_sm3 must be 64 hex digits");
    if (*digest != text->sm3) {
      return make_error(ErrorCode::kInvalidArgument,
                        where + ".text_sm3 is not the SM3 of " + g.document + " " + g.version);
    }
    for (const store::HolderConsent& earlier : out) {
      if (earlier.document == g.document) {
        return make_error(ErrorCode::kInvalidArgument, where + ".document " + g.document + " is named twice");
      }
    }
    store::HolderConsent k;
    k.tenant_id = std::string(tenant_id);
    k.holder_id = std::string(holder_id);
    k.document = g.document;
    k.version = g.version;
    k.text_sm3 = std::move(*digest);
    k.channel = std::string(consent_channel_text(channel));
    k.attested_by = std::string(attested_by);
    k.recorded_at = now;
    if (channel == ConsentChannel::kBusinessSystem) {
      if (!g.accepted_at) return make_error(ErrorCode::kInvalidArgument, where + ".accepted_at is required");
      if (*g.accepted_at < 1 || *g.accepted_at > now + kConsentClockSkewSeconds) {
        return make_error(ErrorCode::kInvalidArgument, where + ".accepted_at is not a past time");
      }
      k.accepted_at = *g.accepted_at;
    } else {
      if (g.accepted_at) {
        return make_error(ErrorCode::kInvalidArgument,
                          where + ".accepted_at is not taken from the holder app (the service records the time)");
      }
      k.accepted_at = now;
    }
    out.push_back(std::move(k));
  }
  return out;
}

std::vector<GivenConsent> accept_current_agreements(std::optional<store::UnixSeconds> accepted_at) {
  std::vector<GivenConsent> out;
  for (const AgreementText& t : agreement_texts())
    if (t.current) out.push_back(GivenConsent{t.document, t.version, to_hex(t.sm3), accepted_at});
  return out;
}

Status require_current_consents(const std::vector<store::HolderConsent>& recorded) {
  std::string missing;
  for (std::string_view document : {kSubscriberAgreement, kIdentityCheck}) {
    const AgreementText* current = current_agreement(document);
    if (current == nullptr) continue;
    bool found = false;
    for (const store::HolderConsent& k : recorded)
      found = found || (k.document == document && k.version == current->version && k.text_sm3 == current->sm3);
    if (!found) missing += (missing.empty() ? "" : ", ") + std::string(document) + " " + current->version;
  }
  if (missing.empty()) return Status::Ok();
  return make_error(ErrorCode::kConsentRequired,
                    "the holder has not accepted " + missing + " (GET /app/v1/agreements has the texts)");
}

}  // namespace duet::core
