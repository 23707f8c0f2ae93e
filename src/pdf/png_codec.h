// PNG in and out for src/pdf, through libpng's simplified API (no setjmp):
// the holder's handwritten-signature image is read as 8-bit RGBA (alpha kept),
// rendered pages are written as 8-bit RGBA.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::pdf {

struct RgbaImage {
  uint32_t width = 0;
  uint32_t height = 0;
  Bytes pixels;  // width × height × 4 bytes, rows top to bottom, R G B A, not premultiplied
};

// Largest side accepted for an uploaded image (a 4096 × 4096 RGBA image is
// 64 MiB decoded; signature images are far smaller).
inline constexpr uint32_t kMaxPngSide = 4096;

// kBadEncoding when `png` is not a PNG libpng can read, kPayloadTooLarge when a
// side exceeds max_side.
Result<RgbaImage> decode_png(ByteView png, uint32_t max_side = kMaxPngSide);
Result<Bytes> encode_png(const RgbaImage& image);

}  // namespace duet::pdf
