#include "crypto/totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace duet::crypto {

std::string hotp(ByteView secret, uint64_t counter, int digits) {
  if (digits < 6) digits = 6;
  if (digits > 8) digits = 8;
  uint8_t msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac, &mac_len) == nullptr ||
      mac_len < 20) {
    return {};
  }
  // RFC 4226 §5.3 dynamic truncation.
  const int offset = mac[mac_len - 1] & 0x0f;
  const uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                       (static_cast<uint32_t>(mac[offset + 1]) << 16) | (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                       static_cast<uint32_t>(mac[offset + 3]);
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string out = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - out.size(), '0') + out;
}

std::string totp(ByteView secret, int64_t unix_time, int digits, int64_t step_seconds) {
  if (unix_time < 0 || step_seconds < 1) return {};
  return hotp(secret, static_cast<uint64_t>(unix_time / step_seconds), digits);
}

bool totp_matches(ByteView secret, std::string_view code, int64_t unix_time, int digits, int64_t step_seconds) {
  if (code.size() != static_cast<size_t>(digits)) return false;
  bool match = false;
  for (int64_t drift : {-1, 0, 1}) {
    const std::string want = totp(secret, unix_time + drift * step_seconds, digits, step_seconds);
    if (want.size() == code.size() && CRYPTO_memcmp(want.data(), code.data(), code.size()) == 0) match = true;
  }
  return match;
}

std::optional<int64_t> totp_match_step(ByteView secret, std::string_view code, int64_t unix_time, int digits,
                                       int64_t step_seconds) {
  if (code.size() != static_cast<size_t>(digits) || step_seconds <= 0 || unix_time < 0) return std::nullopt;
  std::optional<int64_t> matched;
  for (int64_t drift : {-1, 0, 1}) {
    const int64_t t = unix_time + drift * step_seconds;
    if (t < 0) continue;
    const std::string want = totp(secret, t, digits, step_seconds);
    if (want.size() == code.size() && CRYPTO_memcmp(want.data(), code.data(), code.size()) == 0)
      matched = t / step_seconds;  // the latest matching step wins (the loop goes forward)
  }
  return matched;
}

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}

std::string base32_encode(ByteView data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> base32_decode(std::string_view text) {
  Bytes out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == '=' || ch == ' ') continue;
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return make_error(ErrorCode::kInvalidArgument, "not base32");
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace duet::crypto
