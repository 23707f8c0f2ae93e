// What the service keeps for one holder key: d2, P1 = d1⁻¹·G and P, sealed
// together under the KEK by the keys layer before they reach storage.
//
// P1 is a PIN oracle next to a stolen device state, so it exists only inside
// this sealed record (never in clear, never logged). Whoever can open d2 can
// compute P1 = d2·(P + G) anyway, so sealing them together costs no security
// and saves a point multiplication per signature. Records written before
// protocol v2 (format v1) hold no P1: p1_or_derive() computes it, and the
// caller seals the v2 form back.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace duet::cosign {

struct ServiceKeyShare {
  static constexpr int kVersion = 2;

  crypto::Scalar d2;                 // non-zero
  crypto::Point public_key;          // P
  std::optional<crypto::Point> p1;   // P1 = d2·(P + G); absent in v1 records

  // P1 from the record, or d2·(P + G) (constant time in d2) for a v1 record.
  Result<crypto::Point> p1_or_derive() const;

  // Format v2, binary so that d2 never passes through a text temporary:
  // 0x02 ‖ d2 (32) ‖ P1 (65, SEC1) ‖ P (65, SEC1), in a buffer that wipes
  // itself. P1 is derived if absent, so what is written is always v2.
  Result<SecretBytes> serialize() const;
  // Accepts v2 (binary) and v1 (JSON {"v":1,"d2","public_key"}; p1 empty,
  // re-sealed as v2 by the caller on first use).
  static Result<ServiceKeyShare> parse(ByteView json);
};

}  // namespace duet::cosign
