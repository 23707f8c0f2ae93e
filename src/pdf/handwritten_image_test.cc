#include "pdf/handwritten_image.h"

#include <gtest/gtest.h>
#include <png.h>
#include <zlib.h>

#include <cstring>

#include "base/result_testing.h"
#include "pdf/pdf_test_support.h"
#include "pdf/png_codec.h"

namespace duet::pdf {
namespace {

using testing_support::ok_value;

// A PNG written by libpng in `format` (PNG_FORMAT_RGBA, _RGB, …) from RGBA
// pixels of `w` × `h`, alpha 0 except a stroke of opaque pixels in row h/2.
Bytes png_of(uint32_t w, uint32_t h, uint32_t format, uint8_t background_alpha = 0, bool stroke = true) {
  std::vector<uint8_t> rgba(static_cast<size_t>(w) * h * 4, 0);
  for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] = background_alpha;
  if (stroke) {
    for (uint32_t x = 0; x < w; ++x) {
      uint8_t* px = &rgba[(static_cast<size_t>(h / 2) * w + x) * 4];
      px[2] = 200;
      px[3] = 255;
    }
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = w;
  img.height = h;
  img.format = PNG_FORMAT_RGBA;
  // Convert by letting libpng read our RGBA back in the asked format.
  png_alloc_size_t size = 0;
  EXPECT_NE(png_image_write_to_memory(&img, nullptr, &size, 0, rgba.data(), 0, nullptr), 0);
  Bytes out(size);
  EXPECT_NE(png_image_write_to_memory(&img, out.data(), &size, 0, rgba.data(), 0, nullptr), 0);
  out.resize(size);
  if (format == PNG_FORMAT_RGBA) return out;
  png_image in;
  std::memset(&in, 0, sizeof in);
  in.version = PNG_IMAGE_VERSION;
  EXPECT_NE(png_image_begin_read_from_memory(&in, out.data(), out.size()), 0);
  in.format = format;
  std::vector<uint8_t> px(PNG_IMAGE_SIZE(in));
  png_color white{255, 255, 255};
  EXPECT_NE(png_image_finish_read(&in, &white, px.data(), 0, nullptr), 0);
  png_image again;
  std::memset(&again, 0, sizeof again);
  again.version = PNG_IMAGE_VERSION;
  again.width = w;
  again.height = h;
  again.format = format;
  size = 0;
  EXPECT_NE(png_image_write_to_memory(&again, nullptr, &size, 0, px.data(), 0, nullptr), 0);
  Bytes converted(size);
  EXPECT_NE(png_image_write_to_memory(&again, converted.data(), &size, 0, px.data(), 0, nullptr), 0);
  converted.resize(size);
  return converted;
}

TEST(HandwrittenImage, AcceptsATransparentPngAndNormalisesIt) {
  Bytes png = testing::make_signature_png();
  HandwrittenImage img = ok_value(check_handwritten_png(png));
  EXPECT_EQ(img.width, 240u);
  EXPECT_EQ(img.height, 100u);
  // The kept PNG shows the same pixels as the upload.
  EXPECT_EQ(ok_value(decode_png(img.png)).pixels, ok_value(decode_png(png)).pixels);
  // A grey + alpha PNG is transparent too.
  EXPECT_TRUE(check_handwritten_png(png_of(64, 32, PNG_FORMAT_GA)).ok());
}

TEST(HandwrittenImage, DropsChunksOtherThanTheImage) {
  // A tEXt chunk (it could carry anything: a name, a comment) inserted after IHDR.
  Bytes png = testing::make_signature_png();
  const char text[] = "Comment\0written by someone";
  Bytes chunk;
  const uint32_t len = sizeof text - 1;
  for (int s = 24; s >= 0; s -= 8) chunk.push_back(static_cast<uint8_t>(len >> s));
  const std::string type = "tEXt";
  Bytes body(type.begin(), type.end());
  body.insert(body.end(), text, text + len);
  const uint32_t crc = static_cast<uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size())));
  chunk.insert(chunk.end(), body.begin(), body.end());
  for (int s = 24; s >= 0; s -= 8) chunk.push_back(static_cast<uint8_t>(crc >> s));
  png.insert(png.begin() + 33, chunk.begin(), chunk.end());  // 8 signature + 25 IHDR
  HandwrittenImage img = ok_value(check_handwritten_png(png));
  std::string kept(img.png.begin(), img.png.end());
  EXPECT_EQ(kept.find("written by someone"), std::string::npos);
  EXPECT_EQ(kept.find("tEXt"), std::string::npos);
}

TEST(HandwrittenImage, RefusesWhatIsNotAReadablePng) {
  EXPECT_EQ(check_handwritten_png(Bytes{}).code(), ErrorCode::kBadEncoding);
  const std::string jpeg = "\xff\xd8\xff\xe0 not a png at all, a JPEG header";
  EXPECT_EQ(check_handwritten_png(as_bytes(jpeg)).code(), ErrorCode::kBadEncoding);
  Bytes png = testing::make_signature_png();
  Bytes truncated(png.begin(), png.begin() + static_cast<ptrdiff_t>(png.size() / 2));
  EXPECT_EQ(check_handwritten_png(truncated).code(), ErrorCode::kBadEncoding);
  Bytes corrupt = png;
  corrupt[png.size() / 2] ^= 0x55;  // inside IDAT: its CRC (or the deflate stream) no longer checks
  EXPECT_EQ(check_handwritten_png(corrupt).code(), ErrorCode::kBadEncoding);
}

TEST(HandwrittenImage, EnforcesSizeLimits) {
  Bytes huge(kMaxHandwrittenPngBytes + 1, 0);
  Bytes png = testing::make_signature_png();
  std::copy(png.begin(), png.end(), huge.begin());
  EXPECT_EQ(check_handwritten_png(huge).code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(check_handwritten_png(png_of(kMaxHandwrittenSide + 1, 16, PNG_FORMAT_RGBA)).code(),
            ErrorCode::kPayloadTooLarge);
  EXPECT_TRUE(check_handwritten_png(png_of(kMaxHandwrittenSide, 16, PNG_FORMAT_RGBA)).ok());
  EXPECT_EQ(check_handwritten_png(png_of(kMinHandwrittenSide - 1, 64, PNG_FORMAT_RGBA)).code(),
            ErrorCode::kInvalidArgument);
}

TEST(HandwrittenImage, NeedsTransparencyAndInk) {
  EXPECT_EQ(check_handwritten_png(png_of(64, 32, PNG_FORMAT_RGB)).code(), ErrorCode::kInvalidArgument)
      << "no alpha channel";
  EXPECT_EQ(check_handwritten_png(png_of(64, 32, PNG_FORMAT_RGBA, 255)).code(), ErrorCode::kInvalidArgument)
      << "an alpha channel, but opaque everywhere";
  EXPECT_EQ(check_handwritten_png(png_of(64, 32, PNG_FORMAT_RGBA, 0, false)).code(), ErrorCode::kInvalidArgument)
      << "nothing visible";
}

}  // namespace
}  // namespace duet::pdf
