// PNG rendering with libpng. libpng reports errors by longjmp, so everything
// between setjmp and the end of writing lives in write_png_gray1(), which holds
// only plain C values: no C++ object with a destructor is ever jumped over. The
// output vector is owned by the caller's frame, which the longjmp never leaves,
// and the write callback never lets a C++ exception cross libpng's C frames.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <new>

#include "qr/qr_code.h"

namespace duet::qr {
namespace {

constexpr int kMaxImagePx = 16384;

struct PngSink {
  Bytes* out;
  bool failed;
};

extern "C" void duet_png_on_error(png_structp png, png_const_charp /*msg*/) {
  png_longjmp(png, 1);  // never returns; the message is not logged
}

extern "C" void duet_png_on_warning(png_structp /*png*/, png_const_charp /*msg*/) {}

extern "C" void duet_png_on_write(png_structp png, png_bytep data, png_size_t length) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  try {
    sink->out->insert(sink->out->end(), data, data + length);
  } catch (...) {
    sink->failed = true;
  }
  // Leave the catch block before jumping: png_error longjmps.
  if (sink->failed) png_error(png, "out of memory");
}

extern "C" void duet_png_on_flush(png_structp /*png*/) {}

// Writes a size×size 1-bit grayscale image. Row y of the image is
// rows + (y / px) * stride: each stored row is repeated px times.
// Returns nullptr on success or a static description of the failure.
const char* write_png_gray1(png_uint_32 size, const unsigned char* rows, size_t stride, png_uint_32 px,
                            PngSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, duet_png_on_error, duet_png_on_warning);
  if (png == nullptr) return "png_create_write_struct failed";
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return "png_create_info_struct failed";
  }
  // png and info are not modified after setjmp, so they keep their values.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return sink->failed ? "out of memory" : "libpng write failed";
  }
  png_set_write_fn(png, sink, duet_png_on_write, duet_png_on_flush);
  png_set_IHDR(png, info, size, size, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (png_uint_32 y = 0; y < size; ++y) png_write_row(png, rows + static_cast<size_t>(y / px) * stride);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return nullptr;
}

}  // namespace

Result<Bytes> to_png(const QrCode& code, int module_px, int quiet_zone_modules) {
  if (code.width <= 0 || code.modules.size() != static_cast<size_t>(code.width) * code.width)
    return make_error(ErrorCode::kInvalidArgument, "qr: empty or malformed code");
  if (module_px < 1 || module_px > 64) return make_error(ErrorCode::kInvalidArgument, "qr: module_px out of range");
  if (quiet_zone_modules < 0 || quiet_zone_modules > 64)
    return make_error(ErrorCode::kInvalidArgument, "qr: quiet zone out of range");
  const int modules = code.width + 2 * quiet_zone_modules;
  if (static_cast<long>(modules) * module_px > kMaxImagePx)
    return make_error(ErrorCode::kInvalidArgument, "qr: image too large");
  const int size = modules * module_px;
  const size_t stride = (static_cast<size_t>(size) + 7) / 8;

  // One packed row per module row (quiet rows included): bit 1 = white, 0 = black.
  std::vector<unsigned char> rows(stride * modules, 0xff);
  for (int my = 0; my < code.width; ++my) {
    unsigned char* row = rows.data() + static_cast<size_t>(my + quiet_zone_modules) * stride;
    for (int mx = 0; mx < code.width; ++mx) {
      if (!code.dark(mx, my)) continue;
      const int x0 = (mx + quiet_zone_modules) * module_px;
      for (int x = x0; x < x0 + module_px; ++x) row[x >> 3] &= static_cast<unsigned char>(~(0x80u >> (x & 7)));
    }
  }
  // Padding bits at the end of each row are ignored by decoders; keep them white.

  Bytes out;
  out.reserve(stride * size / 4 + 128);
  PngSink sink{&out, false};
  if (const char* err = write_png_gray1(static_cast<png_uint_32>(size), rows.data(), stride,
                                        static_cast<png_uint_32>(module_px), &sink)) {
    return make_error(ErrorCode::kInternal, std::string("qr: ") + err);
  }
  return out;
}

}  // namespace duet::qr
