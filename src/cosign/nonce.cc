#include "cosign/nonce.h"

#include "crypto/sm3.h"

namespace duet::cosign {

using crypto::Scalar;

crypto::Scalar hedged_nonce(const Scalar& secret, std::string_view label, ByteView transcript,
                            crypto::RandomSource& rng) {
  SecretBytes fresh(32);
  for (uint8_t counter = 0;; ++counter) {
    rng.fill(fresh.span());
    // input = "duet/nonce/v1" ‖ f(label) ‖ f(transcript) ‖ f(fresh) ‖ counter ‖ half
    auto frame = [](Bytes& out, ByteView v) {
      uint32_t n = static_cast<uint32_t>(v.size());
      out.insert(out.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                             static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
      out.insert(out.end(), v.begin(), v.end());
    };
    Bytes input;
    std::string_view tag = "duet/nonce/v1";
    input.insert(input.end(), tag.begin(), tag.end());
    frame(input, as_bytes(label));
    frame(input, transcript);
    frame(input, fresh.view());
    input.push_back(counter);
    SecretBytes wide(64);
    input.push_back(1);
    crypto::Digest h1 = crypto::hmac_sm3(secret.bytes(), input);
    input.back() = 2;
    crypto::Digest h2 = crypto::hmac_sm3(secret.bytes(), input);
    std::copy(h1.begin(), h1.end(), wide.data());
    std::copy(h2.begin(), h2.end(), wide.data() + 32);
    secure_wipe(h1.data(), h1.size());
    secure_wipe(h2.data(), h2.size());
    secure_wipe(input.data(), input.size());
    Scalar k = Scalar::reduce(wide.view());
    if (!k.is_zero()) return k;
  }
}

}  // namespace duet::cosign
