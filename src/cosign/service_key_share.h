// What the service keeps for one holder key: d2 and P (never P1). The keys
// layer encrypts the serialized form under the KEK before it reaches storage.
#pragma once

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace duet::cosign {

struct ServiceKeyShare {
  static constexpr int kVersion = 1;

  crypto::Scalar d2;          // non-zero
  crypto::Point public_key;   // P

  // JSON {"v":1,"d2":hex,"public_key":hex}, in a buffer that wipes itself.
  SecretBytes serialize() const;
  static Result<ServiceKeyShare> parse(ByteView json);
};

}  // namespace duet::cosign
