// Helpers of the constant-time test (ct_test.cc explains the method).
#pragma once

#include <span>
#include <string_view>

#include "base/bytes.h"
#include "crypto/ct.h"
#include "crypto/random.h"
#include "crypto/scalar.h"

namespace duet::ct_test {

// Marks memory secret (valgrind: undefined).
inline void secret(const void* p, size_t n) { crypto::ct::classify(p, n); }
inline void secret(const crypto::Scalar& s) { secret(s.bytes().data(), crypto::Scalar::kSize); }

// Declassifies a value that becomes public by being sent or published. The
// messages and values passed here hold only Points and Scalars (fixed arrays,
// no pointers), so one call covers the whole object.
template <typename T>
void wire(const T& v) {
  crypto::ct::declassify(&v, sizeof(v));
}

// A deterministic stream whose every output byte is marked secret: all
// randomness (shares, nonces' fresh input, proof nonces, ρ, salts) is secret.
class SecretRandom final : public crypto::RandomSource {
 public:
  explicit SecretRandom(std::string_view seed) : inner_(as_bytes(seed)) {}
  void fill(std::span<uint8_t> out) override {
    inner_.fill(out);
    secret(out.data(), out.size());
  }

 private:
  crypto::DeterministicRandom inner_;
};

}  // namespace duet::ct_test
