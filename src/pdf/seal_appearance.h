// What a seal looks like: the holder's handwritten signature (a PNG whose
// transparency is kept, so the page shows through) or a generated personal
// name stamp (个人名章: the name in a red square frame, in the CJK font), and
// under it, as text, the signer's name and the signing time. A personal
// certificate never carries a company seal, so there is no third kind.
#pragma once

#include <string>
#include <variant>

#include "base/bytes.h"
#include "base/result.h"
#include "pki/pki_time.h"

namespace duet::pdf {

// Debian's fonts-droid-fallback: a TrueType font (.ttf; PoDoFo 0.9.8 embeds
// and subsets .ttf, not .ttc collections) with the CJK ideographs and
// full-width punctuation, and no Latin letters or digits: those are drawn in
// the standard Helvetica. The service's configuration passes its own path.
inline constexpr const char* kDefaultCjkFontPath = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

struct HandwrittenSignature {
  Bytes png;  // any PNG libpng reads, at most kMaxPngSide pixels a side; alpha kept as a soft mask
};

struct NameStamp {
  std::string name;  // UTF-8, 1..8 characters, e.g. "张三" (drawn 张三之印 in a 2 × 2 grid)
};

struct SealAppearance {
  std::variant<HandwrittenSignature, NameStamp> mark;
  std::string signer_name;  // printed under the mark (UTF-8, at most 32 characters; empty: no line)
  bool show_signing_time = true;
  // The time is printed in this offset from UTC, with the offset written out
  // ("2026-12-07 13:35:39 +08:00"); the default is China Standard Time.
  int utc_offset_minutes = 8 * 60;
  std::string font_path = kDefaultCjkFontPath;
};

// kInvalidArgument for a name that is empty, too long or holds control
// characters, for an offset beyond ±14 h, or a font path that is not a .ttf
// file that exists; kBadEncoding / kPayloadTooLarge for the image (png_codec.h).
Status validate_appearance(const SealAppearance& appearance);

// "YYYY-MM-DD hh:mm:ss +hh:mm" of `t` at `utc_offset_minutes`.
std::string format_signing_time(pki::Time t, int utc_offset_minutes);

// The characters of the stamp for `name`, in reading order (top to bottom,
// right column first): a two-character name gets 之印, a three-character name
// 印, so that they fill a 2 × 2 grid as a carved seal does.
std::u32string name_stamp_characters(std::string_view name);

// UTF-8 to code points; kBadEncoding for invalid UTF-8.
Result<std::u32string> utf8_code_points(std::string_view text);

}  // namespace duet::pdf
