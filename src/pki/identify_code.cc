#include "pki/identify_code.h"

#include <algorithm>
#include <cctype>

#include "pki/lint.h"

namespace duet::pki {

Result<Bytes> encode_identify_code(std::string_view number) {
  std::string n(number);
  if (n.size() == 18 && n.back() == 'x') n.back() = 'X';
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  };
  bool shaped = (n.size() == 15 && digits(n)) ||
                (n.size() == 18 && digits(std::string_view(n).substr(0, 17)) && (n.back() == 'X' || digits(n.substr(17))));
  // looks_like_resident_id checks the 18-character form's MOD 11-2 check.
  if (!shaped || !looks_like_resident_id(n)) {
    return make_error(ErrorCode::kInvalidArgument, "the ID number is not a PRC resident ID number");
  }
  // [0] EXPLICIT PrintableString (docs/pki.md: the standard's module leaves
  // the tagging open; deployed CAs and readers use EXPLICIT): context-specific,
  // constructed, tag 0, around the PrintableString (0x13). Both lengths
  // (15 or 18, and 2 more) fit the short form.
  Bytes der{0xa0, static_cast<uint8_t>(n.size() + 2), 0x13, static_cast<uint8_t>(n.size())};
  der.insert(der.end(), n.begin(), n.end());
  std::fill(n.begin(), n.end(), '\0');
  return der;
}

}  // namespace duet::pki
