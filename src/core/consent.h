// The consent rule (docs/consent.md): before identity checking and before
// issuance, the holder's acceptance of the current subscriber agreement and of
// the identity-data-source check is recorded — which text (version and its
// SM3), when, through which channel and who attested it.
//
// Two channels bring an acceptance to the service:
//  - holder_app: the holder accepts in the app, which sends it with the
//    activation (POST /app/v1/activations) or later (POST /app/v1/consents);
//    attested by the holder (its id), accepted when it reached the service.
//  - business_system: the business system attests that the holder accepted in
//    its own interface (POST /api/v1/holders, POST /api/v1/holders/{id}/consents);
//    attested by the app id, accepted at the time it states.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace duet::core {

// One acceptance as a caller states it.
struct GivenConsent {
  std::string document;     // "subscriber_agreement" | "identity_check"
  std::string version;      // "v1", …
  std::string text_sm3_hex; // SM3 of the text shown, 64 hex digits
  std::optional<store::UnixSeconds> accepted_at;  // business_system: required; holder_app: not allowed
};

enum class ConsentChannel { kHolderApp, kBusinessSystem };

std::string_view consent_channel_text(ConsentChannel c);

// How far in the future a business system's accepted_at may lie (clock skew).
inline constexpr store::UnixSeconds kConsentClockSkewSeconds = 300;

// Checks `given` and turns it into records of holder (tenant_id, holder_id).
// kInvalidArgument (nothing recorded) for: an unknown document or version; a
// text_sm3 that is not the SM3 of that version's text; a document named twice;
// for kBusinessSystem a missing accepted_at, or one before 1 or more than
// kConsentClockSkewSeconds after `now`; for kHolderApp an accepted_at at all
// (the service takes the time the acceptance reached it).
Result<std::vector<store::HolderConsent>> consent_records(const std::vector<GivenConsent>& given,
                                                          ConsentChannel channel, std::string_view tenant_id,
                                                          std::string_view holder_id, std::string_view attested_by,
                                                          store::UnixSeconds now);

// An acceptance of every current text as this build knows them (tests, the
// load generator): accepted_at set for a business system's attestation.
std::vector<GivenConsent> accept_current_agreements(std::optional<store::UnixSeconds> accepted_at = std::nullopt);

// Ok when `recorded` holds an acceptance of the current version of each text;
// kConsentRequired otherwise, naming the missing documents and versions.
Status require_current_consents(const std::vector<store::HolderConsent>& recorded);

}  // namespace duet::core
