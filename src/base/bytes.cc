#include "base/bytes.h"

namespace duet {

std::string to_hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(data.size() * 2);
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return make_error(ErrorCode::kBadEncoding, "hex string of odd length");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(ErrorCode::kBadEncoding, "non-hex character");
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

Result<Bytes> from_hex_exact(std::string_view hex, size_t expected_size) {
  if (hex.size() != expected_size * 2) {
    return make_error(ErrorCode::kBadEncoding, "hex field must encode " + std::to_string(expected_size) +
                                                   " bytes, got " + std::to_string(hex.size()) + " characters");
  }
  return from_hex(hex);
}

}  // namespace duet
