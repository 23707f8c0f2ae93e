// Two-party signing of a digest e (docs/protocol.md §5). The result is an
// ordinary SM2 signature (r, s) under P that any standard verifier accepts.
#pragma once

#include <utility>

#include "cosign/device_state.h"
#include "cosign/messages.h"
#include "cosign/service_key_share.h"
#include "crypto/sm2.h"

namespace duet::cosign {

// The proof context of the device's signing proof: f(order_id) ‖ f(session_id) ‖ f(e).
Bytes sign_context(const SignContext& ctx);

// Device role. Holds d1 (unwrapped with the PIN) and k1 between steps.
class DeviceSigner {
 public:
  // Step 1: unwraps d1 with the PIN, draws a hedged k1, Q1 = k1·G, proof.
  // Ids must be non-empty (kInvalidArgument).
  static Result<std::pair<DeviceSigner, SignRequest>> start(const DeviceState& state, std::string_view pin,
                                                            SignContext ctx, crypto::RandomSource& rng);

  // Step 3: s = (d1·k1)·s2 + d1·s3 − r, then checks (r, s) under P before
  // releasing it. kRetry when s = 0 (start again with a new k1);
  // kSignatureInvalid when the result does not verify (a wrong PIN, or a reply
  // that was tampered with): nothing is released and the signer stays usable.
  // kBadScalar when r, s2 or s3 is zero (s2 = 0 would expose d1).
  //
  // Invariant: at most one s is ever released per k1. Two released values for
  // one k1 under two different replies would let a malicious service solve
  // for d1, so after a success the signer is spent (kBadState) and k1 wiped.
  Result<std::pair<SignFinish, crypto::Sm2Signature>> finish(const SignResponse& response);

  // s without the final check — only for diagnostics and for tests that show
  // the service refusing what a wrong PIN produces. Spends the signer too.
  Result<crypto::Scalar> unchecked_s(const SignResponse& response);

 private:
  DeviceSigner(crypto::Scalar d1, crypto::Scalar k1, crypto::Point public_key, SignContext ctx)
      : d1_(d1), k1_(k1), public_key_(std::move(public_key)), ctx_(std::move(ctx)) {}
  crypto::Scalar d1_;
  crypto::Scalar k1_;
  crypto::Point public_key_;
  SignContext ctx_;
  bool spent_ = false;
};

// Service role: two stateless steps. Between them the service stores r (public).
class ServiceSigner {
 public:
  // Step 2: verifies the device's proof for this context (kBadProof), draws
  // hedged k2, k3 and answers r, s2, s3. The caller counts this as one attempt
  // against the holder *before* sending the answer.
  static Result<SignResponse> respond(const ServiceKeyShare& share, const SignContext& ctx, const SignRequest& request,
                                      crypto::RandomSource& rng);

  // Step 4: (r, s) must verify as a standard SM2 signature of e under P
  // (kSignatureInvalid otherwise, kBadScalar for s = 0).
  static Result<crypto::Sm2Signature> finish(const crypto::Point& public_key, const SignContext& ctx,
                                             const crypto::Scalar& r, const SignFinish& finish);
};

namespace detail {
// The arithmetic of step 2 with given nonces; kRetry when r = 0.
Result<SignResponse> service_sign_step(const crypto::Scalar& d2, const crypto::Digest& e, const crypto::Point& q1,
                                       const crypto::Scalar& k2, const crypto::Scalar& k3);
// The arithmetic of step 3.
crypto::Scalar device_combine(const crypto::Scalar& d1, const crypto::Scalar& k1, const SignResponse& response);
}  // namespace detail

}  // namespace duet::cosign
