#include "cosign/sign.h"

#include "cosign/nonce.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

Bytes sign_context(const SignContext& ctx) {
  return ProofContext().add(ctx.order_id).add(ctx.session_id).add(ByteView(ctx.e)).bytes();
}

static Status check_context(const SignSessionContext& ctx) {
  if (ctx.order_id.empty() || ctx.session_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "order id and session id are required");
  }
  if (ctx.digests.empty()) return make_error(ErrorCode::kInvalidArgument, "a session signs at least one digest");
  return Status::Ok();
}

static void put_u32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

Result<Bytes> pin_proof_context(const SignSessionContext& ctx, const std::vector<SignRequest>& items) {
  DUET_TRY_STATUS(check_context(ctx));
  if (items.size() != ctx.digests.size()) {
    return make_error(ErrorCode::kInvalidArgument, "one sign request per digest is required");
  }
  Bytes k;
  put_u32(k, static_cast<uint32_t>(items.size()));
  ProofContext pc;
  pc.add(ctx.order_id).add(ctx.session_id).add(ByteView(k));
  for (size_t i = 0; i < items.size(); ++i) {
    auto q1 = items[i].q1.to_sec1();
    pc.add(ByteView(ctx.digests[i])).add(ByteView(q1.data(), q1.size()));
  }
  return pc.bytes();
}

Result<std::pair<DeviceSignSession, SignSessionRequest>> DeviceSignSession::start(const DeviceState& state,
                                                                                 std::string_view pin,
                                                                                 SignSessionContext ctx,
                                                                                 crypto::RandomSource& rng) {
  DUET_TRY_STATUS(check_context(ctx));
  DUET_ASSIGN_OR_RETURN(Scalar d1, unwrap_share(state, pin));
  std::vector<SignRequest> items;
  std::vector<Scalar> k1s;
  for (size_t i = 0; i < ctx.digests.size(); ++i) {
    Bytes context = sign_context(ctx.item(i));
    // The item's position joins the nonce's transcript: one document twice
    // in a batch must still get two k1 even from a stuck random source.
    Bytes transcript = context;
    put_u32(transcript, static_cast<uint32_t>(i));
    Scalar k1 = hedged_nonce(d1, "k1", transcript, rng);
    DUET_ASSIGN_OR_RETURN(Point q1, Point::mul_base(k1));
    DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainSignDevice, Point::generator(), k1, q1, context, rng));
    items.push_back(SignRequest{std::move(q1), std::move(proof)});
    k1s.push_back(k1);
  }
  // The PIN proof: u = d1⁻¹ and P1 = u·G, both wiped when they go out of scope.
  DUET_ASSIGN_OR_RETURN(Scalar u, d1.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1, Point::mul_base(u));
  DUET_ASSIGN_OR_RETURN(Bytes pin_context, pin_proof_context(ctx, items));
  DUET_ASSIGN_OR_RETURN(SchnorrProof pin_proof, prove(kDomainSignPin, Point::generator(), u, p1, pin_context, rng));
  SignSessionRequest request{std::move(items), std::move(pin_proof)};
  return std::make_pair(DeviceSignSession(d1, std::move(k1s), state.public_key, std::move(ctx)), std::move(request));
}

Scalar detail::device_combine(const Scalar& d1, const Scalar& k1, const SignResponse& response) {
  return (d1 * k1) * response.s2 + d1 * response.s3 - response.r;
}

static Status check_responses(const std::vector<SignResponse>& responses, size_t expected) {
  if (responses.size() != expected) return make_error(ErrorCode::kInvalidArgument, "one response per item is required");
  for (const auto& response : responses) {
    if (response.r.is_zero() || response.s2.is_zero() || response.s3.is_zero()) {
      return make_error(ErrorCode::kBadScalar, "r, s2 and s3 must be non-zero");
    }
  }
  return Status::Ok();
}

void DeviceSignSession::wipe() {
  spent_ = true;
  d1_ = Scalar::zero();
  for (auto& k : k1_) k = Scalar::zero();
}

Result<std::vector<Scalar>> DeviceSignSession::unchecked_s(const std::vector<SignResponse>& responses) {
  if (spent_) return make_error(ErrorCode::kBadState, "this signing session already released s");
  DUET_TRY_STATUS(check_responses(responses, k1_.size()));
  std::vector<Scalar> out;
  for (size_t i = 0; i < responses.size(); ++i) out.push_back(detail::device_combine(d1_, k1_[i], responses[i]));
  wipe();
  return out;
}

Result<std::pair<std::vector<SignFinish>, std::vector<crypto::Sm2Signature>>> DeviceSignSession::finish(
    const std::vector<SignResponse>& responses) {
  if (spent_) return make_error(ErrorCode::kBadState, "this signing session already released s");
  DUET_TRY_STATUS(check_responses(responses, k1_.size()));
  std::vector<SignFinish> finishes;
  std::vector<crypto::Sm2Signature> signatures;
  for (size_t i = 0; i < responses.size(); ++i) {
    Scalar s = detail::device_combine(d1_, k1_[i], responses[i]);
    if (s.is_zero()) return make_error(ErrorCode::kRetry, "s = 0: start the signature again");
    crypto::Sm2Signature sig{responses[i].r, s};
    // s is still secret here: the check is constant time, only its verdict
    // is public (docs/protocol.md §8.4).
    if (!crypto::sm2_verify_digest_ct(public_key_, ctx_.digests[i], sig).ok()) {
      return make_error(ErrorCode::kSignatureInvalid, "the joint signature does not verify (tampered reply?)");
    }
    finishes.push_back(SignFinish{s});
    signatures.push_back(sig);
  }
  wipe();
  return std::make_pair(std::move(finishes), std::move(signatures));
}

