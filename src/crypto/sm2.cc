#include "crypto/sm2.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "crypto/ct.h"
#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

// a, b, x_G, y_G of the recommended curve, 32 bytes each, computed once.
const std::array<uint8_t, 128>& curve_constants() {
  static const std::array<uint8_t, 128> c = [] {
    std::array<uint8_t, 128> out{};
    BN_CTX* ctx = thread_bn_ctx();
    BnPtr p(BN_new()), a(BN_new()), b(BN_new());
    if (!p || !a || !b || EC_GROUP_get_curve(sm2_group(), p.get(), a.get(), b.get(), ctx) != 1) {
      openssl_fatal("EC_GROUP_get_curve");
    }
    BN_bn2binpad(a.get(), out.data(), 32);
    BN_bn2binpad(b.get(), out.data() + 32, 32);
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

Bytes Sm2Signature::to_der() const {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* rb = BN_bin2bn(r.bytes().data(), 32, nullptr);
  BIGNUM* sb = BN_bin2bn(s.bytes().data(), 32, nullptr);
  if (sig == nullptr || rb == nullptr || sb == nullptr || ECDSA_SIG_set0(sig, rb, sb) != 1) {
    openssl_fatal("ECDSA_SIG_set0");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) openssl_fatal("i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Sm2Signature> Sm2Signature::from_der(ByteView der) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) {
    openssl_errors();
    return make_error(ErrorCode::kBadEncoding, "not a DER SM2 signature");
  }
  // Reject trailing garbage and non-canonical encodings: re-encoding must match.
  unsigned char* re = nullptr;
  int relen = i2d_ECDSA_SIG(sig, &re);
  bool canonical = p == der.data() + der.size() && relen == static_cast<int>(der.size()) &&
                   std::equal(der.begin(), der.end(), re);
  OPENSSL_free(re);
  const BIGNUM* rb = ECDSA_SIG_get0_r(sig);
  const BIGNUM* sb = ECDSA_SIG_get0_s(sig);
  std::array<uint8_t, 32> rr{}, ss{};
  bool fits = !BN_is_negative(rb) && !BN_is_negative(sb) && BN_num_bytes(rb) <= 32 && BN_num_bytes(sb) <= 32;
  if (fits) {
    BN_bn2binpad(rb, rr.data(), 32);
    BN_bn2binpad(sb, ss.data(), 32);
  }
  ECDSA_SIG_free(sig);
  if (!canonical) return make_error(ErrorCode::kBadEncoding, "signature DER is not canonical");
  if (!fits) return make_error(ErrorCode::kBadScalar, "signature value out of range");
  DUET_ASSIGN_OR_RETURN(Scalar r, Scalar::from_bytes_nonzero(rr));
  DUET_ASSIGN_OR_RETURN(Scalar s, Scalar::from_bytes_nonzero(ss));
  return Sm2Signature{r, s};
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
