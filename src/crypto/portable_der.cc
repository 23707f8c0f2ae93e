#include "crypto/portable_der.h"

#include <algorithm>

namespace duet::crypto::portable {
namespace {

void put_integer(Bytes& out, const std::array<uint8_t, 32>& v) {
  size_t i = 0;
  while (i < 31 && v[i] == 0) ++i;  // public values (a released signature)
  bool pad = (v[i] & 0x80) != 0;
  out.push_back(0x02);
  out.push_back(static_cast<uint8_t>(32 - i + (pad ? 1 : 0)));
  if (pad) out.push_back(0x00);
  out.insert(out.end(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
}

}  // namespace

Bytes signature_der(const std::array<uint8_t, 32>& r, const std::array<uint8_t, 32>& s) {
  Bytes body;
  put_integer(body, r);
  put_integer(body, s);
  // At most 70 bytes: short-form length. (Sized first, then copied: GCC 12
  // warns falsely about vector::insert into a small vector.)
  Bytes out(2 + body.size());
  out[0] = 0x30;
  out[1] = static_cast<uint8_t>(body.size());
  std::copy(body.begin(), body.end(), out.begin() + 2);
  return out;
}

DerVerdict parse_signature_der(ByteView der, SignatureValues& out) {
  // Lengths here never exceed 127 (two INTEGERs of at most 33 bytes), so only
  // the short form is canonical.
  if (der.size() < 2 || der[0] != 0x30 || der[1] >= 0x80 || der[1] != der.size() - 2) return DerVerdict::kNotDer;
  size_t pos = 2;
  bool out_of_range = false;
  for (std::array<uint8_t, 32>* v : {&out.r, &out.s}) {
    if (pos + 2 > der.size() || der[pos] != 0x02 || der[pos + 1] >= 0x80) return DerVerdict::kNotDer;
    size_t len = der[pos + 1];
    pos += 2;
    if (len == 0 || pos + len > der.size()) return DerVerdict::kNotDer;
    const uint8_t* p = der.data() + pos;
    // Minimal: no 0x00 before a byte without its high bit, no 0xff before one with it.
    if (len > 1 && ((p[0] == 0x00 && (p[1] & 0x80) == 0) || (p[0] == 0xff && (p[1] & 0x80) != 0))) {
      return DerVerdict::kNotDer;
    }
    if ((p[0] & 0x80) != 0) {
      out_of_range = true;  // negative
    } else {
      size_t skip = (p[0] == 0x00 && len > 1) ? 1 : 0;
      if (len - skip > 32) {
        out_of_range = true;
      } else {
        v->fill(0);
        std::copy(p + skip, p + len, v->end() - static_cast<std::ptrdiff_t>(len - skip));
      }
    }
    pos += len;
  }
  if (pos != der.size()) return DerVerdict::kNotDer;
  return out_of_range ? DerVerdict::kOutOfRange : DerVerdict::kOk;
}

Bytes sm2_spki_der(ByteView sec1_point) {
  // SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID sm2 }, BIT STRING (0 unused bits) point }
  static constexpr uint8_t kPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                        0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00};
  Bytes out(sizeof(kPrefix) + sec1_point.size());
  std::copy(std::begin(kPrefix), std::end(kPrefix), out.begin());
  std::copy(sec1_point.begin(), sec1_point.end(), out.begin() + sizeof(kPrefix));
  return out;
}

std::string pem(std::string_view label, ByteView der) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < der.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(der[i]) << 16;
    if (i + 1 < der.size()) n |= static_cast<uint32_t>(der[i + 1]) << 8;
    if (i + 2 < der.size()) n |= der[i + 2];
    b64 += kAlphabet[(n >> 18) & 63];
    b64 += kAlphabet[(n >> 12) & 63];
    b64 += i + 1 < der.size() ? kAlphabet[(n >> 6) & 63] : '=';
    b64 += i + 2 < der.size() ? kAlphabet[n & 63] : '=';
  }
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace duet::crypto::portable
