// Fuzz target: point decoding (crypto/point.h from_sec1, from_hex) and the
// group arithmetic, checked against OpenSSL's SM2 group as an independent
// reference.
//
// Invariants checked:
//  - from_sec1 accepts exactly what OpenSSL accepts as an uncompressed SM2
//    point (65 bytes, 04 ‖ x ‖ y, x and y < p, on the curve; never infinity):
//    so every Point is on the curve. Refusals are kBadPoint or kBadEncoding.
//  - to_sec1 / x_bytes / y_bytes give back the bytes decoded; from_hex is
//    from_sec1 of the decoded hex and to_hex the input in lowercase.
//  - k·G, k·Q, Q + k·G and a·G + b·Q (public and secret paths) agree with
//    OpenSSL; k = 0 is kBadScalar.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <cstring>
#include <memory>

#include "crypto/point.h"
#include "crypto/sm3.h"
#include "fuzz_util.h"

namespace {

using duet::ByteView;
using duet::ErrorCode;
using duet::crypto::Point;
using duet::crypto::Scalar;

struct Ossl {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_sm2);
  BN_CTX* ctx = BN_CTX_new();
};
const Ossl& ossl() {
  static Ossl o;
  FUZZ_CHECK(o.group != nullptr && o.ctx != nullptr);
  return o;
}

struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using EcPoint = std::unique_ptr<EC_POINT, PointFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

EcPoint new_point() {
  EcPoint p(EC_POINT_new(ossl().group));
  FUZZ_CHECK(p != nullptr);
  return p;
}

// OpenSSL's view of a 65-byte uncompressed encoding (nullptr: refused).
EcPoint reference_decode(ByteView in) {
  if (in.size() != 65 || in[0] != 0x04) return nullptr;
  EcPoint p = new_point();
  if (EC_POINT_oct2point(ossl().group, p.get(), in.data(), in.size(), ossl().ctx) != 1) return nullptr;
  if (EC_POINT_is_at_infinity(ossl().group, p.get()) || EC_POINT_is_on_curve(ossl().group, p.get(), ossl().ctx) != 1) {
    return nullptr;
  }
  return p;
}

// The reference point equals ours (nullptr reference: ours must be an error).
void check_same(const duet::Result<Point>& ours, const EcPoint& ref) {
  if (ref == nullptr || EC_POINT_is_at_infinity(ossl().group, ref.get())) {
    FUZZ_CHECK(!ours.ok());
    return;
  }
  FUZZ_CHECK(ours.ok());
  uint8_t enc[65];
  FUZZ_CHECK(EC_POINT_point2oct(ossl().group, ref.get(), POINT_CONVERSION_UNCOMPRESSED, enc, sizeof enc,
                                ossl().ctx) == 65);
  auto mine = ours->to_sec1();
  FUZZ_CHECK(std::memcmp(mine.data(), enc, 65) == 0);
}

Bn to_bn(const Scalar& k) {
  Bn b(BN_bin2bn(k.bytes().data(), 32, nullptr));
  FUZZ_CHECK(b != nullptr);
  return b;
}

void check_decoding(ByteView in, const duet::Result<Point>& p, const EcPoint& ref) {
  FUZZ_CHECK(p.ok() == (ref != nullptr));
  if (!p.ok()) {
    FUZZ_CHECK(p.code() == ErrorCode::kBadPoint || p.code() == ErrorCode::kBadEncoding);
    return;
  }
  auto enc = p->to_sec1();
  FUZZ_CHECK(std::memcmp(enc.data(), in.data(), 65) == 0);
  auto x = p->x_bytes(), y = p->y_bytes();
  FUZZ_CHECK(std::memcmp(x.data(), in.data() + 1, 32) == 0 && std::memcmp(y.data(), in.data() + 33, 32) == 0);
  FUZZ_CHECK(p->to_hex() == duet::to_hex(in));
  auto again = Point::from_hex(p->to_hex());
  FUZZ_CHECK(again.ok() && *again == *p);
  FUZZ_CHECK((*p == Point::generator()) == (std::memcmp(enc.data(), Point::generator().to_sec1().data(), 65) == 0));
}

void check_hex(std::string_view text) {
  auto p = Point::from_hex(text);
  auto raw = duet::from_hex(text);
  if (!raw.ok()) {
    FUZZ_CHECK(!p.ok());
    return;
  }
  auto q = Point::from_sec1(*raw);
  FUZZ_CHECK(p.ok() == q.ok());
  if (p.ok()) {
    FUZZ_CHECK(*p == *q);
    FUZZ_CHECK(p->to_hex() == duet::fuzz::lowercase(text));
  }
}

void check_arithmetic(ByteView in, const duet::Result<Point>& q, const EcPoint& q_ref) {
  const Ossl& o = ossl();
  // Scalars from the input: k from all of it, a and b from its digest.
  Scalar k = Scalar::reduce(in);
  auto d = duet::crypto::sm3(in);
  Scalar a = Scalar::reduce(ByteView(d).first(16)), b = Scalar::reduce(ByteView(d).subspan(16));
  Bn bk = to_bn(k), ba = to_bn(a), bb = to_bn(b);

  auto kg = Point::mul_base(k);
  if (k.is_zero()) {
    FUZZ_CHECK(!kg.ok() && kg.code() == ErrorCode::kBadScalar);
    return;
  }
  EcPoint kg_ref = new_point();
  FUZZ_CHECK(EC_POINT_mul(o.group, kg_ref.get(), bk.get(), nullptr, nullptr, o.ctx) == 1);
  check_same(kg, kg_ref);

  // The decoded point, or k·G when the input is not one.
  const Point& base = q.ok() ? *q : *kg;
  const EC_POINT* base_ref = q.ok() ? q_ref.get() : kg_ref.get();

  EcPoint r = new_point();
  FUZZ_CHECK(EC_POINT_mul(o.group, r.get(), nullptr, base_ref, bk.get(), o.ctx) == 1);
  check_same(base.mul(k), r);

  FUZZ_CHECK(EC_POINT_add(o.group, r.get(), base_ref, kg_ref.get(), o.ctx) == 1);
  check_same(base.add(*kg), r);
  FUZZ_CHECK(EC_POINT_copy(r.get(), kg_ref.get()) == 1 && EC_POINT_invert(o.group, r.get(), o.ctx) == 1);
  FUZZ_CHECK(EC_POINT_add(o.group, r.get(), base_ref, r.get(), o.ctx) == 1);
  check_same(base.sub(*kg), r);

  FUZZ_CHECK(EC_POINT_mul(o.group, r.get(), ba.get(), base_ref, bb.get(), o.ctx) == 1);
  if (!a.is_zero() && !b.is_zero()) {
    check_same(Point::mul_base_add(a, b, base), r);
  }
  check_same(Point::public_mul_add(a, b, base), r);
  if (!EC_POINT_is_at_infinity(o.group, r.get())) {
    auto expected = Point::public_mul_add(a, b, base);
    FUZZ_CHECK(Point::public_mul_add_equals(a, b, base, *expected));
    auto other = expected->add(Point::generator());  // a different point (or infinity)
    if (other.ok()) FUZZ_CHECK(!Point::public_mul_add_equals(a, b, base, *other));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  auto p = Point::from_sec1(in);
  EcPoint ref = reference_decode(in);
  check_decoding(in, p, ref);
  check_hex(duet::fuzz::as_text(data, size));
  check_arithmetic(in, p, ref);
  return 0;
}
