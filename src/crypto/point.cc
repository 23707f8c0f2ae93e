#include "crypto/point.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "crypto/openssl_util.h"

namespace duet::crypto {
namespace {

EC_POINT* new_point() {
  EC_POINT* p = EC_POINT_new(sm2_group());
  if (p == nullptr) openssl_fatal("EC_POINT_new");
  return p;
}

BnPtr scalar_bn(const Scalar& s) {
  BnPtr b = new_secret_bn();
  if (BN_bin2bn(s.bytes().data(), Scalar::kSize, b.get()) == nullptr) openssl_fatal("BN_bin2bn");
  return b;
}

}  // namespace

Point::Point(const Point& other) : p_(EC_POINT_dup(other.p_, sm2_group())) {
  if (p_ == nullptr) openssl_fatal("EC_POINT_dup");
}
Point& Point::operator=(const Point& other) {
  if (this != &other && EC_POINT_copy(p_, other.p_) != 1) openssl_fatal("EC_POINT_copy");
  return *this;
}
Point::Point(Point&& other) noexcept : p_(other.p_) { other.p_ = nullptr; }
Point& Point::operator=(Point&& other) noexcept {
  if (this != &other) {
    EC_POINT_clear_free(p_);
    p_ = other.p_;
    other.p_ = nullptr;
  }
  return *this;
}
Point::~Point() { EC_POINT_clear_free(p_); }

Result<Point> Point::adopt_checked(EC_POINT* p) {
  Point owned(p);  // frees p on every path
  const EC_GROUP* g = sm2_group();
  if (EC_POINT_is_at_infinity(g, p)) return make_error(ErrorCode::kBadPoint, "point at infinity");
  if (EC_POINT_is_on_curve(g, p, thread_bn_ctx()) != 1) return make_error(ErrorCode::kBadPoint, "point not on the curve");
  return owned;
}

Result<Point> Point::adopt_computed(EC_POINT* p) {
  Point owned(p);
  if (EC_POINT_is_at_infinity(sm2_group(), p)) return make_error(ErrorCode::kBadPoint, "point at infinity");
  return owned;
}

const Point& Point::generator() {
  static const Point g = [] {
    EC_POINT* p = EC_POINT_dup(EC_GROUP_get0_generator(sm2_group()), sm2_group());
    if (p == nullptr) openssl_fatal("EC_POINT_dup(G)");
    return Point(p);
  }();
  return g;
}

Result<Point> Point::from_sec1(ByteView encoded) {
  if (encoded.size() != kSize) return make_error(ErrorCode::kBadEncoding, "point must be 65 bytes (SEC1 uncompressed)");
  if (encoded[0] != 0x04) return make_error(ErrorCode::kBadPoint, "point must be SEC1 uncompressed (04 prefix)");
  EC_POINT* p = new_point();
  if (EC_POINT_oct2point(sm2_group(), p, encoded.data(), encoded.size(), thread_bn_ctx()) != 1) {
    EC_POINT_free(p);
    openssl_errors();  // drop the queued "point is not on curve" error
    return make_error(ErrorCode::kBadPoint, "point not on the curve");
  }
  return adopt_checked(p);
}

Result<Point> Point::from_hex(std::string_view hex) {
  DUET_ASSIGN_OR_RETURN(Bytes raw, from_hex_exact(hex, kSize));
  return from_sec1(raw);
}

Point::Encoded Point::to_sec1() const {
  Encoded out{};
  if (EC_POINT_point2oct(sm2_group(), p_, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), thread_bn_ctx()) !=
      kSize) {
    openssl_fatal("EC_POINT_point2oct");
  }
  return out;
}

std::string Point::to_hex() const { return duet::to_hex(to_sec1()); }

std::array<uint8_t, 32> Point::x_bytes() const {
  // Affine x only (one field inversion; y is not needed for r = e + x1).
  BN_CTX* ctx = thread_bn_ctx();
  BN_CTX_start(ctx);
  BIGNUM* x = BN_CTX_get(ctx);
  std::array<uint8_t, 32> out{};
  if (x == nullptr || EC_POINT_get_affine_coordinates(sm2_group(), p_, x, nullptr, ctx) != 1 ||
      BN_bn2binpad(x, out.data(), 32) != 32) {
    openssl_fatal("EC_POINT_get_affine_coordinates");
  }
  BN_CTX_end(ctx);
  return out;
}

std::array<uint8_t, 32> Point::y_bytes() const {
  Encoded e = to_sec1();
  std::array<uint8_t, 32> y{};
  std::copy(e.begin() + 33, e.end(), y.begin());
  return y;
}

Result<Point> Point::mul_base(const Scalar& k) {
  if (k.is_zero()) return make_error(ErrorCode::kBadScalar, "multiplication by zero");
  BnPtr kb = scalar_bn(k);
  EC_POINT* r = new_point();
  // Generator term only: OpenSSL takes the constant-time ladder.
  if (EC_POINT_mul(sm2_group(), r, kb.get(), nullptr, nullptr, thread_bn_ctx()) != 1) {
    EC_POINT_free(r);
    return crypto_error("EC_POINT_mul(k·G)");
  }
  return adopt_computed(r);
}

Result<Point> Point::mul(const Scalar& k) const {
  if (k.is_zero()) return make_error(ErrorCode::kBadScalar, "multiplication by zero");
  BnPtr kb = scalar_bn(k);
  EC_POINT* r = new_point();
  // A single (point, scalar) term and no generator term: constant-time ladder.
  if (EC_POINT_mul(sm2_group(), r, nullptr, p_, kb.get(), thread_bn_ctx()) != 1) {
    EC_POINT_free(r);
    return crypto_error("EC_POINT_mul(k·P)");
  }
  return adopt_computed(r);
}

Result<Point> Point::add(const Point& other) const {
  EC_POINT* r = new_point();
  if (EC_POINT_add(sm2_group(), r, p_, other.p_, thread_bn_ctx()) != 1) {
    EC_POINT_free(r);
    return crypto_error("EC_POINT_add");
  }
  return adopt_computed(r);
}

Result<Point> Point::sub(const Point& other) const {
  Point neg(other);
  if (EC_POINT_invert(sm2_group(), neg.p_, thread_bn_ctx()) != 1) return crypto_error("EC_POINT_invert");
  return add(neg);
}

Result<Point> Point::public_mul_add(const Scalar& a, const Scalar& b, const Point& q) {
  BnPtr ab(BN_bin2bn(a.bytes().data(), Scalar::kSize, nullptr));
  BnPtr bb(BN_bin2bn(b.bytes().data(), Scalar::kSize, nullptr));
  if (!ab || !bb) openssl_fatal("BN_bin2bn");
  EC_POINT* r = new_point();
  if (EC_POINT_mul(sm2_group(), r, ab.get(), q.p_, bb.get(), thread_bn_ctx()) != 1) {
    EC_POINT_free(r);
    return crypto_error("EC_POINT_mul(a·G + b·Q)");
  }
  return adopt_computed(r);
}

bool Point::operator==(const Point& other) const {
  return EC_POINT_cmp(sm2_group(), p_, other.p_, thread_bn_ctx()) == 0;
}

}  // namespace duet::crypto