Result<SignResponse> detail::service_sign_step(const Scalar& d2, const crypto::Digest& e, const Point& q1,
                                               const Scalar& k2, const Scalar& k3) {
  // k2·G + k3·Q1 in constant time (k2, k3 are secret): fixed-base comb for
  // k2·G, fixed-window for k3·Q1, one complete addition, one inversion.
  if (k2.is_zero() || k3.is_zero()) return make_error(ErrorCode::kBadScalar, "multiplication by zero");
  auto point = Point::mul_base_add(k2, k3, q1);
  if (!point.ok()) return make_error(ErrorCode::kRetry, "k3·Q1 + Q2 is infinity");
  Scalar r = Scalar::reduce(e) + Scalar::reduce(point->x_bytes());
  if (r.is_zero()) return make_error(ErrorCode::kRetry, "r = 0");
  Scalar s2 = d2 * k3;
  Scalar s3 = d2 * (r + k2);
  if (s3.is_zero()) return make_error(ErrorCode::kRetry, "s3 = 0");
  return SignResponse{r, s2, s3};
}

Result<VerifiedSignSession> ServiceSigner::verify_session(const Point& p1, SignSessionContext ctx,
                                                          const SignSessionRequest& request) {
  DUET_ASSIGN_OR_RETURN(Bytes pin_context, pin_proof_context(ctx, request.items));
  std::vector<Bytes> item_contexts;
  std::vector<Point> q1;
  for (size_t i = 0; i < request.items.size(); ++i) {
    item_contexts.push_back(sign_context(ctx.item(i)));
    q1.push_back(request.items[i].q1);
  }
  // All proofs at once (one multi-scalar multiplication, schnorr_proof.h).
  // Only when the batch fails is each proof checked on its own, every one of
  // them with no early exit, to say which kind failed: the answer and its
  // timing depend only on "all good?", "PIN proof good?" and "all item proofs
  // good?" — never on which item. A batch of valid proofs always passes, so
  // the separate verdicts are the authoritative ones whenever they run.
  std::vector<ProofOnG> batch;
  batch.push_back(ProofOnG{kDomainSignPin, &p1, &request.pin_proof, pin_context});
  for (size_t i = 0; i < request.items.size(); ++i) {
    batch.push_back(ProofOnG{kDomainSignDevice, &request.items[i].q1, &request.items[i].proof, item_contexts[i]});
  }
  bool pin_ok = true, items_ok = true;
  if (!verify_batch_on_g(batch)) {
    pin_ok = verify(kDomainSignPin, Point::generator(), p1, request.pin_proof, pin_context).ok();
    for (size_t i = 0; i < request.items.size(); ++i) {
      bool ok = verify(kDomainSignDevice, Point::generator(), request.items[i].q1, request.items[i].proof,
                       item_contexts[i])
                    .ok();
      items_ok = items_ok && ok;
    }
  }
  if (!pin_ok) return make_error(ErrorCode::kPinInvalid, "the PIN is wrong");
  if (!items_ok) return make_error(ErrorCode::kBadProof, "a sign request's proof does not verify");
  return VerifiedSignSession(std::move(ctx), std::move(q1));
}

Result<std::vector<SignResponse>> ServiceSigner::respond(const ServiceKeyShare& share,
                                                         const VerifiedSignSession& session,
                                                         crypto::RandomSource& rng) {
  std::vector<SignResponse> out;
  const SignSessionContext& ctx = session.context();
  for (size_t i = 0; i < session.q1().size(); ++i) {
    Bytes transcript = sign_context(ctx.item(i));
    auto q1 = session.q1()[i].to_sec1();
    transcript.insert(transcript.end(), q1.begin(), q1.end());
    bool done = false;
    for (int round = 0; round < 16 && !done; ++round) {
      Scalar k2 = hedged_nonce(share.d2, "k2", transcript, rng);
      Scalar k3 = hedged_nonce(share.d2, "k3", transcript, rng);
      auto response = detail::service_sign_step(share.d2, ctx.digests[i], session.q1()[i], k2, k3);
      if (response.ok()) {
        out.push_back(*response);
        done = true;
      } else if (response.code() != ErrorCode::kRetry) {
        return Unexpected{response.error()};
      }
    }
    if (!done) return make_error(ErrorCode::kInternal, "no usable nonce after 16 draws (broken random source?)");
  }
  return out;
}

Result<crypto::Sm2Signature> ServiceSigner::finish(const Point& public_key, const SignContext& ctx, const Scalar& r,
                                                   const SignFinish& finish) {
  if (finish.s.is_zero()) return make_error(ErrorCode::kBadScalar, "s is zero");
  crypto::Sm2Signature sig{r, finish.s};
  DUET_TRY_STATUS(crypto::sm2_verify_digest(public_key, ctx.e, sig));
  return sig;
}

}  // namespace duet::cosign
