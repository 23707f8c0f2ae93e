// Standard SM2 signatures (GB/T 32918.2): Z_A and e with the distinguishing ID,
// signature values and their DER form, verification of a digest.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "crypto/sm3.h"

namespace duet::crypto {

// The default distinguishing ID of GM/T 0009. OpenSSL 3.0's default is empty:
// pass this explicitly everywhere.
inline constexpr std::string_view kDefaultSm2Id = "1234567812345678";

// Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A). IDs longer than 8191
// bytes (ENTL is 16 bits of bit length) are kInvalidArgument.
Result<Digest> sm2_za(const Point& public_key, std::string_view id = kDefaultSm2Id);
// e = SM3(Z_A ‖ M).
Result<Digest> sm2_digest(const Point& public_key, ByteView message, std::string_view id = kDefaultSm2Id);

struct Sm2Signature {
  Scalar r;
  Scalar s;

  // DER SEQUENCE { INTEGER r, INTEGER s } (via OpenSSL's ECDSA_SIG codec).
  Bytes to_der() const;
  // Strict DER: trailing bytes, r or s outside [1, n-1] are rejected.
  static Result<Sm2Signature> from_der(ByteView der);
};

// Verifies (r, s) over digest e under public_key: t = r + s ≠ 0,
// (x1, y1) = s·G + t·P, r == (e + x1) mod n. kSignatureInvalid when it does not
// hold, kBadScalar when r or s is outside [1, n-1].
// Variable time (wNAF): for PUBLIC signatures only — received ones, or ones
// already released.
Status sm2_verify_digest(const Point& public_key, const Digest& e, const Sm2Signature& sig);

// The same check, constant time in r and s: for a signature that is still
// secret, such as the device's own s checked before it is released (a reply
// that fails the check must leave nothing about s in the timing: see
// docs/protocol.md §8.4). Only the verdict is public. Costs about 1.25× the
// instructions of sm2_verify_digest (2.42 M vs 1.93 M, callgrind).
Status sm2_verify_digest_ct(const Point& public_key, const Digest& e, const Sm2Signature& sig);

}  // namespace duet::crypto
