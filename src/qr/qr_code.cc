#include "qr/qr_code.h"

#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace duet::qr {
namespace {

struct QrcodeDeleter {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

}  // namespace

Result<QrCode> encode_qr(std::string_view text) {
  if (text.empty()) return make_error(ErrorCode::kInvalidArgument, "qr: empty text");
  if (text.find('\0') != std::string_view::npos)
    return make_error(ErrorCode::kInvalidArgument, "qr: text contains a NUL byte");
  const std::string z(text);  // libqrencode wants a NUL-terminated string
  errno = 0;
  std::unique_ptr<QRcode, QrcodeDeleter> q(
      QRcode_encodeString(z.c_str(), /*version=*/0, QR_ECLEVEL_M, QR_MODE_8, /*casesensitive=*/1));
  if (!q) {
    if (errno == ENOMEM) return make_error(ErrorCode::kInternal, "qr: out of memory");
    if (errno == ERANGE)
      return make_error(ErrorCode::kInvalidArgument, "qr: text too long for a QR code (max 2331 bytes at level M)");
    return make_error(ErrorCode::kInvalidArgument, "qr: text cannot be encoded");
  }
  QrCode out;
  out.width = q->width;
  out.version = q->version;
  const size_t n = static_cast<size_t>(q->width) * static_cast<size_t>(q->width);
  out.modules.resize(n);
  for (size_t i = 0; i < n; ++i) out.modules[i] = q->data[i] & 1;
  return out;
}

std::string to_svg(const QrCode& code, int module_px, int quiet) {
  if (code.width <= 0 || code.modules.size() != static_cast<size_t>(code.width) * code.width) return {};
  module_px = std::clamp(module_px, 1, 64);
  quiet = std::clamp(quiet, 0, 64);
  const int n = code.width + 2 * quiet;
  const std::string px = std::to_string(n * module_px);
  const std::string vb = std::to_string(n);
  std::string s;
  s.reserve(256 + code.modules.size() * 4);
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + px + "\" height=\"" + px +
       "\" viewBox=\"0 0 " + vb + " " + vb + "\" shape-rendering=\"crispEdges\">\n";
  s += "<rect width=\"" + vb + "\" height=\"" + vb + "\" fill=\"#ffffff\"/>\n";
  s += "<path fill=\"#000000\" d=\"";
  // One sub-path per horizontal run of dark modules.
  for (int y = 0; y < code.width; ++y) {
    for (int x = 0; x < code.width;) {
      if (!code.dark(x, y)) {
        ++x;
        continue;
      }
      int run = 0;
      while (x + run < code.width && code.dark(x + run, y)) ++run;
      s += "M" + std::to_string(x + quiet) + "," + std::to_string(y + quiet) + "h" + std::to_string(run) +
           "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  s += "\"/>\n</svg>\n";
  return s;
}

}  // namespace duet::qr
