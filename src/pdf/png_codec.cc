#include "pdf/png_codec.h"

#include <png.h>

#include <cstring>

namespace duet::pdf {

Result<RgbaImage> decode_png(ByteView png, uint32_t max_side) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (png.empty() || png_image_begin_read_from_memory(&img, png.data(), png.size()) == 0) {
    png_image_free(&img);
    return make_error(ErrorCode::kBadEncoding, "not a readable PNG image");
  }
  if (img.width == 0 || img.height == 0 || img.width > max_side || img.height > max_side) {
    png_image_free(&img);
    return make_error(ErrorCode::kPayloadTooLarge, "the PNG image is empty or larger than " +
                                                       std::to_string(max_side) + " pixels on a side");
  }
  img.format = PNG_FORMAT_RGBA;  // any input (grey, palette, 16-bit, tRNS) becomes 8-bit RGBA
  RgbaImage out;
  out.width = img.width;
  out.height = img.height;
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    png_image_free(&img);
    return make_error(ErrorCode::kBadEncoding, "the PNG image does not decode");
  }
  return out;
}

Result<Bytes> encode_png(const RgbaImage& image) {
  if (image.width == 0 || image.height == 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 4) {
    return make_error(ErrorCode::kInvalidArgument, "image size and pixel buffer disagree");
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = image.width;
  img.height = image.height;
  img.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (png_image_write_to_memory(&img, nullptr, &size, 0, image.pixels.data(), 0, nullptr) == 0) {
    return make_error(ErrorCode::kInternal, "libpng cannot size the image");
  }
  Bytes out(size);
  if (png_image_write_to_memory(&img, out.data(), &size, 0, image.pixels.data(), 0, nullptr) == 0) {
    return make_error(ErrorCode::kInternal, "libpng cannot write the image");
  }
  out.resize(size);
  return out;
}

}  // namespace duet::pdf
