// Two-party signing of digests e_1..e_k in one session (docs/protocol.md §5,
// protocol v2). The result is one ordinary SM2 signature (r, s) under P per
// item, which any standard verifier accepts.
//
// Roles as separate types, each round an explicit message (messages.h):
//   1. device  → service  SignSessionRequest  (Q1_i + proof per item, one PIN proof)
//   2. service → device   SignResponse per item (only after the PIN proof verified)
//   3. device  → service  SignFinish per item
//   4. service verifies every (r_i, s_i) under P.
// The service's caller commits one PIN attempt before step 2 does any work
// that depends on the PIN proof (see ServiceSigner::verify_session).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cosign/device_state.h"
#include "cosign/messages.h"
#include "cosign/service_key_share.h"
#include "crypto/sm2.h"

namespace duet::cosign {

// The proof context of an item's proof of k1: f(order_id) ‖ f(session_id) ‖ f(e).
Bytes sign_context(const SignContext& ctx);
// The PIN proof's context: f(order_id) ‖ f(session_id) ‖ f(k as 4 bytes
// big-endian) ‖ f(e_1) ‖ f(Q1_1) ‖ … ‖ f(e_k) ‖ f(Q1_k). kInvalidArgument when
// the counts differ or are zero.
Result<Bytes> pin_proof_context(const SignSessionContext& ctx, const std::vector<SignRequest>& items);

// Device role for one session. Holds d1 (unwrapped with the PIN) and one k1
// per item between steps 1 and 3.
class DeviceSignSession {
 public:
  // Step 1: unwraps d1 with the PIN (once for the whole batch), draws hedged
  // k1_i, Q1_i = k1_i·G with a proof each, and the PIN proof of u = d1⁻¹ for
  // P1 = u·G over the whole session. A wrong PIN is not detectable here (that
  // would be an offline oracle): the service refuses the PIN proof.
  static Result<std::pair<DeviceSignSession, SignSessionRequest>> start(const DeviceState& state,
                                                                       std::string_view pin,
                                                                       SignSessionContext ctx,
                                                                       crypto::RandomSource& rng);

  // Step 3 for every item: s_i = (d1·k1_i)·s2_i + d1·s3_i − r_i, each checked
  // under P before anything is released. All or nothing: kRetry when some
  // s_i = 0 (start a new session), kSignatureInvalid when some result does not
  // verify (a tampered reply), kBadScalar for a zero r, s2 or s3,
  // kInvalidArgument for a wrong count. On success the session is spent
  // (kBadState afterwards) and d1, k1 wiped.
  //
  // Invariant: at most one s is ever released per k1. Two released values for
  // one k1 under two different replies would let a malicious service solve
  // for d1.
  Result<std::pair<std::vector<SignFinish>, std::vector<crypto::Sm2Signature>>> finish(
      const std::vector<SignResponse>& responses);

  // s without the final check — only for tests that show the service refusing
  // a bad s. Spends the session too.
  Result<std::vector<crypto::Scalar>> unchecked_s(const std::vector<SignResponse>& responses);

  size_t size() const { return k1_.size(); }

 private:
  DeviceSignSession(crypto::Scalar d1, std::vector<crypto::Scalar> k1, crypto::Point public_key,
                    SignSessionContext ctx)
      : d1_(d1), k1_(std::move(k1)), public_key_(std::move(public_key)), ctx_(std::move(ctx)) {}
  void wipe();
  crypto::Scalar d1_;
  std::vector<crypto::Scalar> k1_;
  crypto::Point public_key_;
  SignSessionContext ctx_;
  bool spent_ = false;
};

// A session whose proofs all verified (ServiceSigner::verify_session): the
// only way to reach ServiceSigner::respond.
class VerifiedSignSession {
 public:
  const SignSessionContext& context() const { return ctx_; }
  const std::vector<crypto::Point>& q1() const { return q1_; }

 private:
  friend class ServiceSigner;
  VerifiedSignSession(SignSessionContext ctx, std::vector<crypto::Point> q1)
      : ctx_(std::move(ctx)), q1_(std::move(q1)) {}
  SignSessionContext ctx_;
  std::vector<crypto::Point> q1_;
};

// Service role: stateless steps. Between them the service stores r (public).
class ServiceSigner {
 public:
  // Step 2a. The caller has ALREADY committed one attempt against the holder.
  // Verifies every item's proof of k1 and the PIN proof against p1 (the
  // service's own P1 from the sealed share record), all of them, with no
  // early exit, so neither the answer nor its timing names a failing item.
  // kPinInvalid when the PIN proof fails; kBadProof when only an item proof
  // fails; kInvalidArgument for counts that don't match or a bad context.
  static Result<VerifiedSignSession> verify_session(const crypto::Point& p1, SignSessionContext ctx,
                                                    const SignSessionRequest& request);

  // Step 2b: draws hedged k2, k3 per item and answers r, s2, s3 per item.
  static Result<std::vector<SignResponse>> respond(const ServiceKeyShare& share, const VerifiedSignSession& session,
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
