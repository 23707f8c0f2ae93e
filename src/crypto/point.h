// Point: a point of the SM2 group (GB/T 32918.5 recommended curve).
//
// Invariant: a Point is always on the curve and never the point at infinity
// (SM2's cofactor is 1, so that makes it an element of the prime-order group).
// Every constructor and operation that could break the invariant returns a
// Result and reports kBadPoint instead.
//
// Multiplication by a secret scalar uses OpenSSL's constant-time Montgomery
// ladder (EC_POINT_mul with a single term). Only verification, whose scalars
// are public, uses the variable-time double multiplication.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "crypto/scalar.h"

typedef struct ec_point_st EC_POINT;

namespace duet::crypto {

class Point {
 public:
  static constexpr size_t kSize = 65;  // SEC1 uncompressed: 04 ‖ x ‖ y
  using Encoded = std::array<uint8_t, kSize>;

  Point(const Point& other);
  Point& operator=(const Point& other);
  Point(Point&&) noexcept;
  Point& operator=(Point&&) noexcept;
  ~Point();

  static const Point& generator();

  // SEC1 uncompressed, exactly 65 bytes, on the curve, not infinity.
  static Result<Point> from_sec1(ByteView encoded);
  static Result<Point> from_hex(std::string_view hex);

  Encoded to_sec1() const;
  std::string to_hex() const;
  std::array<uint8_t, 32> x_bytes() const;
  std::array<uint8_t, 32> y_bytes() const;

  // k·G and k·this with the constant-time ladder. k = 0 is kBadScalar.
  static Result<Point> mul_base(const Scalar& k);
  Result<Point> mul(const Scalar& k) const;

  // this + other; kBadPoint if the sum is the point at infinity.
  Result<Point> add(const Point& other) const;
  Result<Point> sub(const Point& other) const;

  // a·G + b·Q for PUBLIC a, b (variable time); kBadPoint if the result is infinity.
  static Result<Point> public_mul_add(const Scalar& a, const Scalar& b, const Point& q);

  bool operator==(const Point& other) const;

  const EC_POINT* raw() const { return p_; }

 private:
  explicit Point(EC_POINT* p) : p_(p) {}
  // For points from outside (parsing): on the curve and not infinity.
  static Result<Point> adopt_checked(EC_POINT* p);
  // For results of group arithmetic on valid points: those stay on the curve,
  // so only the point at infinity needs refusing (saves a curve check per op).
  static Result<Point> adopt_computed(EC_POINT* p);
  EC_POINT* p_ = nullptr;
};

}  // namespace duet::crypto
