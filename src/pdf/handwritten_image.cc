#include "pdf/handwritten_image.h"

#include <png.h>

#include <cstring>
#include <string>

#include "pdf/png_codec.h"

namespace duet::pdf {
namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

}  // namespace

Result<HandwrittenImage> check_handwritten_png(ByteView png) {
  if (png.size() > kMaxHandwrittenPngBytes) {
    return make_error(ErrorCode::kPayloadTooLarge,
                      "the handwritten signature is larger than " + std::to_string(kMaxHandwrittenPngBytes) + " bytes");
  }
  if (png.size() < sizeof kPngSignature || std::memcmp(png.data(), kPngSignature, sizeof kPngSignature) != 0) {
    return make_error(ErrorCode::kBadEncoding, "the handwritten signature is not a PNG image");
  }
  // The header first: the size and whether the image has transparency at
  // all, before any pixel is decoded.
  png_image head;
  std::memset(&head, 0, sizeof head);
  head.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&head, png.data(), png.size()) == 0) {
    png_image_free(&head);
    return make_error(ErrorCode::kBadEncoding, "the handwritten signature is not a readable PNG image");
  }
  const uint32_t width = head.width, height = head.height;
  const bool has_alpha = (head.format & PNG_FORMAT_FLAG_ALPHA) != 0;  // an alpha channel or a tRNS chunk
  png_image_free(&head);
  if (width > kMaxHandwrittenSide || height > kMaxHandwrittenSide) {
    return make_error(ErrorCode::kPayloadTooLarge, "the handwritten signature is larger than " +
                                                       std::to_string(kMaxHandwrittenSide) + " pixels on a side");
  }
  if (width < kMinHandwrittenSide || height < kMinHandwrittenSide) {
    return make_error(ErrorCode::kInvalidArgument, "the handwritten signature is smaller than " +
                                                       std::to_string(kMinHandwrittenSide) + " pixels on a side");
  }
  if (!has_alpha) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the handwritten signature has no transparency (a PNG with an alpha channel is needed)");
  }
  // Every pixel, to the end of the data (libpng checks the chunks' CRCs and
  // the compressed stream on the way).
  DUET_ASSIGN_OR_RETURN(RgbaImage rgba, decode_png(png, kMaxHandwrittenSide));
  size_t clear = 0, visible = 0;
  for (size_t i = 3; i < rgba.pixels.size(); i += 4) {
    if (rgba.pixels[i] == 0) ++clear;
    else ++visible;
  }
  if (visible == 0) return make_error(ErrorCode::kInvalidArgument, "the handwritten signature shows nothing");
  if (clear == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the handwritten signature has no transparent background (it would hide the page)");
  }
  HandwrittenImage out;
  out.width = rgba.width;
  out.height = rgba.height;
  DUET_ASSIGN_OR_RETURN(out.png, encode_png(rgba));
  return out;
}

}  // namespace duet::pdf
