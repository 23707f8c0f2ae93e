// The signer's name on a gateway seal (docs/gateway.md "The signer's name"):
// the seal names the person the holder's certificate names. The gateway
// draws the subject CN of the holder's current certificate (read from duetd's
// Business API, GET /api/v1/holders/{id}/certificates) and, before it serves
// a signed PDF, checks that the certificate in the co-signature's CMS has
// that CN.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::gateway {

// The error codes of docs/gateway.md for a name that is not the certificate's
// and for a holder without a usable certificate.
inline constexpr std::string_view kSignerNameMismatch = "signer_name_mismatch";
inline constexpr std::string_view kNoCertificate = "no_certificate";

// The subject CN (UTF-8) of a PEM or DER certificate. kBadEncoding when it
// does not parse, kInvalidArgument when the subject has no CN.
Result<std::string> certificate_common_name(ByteView pem_or_der);

// The CN of the holder's current certificate in duetd's answer to
// GET /api/v1/holders/{id}/certificates (newest first): the first one whose
// status is "good" and whose validity covers `now`. kNotFound when there is
// none (the holder has not requested one, or all are revoked or expired);
// kUnavailable when the answer does not parse.
Result<std::string> current_certificate_name(std::string_view certificates_json, int64_t now);

// A holder id as duetd spells them (letters, digits, '_' and '-', 1 to 64):
// the gateway puts it in upstream URL paths.
bool valid_holder_id(std::string_view holder_id);

}  // namespace duet::gateway
