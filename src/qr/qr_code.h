// QR codes for activation codes and signing-order links (docs/api/openapi.yaml):
// encode text with libqrencode, render as PNG (libpng) or SVG (text).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace duet::qr {

// A square QR symbol without its quiet zone.
struct QrCode {
  int width = 0;                 // modules per side (21 for version 1, +4 per version)
  int version = 0;               // 1..40
  std::vector<uint8_t> modules;  // width*width, row-major, 1 = dark, 0 = light

  bool dark(int x, int y) const { return modules[static_cast<size_t>(y) * width + x] != 0; }
};

// Encodes `text` as bytes (8-bit mode, error-correction level M, smallest
// version that fits). Errors: empty text, text with a NUL byte, or text too long
// for version 40-M (2331 bytes) are kInvalidArgument; allocation failure is kInternal.
// The bytes go in unchanged with no ECI marker, so scanners guess the character
// set of non-ASCII text: links should percent-encode anything outside ASCII.
Result<QrCode> encode_qr(std::string_view text);

// Renders a PNG (1-bit grayscale, dark = black) with `module_px` pixels per module
// and a quiet zone of `quiet_zone_modules` modules on each side (the standard
// asks for 4). Errors: an empty code, module_px outside 1..64, quiet zone outside
// 0..64, or an image larger than 16384 px per side are kInvalidArgument; a libpng
// failure is kInternal.
Result<Bytes> to_png(const QrCode& code, int module_px = 8, int quiet_zone_modules = 4);

// Renders a standalone SVG document: width/height in px, viewBox in modules,
// a white background rect and one <path> with all dark modules,
// shape-rendering="crispEdges". Out-of-range arguments are clamped
// (module_px to 1..64, quiet to 0..64); an empty code gives an empty string.
std::string to_svg(const QrCode& code, int module_px = 8, int quiet = 4);

}  // namespace duet::qr
