#include "cosign/sign.h"

#include "cosign/nonce.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

Bytes sign_context(const SignContext& ctx) {
  return ProofContext().add(ctx.order_id).add(ctx.session_id).add(ByteView(ctx.e)).bytes();
}

static Status check_context(const SignContext& ctx) {
  if (ctx.order_id.empty() || ctx.session_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "order id and session id are required");
  }
  return Status::Ok();
}

Result<std::pair<DeviceSigner, SignRequest>> DeviceSigner::start(const DeviceState& state, std::string_view pin,
                                                                 SignContext ctx, crypto::RandomSource& rng) {
  DUET_TRY_STATUS(check_context(ctx));
  DUET_ASSIGN_OR_RETURN(Scalar d1, unwrap_share(state, pin));
  Bytes context = sign_context(ctx);
  Scalar k1 = hedged_nonce(d1, "k1", context, rng);
  DUET_ASSIGN_OR_RETURN(Point q1, Point::mul_base(k1));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainSignDevice, Point::generator(), k1, q1, context, rng));
  SignRequest request{q1, std::move(proof)};
  return std::make_pair(DeviceSigner(d1, k1, state.public_key, std::move(ctx)), std::move(request));
}

Scalar detail::device_combine(const Scalar& d1, const Scalar& k1, const SignResponse& response) {
  return (d1 * k1) * response.s2 + d1 * response.s3 - response.r;
}

static Status check_response(const SignResponse& response) {
  if (response.r.is_zero() || response.s2.is_zero() || response.s3.is_zero()) {
    return make_error(ErrorCode::kBadScalar, "r, s2 and s3 must be non-zero");
  }
  return Status::Ok();
}

Result<Scalar> DeviceSigner::unchecked_s(const SignResponse& response) {
  if (spent_) return make_error(ErrorCode::kBadState, "this signing session already released s");
  DUET_TRY_STATUS(check_response(response));
  spent_ = true;
  Scalar s = detail::device_combine(d1_, k1_, response);
  k1_ = Scalar::zero();
  return s;
}

Result<std::pair<SignFinish, crypto::Sm2Signature>> DeviceSigner::finish(const SignResponse& response) {
  if (spent_) return make_error(ErrorCode::kBadState, "this signing session already released s");
  DUET_TRY_STATUS(check_response(response));
  Scalar s = detail::device_combine(d1_, k1_, response);
  if (s.is_zero()) return make_error(ErrorCode::kRetry, "s = 0: start the signature again");
  crypto::Sm2Signature sig{response.r, s};
  if (!crypto::sm2_verify_digest(public_key_, ctx_.e, sig).ok()) {
    return make_error(ErrorCode::kSignatureInvalid, "the joint signature does not verify (wrong PIN?)");
  }
  spent_ = true;
  k1_ = Scalar::zero();
  d1_ = Scalar::zero();
  return std::make_pair(SignFinish{s}, sig);
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

Result<SignResponse> ServiceSigner::respond(const ServiceKeyShare& share, const SignContext& ctx,
                                            const SignRequest& request, crypto::RandomSource& rng) {
  DUET_TRY_STATUS(check_context(ctx));
  Bytes context = sign_context(ctx);
  DUET_TRY_STATUS(verify(kDomainSignDevice, Point::generator(), request.q1, request.proof, context));
  Bytes transcript = context;
  auto q1 = request.q1.to_sec1();
  transcript.insert(transcript.end(), q1.begin(), q1.end());
  for (int round = 0; round < 16; ++round) {
    Scalar k2 = hedged_nonce(share.d2, "k2", transcript, rng);
    Scalar k3 = hedged_nonce(share.d2, "k3", transcript, rng);
    auto response = detail::service_sign_step(share.d2, ctx.e, request.q1, k2, k3);
    if (response.ok() || response.code() != ErrorCode::kRetry) return response;
  }
  return make_error(ErrorCode::kInternal, "no usable nonce after 16 draws (broken random source?)");
}

Result<crypto::Sm2Signature> ServiceSigner::finish(const Point& public_key, const SignContext& ctx, const Scalar& r,
                                                   const SignFinish& finish) {
  if (finish.s.is_zero()) return make_error(ErrorCode::kBadScalar, "s is zero");
  crypto::Sm2Signature sig{r, finish.s};
  DUET_TRY_STATUS(crypto::sm2_verify_digest(public_key, ctx.e, sig));
  return sig;
}

}  // namespace duet::cosign
