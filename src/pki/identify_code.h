// The GM/T 0015-2012 personal identity-code extension (IdentifyCode) of a
// holder certificate, for tenants whose certificate identity policy is
// "gmt0015" (docs/pki.md "Subject and identity"). Only the resident ID card
// alternative is produced:
//
//   extnID    1.2.156.10260.4.1.1, critical FALSE
//   extnValue OCTET STRING containing the DER of
//     IdentifyCode ::= CHOICE { residenterCardNumber [0] PrintableString (SIZE(1..18)), ... }
//   with the [0] tag EXPLICIT (the module leaves the tagging open; deployed
//   CAs write and readers expect EXPLICIT, docs/pki.md "Sources"):
//   A0 <len+2> 13 <len> <the number in ASCII>, e.g. an 18-character number
//   gives A0 14 13 12 3x 3x … (22 octets).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::pki {

inline constexpr const char* kIdentifyCodeOid = "1.2.156.10260.4.1.1";

// The DER of IdentifyCode.residenterCardNumber for `number`: 15 digits, or 17
// digits and a check character (a lower-case x is written X) with a valid ISO
// 7064 MOD 11-2 check. Anything else is kInvalidArgument (without the value).
Result<Bytes> encode_identify_code(std::string_view number);

}  // namespace duet::pki
