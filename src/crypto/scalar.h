// Scalar: an integer modulo n, the order of the SM2 group.
//
// Invariant: 0 <= value < n. Parsing rejects anything else (never reduces
// silently); zero is representable because the protocol must be able to say
// "this was zero" and reject it. All arithmetic is modulo n and native
// fixed-width code (crypto/sm2_scalar.h): constant time, because scalars are
// usually secret. No scalar goes through OpenSSL BIGNUM. The value is wiped
// when the object is destroyed.
//
// Public outcomes: is_zero() and the range checks of from_bytes / from_hex
// are computed in constant time and their boolean result is then declared
// public (crypto/ct.h): callers branch on them ("zero → retry", "not below n
// → reject"). Everything else — values, equality — stays secret.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "crypto/random.h"

namespace duet::crypto {

class Scalar {
 public:
  static constexpr size_t kSize = 32;

  Scalar() = default;  // zero
  Scalar(const Scalar&) = default;
  Scalar& operator=(const Scalar&) = default;
  ~Scalar() { secure_wipe(bytes_.data(), bytes_.size()); }

  static Scalar zero() { return Scalar(); }
  static Scalar one();
  static Scalar from_u64(uint64_t v);

  // Exactly 32 bytes big-endian with value < n; otherwise kBadScalar
  // (kBadEncoding for a wrong length).
  static Result<Scalar> from_bytes(ByteView be32);
  // As from_bytes, and also rejects zero.
  static Result<Scalar> from_bytes_nonzero(ByteView be32);
  // 64 lowercase/uppercase hex characters; value < n. Constant time in the
  // digits (only "well-formed and below n" is public); no copy left behind.
  static Result<Scalar> from_hex(std::string_view hex);
  static Result<Scalar> from_hex_nonzero(std::string_view hex);
  // Any byte string interpreted big-endian, reduced modulo n. Use 64 bytes of
  // uniform input to get a scalar whose bias is below 2^-256. Constant time
  // for a given input length (used on secret PBKDF2 and HMAC outputs).
  static Scalar reduce(ByteView be);
  // Uniform in [1, n-1]: 64 random bytes reduced, retried on zero.
  static Scalar random_nonzero(RandomSource& rng);

  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }
  // 64 lowercase hex characters, encoded in constant time.
  std::string to_hex() const;
  // Constant time; the answer is declared public (see above).
  bool is_zero() const;

  Scalar operator+(const Scalar& o) const;
  Scalar operator-(const Scalar& o) const;
  Scalar operator*(const Scalar& o) const;
  Scalar negate() const;
  // Multiplicative inverse by Fermat (x^(n-2)), constant time. Inverse of zero
  // is kBadScalar.
  Result<Scalar> inverse() const;

  // Constant-time equality. The answer is NOT declassified: a caller that
  // branches on it on secret values must justify that itself.
  bool operator==(const Scalar& o) const;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

}  // namespace duet::crypto
