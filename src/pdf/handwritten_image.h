// The holder's handwritten-signature image as the service accepts it
// (docs/pdf.md "Handwritten signature"): a PNG with transparency, checked
// through libpng and then re-encoded, so what is kept and drawn is exactly the
// pixels that were checked (no ancillary chunks — text, EXIF, ICC — survive).
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::pdf {

inline constexpr size_t kMaxHandwrittenPngBytes = 1024 * 1024;  // the upload, before decoding
inline constexpr uint32_t kMinHandwrittenSide = 16;              // pixels
inline constexpr uint32_t kMaxHandwrittenSide = 2048;            // pixels (16 MiB decoded at most)

struct HandwrittenImage {
  Bytes png;  // the normalised PNG: 8-bit RGBA, only the image chunks
  uint32_t width = 0;
  uint32_t height = 0;
};

// Errors, checked in this order:
//  kPayloadTooLarge  the upload is over kMaxHandwrittenPngBytes, or a side is
//                    over kMaxHandwrittenSide (judged from the header, before
//                    the pixels are decoded);
//  kBadEncoding      not a PNG, or a PNG libpng cannot decode to the end (bad
//                    CRC, truncated, bad compressed data);
//  kInvalidArgument  a side under kMinHandwrittenSide; no transparency (no
//                    alpha channel or tRNS chunk, or no pixel that is fully
//                    transparent); or nothing visible (every pixel fully
//                    transparent).
Result<HandwrittenImage> check_handwritten_png(ByteView png);

}  // namespace duet::pdf
