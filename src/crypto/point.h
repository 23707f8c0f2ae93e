// Point: a point of the SM2 group (GB/T 32918.5 recommended curve).
//
// Invariant: a Point is always on the curve and never the point at infinity
// (SM2's cofactor is 1, so that makes it an element of the prime-order group).
// Every constructor and operation that could break the invariant returns a
// Result and reports kBadPoint instead.
//
// The arithmetic is native (crypto/sm2_curve.h), tested against OpenSSL.
// Multiplication by a secret scalar is constant time (fixed-base comb with signed digits for G,
// signed 5-bit window for other bases, masked table scans, infinity and the
// exceptional additions handled without secret-dependent branches).
// Only verification, whose scalars are public, uses the variable-time double
// multiplication. The point is held as affine coordinates (Montgomery form).
#pragma once

#include <array>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "crypto/scalar.h"
#include "crypto/sm2_curve.h"

namespace duet::crypto {

class Point {
 public:
  static constexpr size_t kSize = 65;  // SEC1 uncompressed: 04 ‖ x ‖ y
  using Encoded = std::array<uint8_t, kSize>;

  Point(const Point& other) = default;
  Point& operator=(const Point& other) = default;
  ~Point();

  static const Point& generator();

  // SEC1 uncompressed, exactly 65 bytes, on the curve, not infinity.
  static Result<Point> from_sec1(ByteView encoded);
  static Result<Point> from_hex(std::string_view hex);

  Encoded to_sec1() const;
  std::string to_hex() const;
  std::array<uint8_t, 32> x_bytes() const;
  std::array<uint8_t, 32> y_bytes() const;

  // k·G and k·this, constant time. k = 0 is kBadScalar.
  static Result<Point> mul_base(const Scalar& k);
  Result<Point> mul(const Scalar& k) const;
  // a·G + b·q for SECRET a, b, constant time, one inversion. a = 0 or b = 0 is
  // kBadScalar; kBadPoint if the sum is the point at infinity.
  static Result<Point> mul_base_add(const Scalar& a, const Scalar& b, const Point& q);

  // this + other (constant time); kBadPoint if the sum is the point at infinity.
  Result<Point> add(const Point& other) const;
  Result<Point> sub(const Point& other) const;

  // a·G + b·Q for PUBLIC a, b (variable time); kBadPoint if the result is infinity.
  static Result<Point> public_mul_add(const Scalar& a, const Scalar& b, const Point& q);
  // a·G + b·Q == expected, for PUBLIC values (variable time, no inversion).
  static bool public_mul_add_equals(const Scalar& a, const Scalar& b, const Point& q, const Point& expected);

  // Constant time; the answer is declared public (crypto/ct.h).
  bool operator==(const Point& other) const;

  // The native affine coordinates (Montgomery form), for crypto/ and its tests.
  const sm2::Affine& affine() const { return a_; }

 private:
  explicit Point(const sm2::Affine& a) : a_(a) {}
  // For results of group arithmetic on valid points: those stay on the curve,
  // so only the point at infinity needs refusing (one inversion).
  static Result<Point> from_computed(const sm2::Jacobian& j);
  sm2::Affine a_;
};

}  // namespace duet::crypto
