#include "crypto/point.h"

#include "base/bytes.h"

#include "crypto/ct.h"

namespace duet::crypto {
namespace {

// Scalar (big-endian bytes) → little-endian limbs. The caller wipes them.
void scalar_limbs(sm2::u64 out[4], const Scalar& s) { sm2::limbs_from_bytes(out, s.bytes().data()); }

}  // namespace

Point::~Point() { secure_wipe(&a_, sizeof(a_)); }

Result<Point> Point::from_computed(const sm2::Jacobian& j) {
  sm2::Affine a;
  if (!sm2::to_affine(a, j)) return make_error(ErrorCode::kBadPoint, "point at infinity");
  Point p(a);
  secure_wipe(&a, sizeof(a));
  return p;
}

const Point& Point::generator() {
  static const Point g(sm2::generator());
  return g;
}

Result<Point> Point::from_sec1(ByteView encoded) {
  if (encoded.size() != kSize) return make_error(ErrorCode::kBadEncoding, "point must be 65 bytes (SEC1 uncompressed)");
  if (encoded[0] != 0x04) return make_error(ErrorCode::kBadPoint, "point must be SEC1 uncompressed (04 prefix)");
  sm2::Affine a;
  bool x_ok = sm2::fe_from_bytes(a.x, encoded.data() + 1);
  bool y_ok = sm2::fe_from_bytes(a.y, encoded.data() + 33);
  if (!x_ok || !y_ok) return make_error(ErrorCode::kBadPoint, "point coordinate not below p");
  // 65 bytes cannot encode infinity, so on the curve means a group element.
  if (!sm2::on_curve(a)) return make_error(ErrorCode::kBadPoint, "point not on the curve");
  return Point(a);
}

Result<Point> Point::from_hex(std::string_view hex) {
  DUET_ASSIGN_OR_RETURN(Bytes raw, from_hex_exact(hex, kSize));
  return from_sec1(raw);
}

Point::Encoded Point::to_sec1() const {
  Encoded out{};
  out[0] = 0x04;
  sm2::fe_to_bytes(out.data() + 1, a_.x);
  sm2::fe_to_bytes(out.data() + 33, a_.y);
  return out;
}

std::string Point::to_hex() const { return duet::to_hex(to_sec1()); }

std::array<uint8_t, 32> Point::x_bytes() const {
  std::array<uint8_t, 32> out{};
  sm2::fe_to_bytes(out.data(), a_.x);
  return out;
}

std::array<uint8_t, 32> Point::y_bytes() const {
  std::array<uint8_t, 32> out{};
  sm2::fe_to_bytes(out.data(), a_.y);
  return out;
}

Result<Point> Point::mul_base(const Scalar& k) {
  if (k.is_zero()) return make_error(ErrorCode::kBadScalar, "multiplication by zero");
  sm2::u64 kl[4];
  scalar_limbs(kl, k);
  sm2::Jacobian r;
  sm2::mul_base_ct(r, kl);
  secure_wipe(kl, sizeof(kl));
  auto out = from_computed(r);
  secure_wipe(&r, sizeof(r));
  return out;
}

Result<Point> Point::mul(const Scalar& k) const {
  if (k.is_zero()) return make_error(ErrorCode::kBadScalar, "multiplication by zero");
  sm2::u64 kl[4];
  scalar_limbs(kl, k);
  sm2::Jacobian r;
  sm2::mul_ct(r, a_, kl);
  secure_wipe(kl, sizeof(kl));
  auto out = from_computed(r);
  secure_wipe(&r, sizeof(r));
  return out;
}

Result<Point> Point::mul_base_add(const Scalar& a, const Scalar& b, const Point& q) {
  if (a.is_zero() || b.is_zero()) return make_error(ErrorCode::kBadScalar, "multiplication by zero");
  sm2::u64 al[4], bl[4];
  scalar_limbs(al, a);
  scalar_limbs(bl, b);
  sm2::Jacobian ag, bq;
  sm2::mul_base_ct(ag, al);
  sm2::mul_ct(bq, q.a_, bl);
  sm2::add_ct(ag, ag, bq);
  secure_wipe(al, sizeof(al));
  secure_wipe(bl, sizeof(bl));
  auto out = from_computed(ag);
  secure_wipe(&ag, sizeof(ag));
  secure_wipe(&bq, sizeof(bq));
  return out;
}

Result<Point> Point::add(const Point& other) const {
  sm2::Jacobian r;
  sm2::add_ct(r, sm2::to_jacobian(a_), sm2::to_jacobian(other.a_));
  auto out = from_computed(r);
  secure_wipe(&r, sizeof(r));
  return out;
}

Result<Point> Point::sub(const Point& other) const {
  Point neg(other);
  sm2::fe_neg(neg.a_.y, neg.a_.y);
  return add(neg);
}

Result<Point> Point::public_mul_add(const Scalar& a, const Scalar& b, const Point& q) {
  sm2::u64 al[4], bl[4];
  scalar_limbs(al, a);
  scalar_limbs(bl, b);
  sm2::Jacobian r;
  sm2::mul_add_public(r, al, q.a_, bl);
  return from_computed(r);
}

bool Point::public_mul_add_equals(const Scalar& a, const Scalar& b, const Point& q, const Point& expected) {
  sm2::u64 al[4], bl[4];
  scalar_limbs(al, a);
  scalar_limbs(bl, b);
  sm2::Jacobian r;
  sm2::mul_add_public(r, al, q.a_, bl);
  return sm2::equals_affine(r, expected.a_);
}

bool Point::operator==(const Point& other) const {
  // Constant time; the verdict is public (every caller uses it as a proof
  // verification result or a check on public keys).
  return ct::declassified((sm2::fe_eq_mask(a_.x, other.a_.x) & sm2::fe_eq_mask(a_.y, other.a_.y)) != 0);
}

}  // namespace duet::crypto
