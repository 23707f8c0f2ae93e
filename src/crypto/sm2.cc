#include "crypto/sm2.h"

#include <algorithm>

#include "crypto/ct.h"

namespace duet::crypto {
namespace {

// a, b, x_G, y_G of the recommended curve (GB/T 32918.5), 32 bytes each.
// a and b are written out (no crypto library needed: the WebAssembly build has
// none); x_G, y_G come from the native generator. The Z_A known answers of
// crypto_kat_test.cc and docs/protocol.md §9 check all four.
const std::array<uint8_t, 128>& curve_constants() {
  static const std::array<uint8_t, 128> c = [] {
    static constexpr uint8_t kAB[64] = {
        0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc,
        0x28, 0xe9, 0xfa, 0x9e, 0x9d, 0x9f, 0x5e, 0x34, 0x4d, 0x5a, 0x9e, 0x4b, 0xcf, 0x65, 0x09, 0xa7,
        0xf3, 0x97, 0x89, 0xf5, 0x15, 0xab, 0x8f, 0x92, 0xdd, 0xbc, 0xbd, 0x41, 0x4d, 0x94, 0x0e, 0x93};
    std::array<uint8_t, 128> out{};
    std::copy(std::begin(kAB), std::end(kAB), out.begin());
    Point::Encoded g = Point::generator().to_sec1();
    std::copy(g.begin() + 1, g.end(), out.begin() + 64);
    return out;
  }();
  return c;
}

}  // namespace

Result<Digest> sm2_za(const Point& public_key, std::string_view id) {
  if (id.size() > 8191) return make_error(ErrorCode::kInvalidArgument, "SM2 ID longer than 8191 bytes");
  uint16_t entl = static_cast<uint16_t>(id.size() * 8);
  uint8_t entl_be[2] = {static_cast<uint8_t>(entl >> 8), static_cast<uint8_t>(entl)};
  Point::Encoded pk = public_key.to_sec1();
  return Sm3()
      .update(ByteView(entl_be, 2))
      .update(as_bytes(id))
      .update(curve_constants())
      .update(ByteView(pk.data() + 1, 64))
      .final();
}

Result<Digest> sm2_digest(const Point& public_key, ByteView message, std::string_view id) {
  DUET_ASSIGN_OR_RETURN(Digest za, sm2_za(public_key, id));
  return Sm3().update(za).update(message).final();
}

Status sm2_verify_digest(const Point& public_key, const Digest& e, const Sm2Signature& sig) {
  if (sig.r.is_zero() || sig.s.is_zero()) return make_error(ErrorCode::kBadScalar, "r or s is zero");
  Scalar t = sig.r + sig.s;
  if (t.is_zero()) return make_error(ErrorCode::kSignatureInvalid, "r + s = 0 mod n");
  auto point = Point::public_mul_add(sig.s, t, public_key);
  if (!point.ok()) return make_error(ErrorCode::kSignatureInvalid, "s·G + t·P is the point at infinity");
  Scalar expected = Scalar::reduce(e) + Scalar::reduce(point->x_bytes());
  if (!(expected == sig.r)) return make_error(ErrorCode::kSignatureInvalid, "SM2 signature does not verify");
  return Status::Ok();
}

Status sm2_verify_digest_ct(const Point& public_key, const Digest& e, const Sm2Signature& sig) {
  // is_zero's answers are public (a zero r, s or r + s is an invalid
  // signature whatever else holds; probability 2^-256 for an honest one).
  if (sig.r.is_zero() || sig.s.is_zero()) return make_error(ErrorCode::kBadScalar, "r or s is zero");
  Scalar t = sig.r + sig.s;
  if (t.is_zero()) return make_error(ErrorCode::kSignatureInvalid, "r + s = 0 mod n");
  // s·G + t·P with the constant-time comb and window (P is public).
  auto point = Point::mul_base_add(sig.s, t, public_key);
  if (!point.ok()) return make_error(ErrorCode::kSignatureInvalid, "s·G + t·P is the point at infinity");
  Scalar expected = Scalar::reduce(e) + Scalar::reduce(point->x_bytes());
  // The verdict, and only the verdict, is public.
  if (!ct::declassified(expected == sig.r)) return make_error(ErrorCode::kSignatureInvalid, "SM2 signature does not verify");
  return Status::Ok();
}

}  // namespace duet::crypto
