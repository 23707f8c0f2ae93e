#include "cosign/handwriting_pin.h"

#include "cosign/json_fields.h"
#include "crypto/sm3.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;
using namespace json_fields;

Result<Bytes> handwriting_pin_context(const HandwritingPinContext& ctx) {
  if (ctx.holder_id.empty() || ctx.challenge_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "holder id and challenge id are required");
  }
  const bool put = ctx.operation == "put";
  if (!put && ctx.operation != "get" && ctx.operation != "delete") {
    return make_error(ErrorCode::kInvalidArgument, "operation must be put, get or delete");
  }
  if (put ? ctx.image_digest.size() != 32 : !ctx.image_digest.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "put binds the image's SM3 (32 bytes); get and delete bind none");
  }
  return ProofContext()
      .add(ctx.holder_id)
      .add(ctx.challenge_id)
      .add(ctx.operation)
      .add(ByteView(ctx.image_digest))
      .bytes();
}

Bytes handwriting_image_digest(ByteView png) {
  crypto::Digest d = crypto::sm3(png);
  return Bytes(d.begin(), d.end());
}

Result<HandwritingPinProof> prove_handwriting_pin(const DeviceState& state, std::string_view pin,
                                                  const HandwritingPinContext& ctx, crypto::RandomSource& rng) {
  if (ctx.holder_id != state.holder_id) {
    return make_error(ErrorCode::kInvalidArgument, "the context names another holder than the device state");
  }
  DUET_ASSIGN_OR_RETURN(Bytes context, handwriting_pin_context(ctx));
  DUET_ASSIGN_OR_RETURN(Scalar d1, unwrap_share(state, pin));
  auto u = d1.inverse();
  d1 = Scalar::zero();
  if (!u.ok()) return Unexpected{u.error()};
  DUET_ASSIGN_OR_RETURN(Point p1, Point::mul_base(*u));
  auto proof = prove(kDomainHandwritingPin, Point::generator(), *u, p1, context, rng);
  *u = Scalar::zero();
  if (!proof.ok()) return Unexpected{proof.error()};
  return HandwritingPinProof{ctx.challenge_id, std::move(*proof)};
}

Status verify_handwriting_pin(const Point& p1, const HandwritingPinContext& ctx, const HandwritingPinProof& proof) {
  if (proof.challenge_id != ctx.challenge_id) return make_error(ErrorCode::kPinInvalid, "the PIN is wrong");
  DUET_ASSIGN_OR_RETURN(Bytes context, handwriting_pin_context(ctx));
  if (!verify(kDomainHandwritingPin, Point::generator(), p1, proof.pin_proof, context).ok()) {
    return make_error(ErrorCode::kPinInvalid, "the PIN is wrong");
  }
  return Status::Ok();
}

std::string to_json(const HandwritingPinProof& m) {
  return json{{"challenge_id", m.challenge_id}, {"pin_proof", proof_json(m.pin_proof)}}.dump();
}

Result<HandwritingPinProof> parse_handwriting_pin_proof(std::string_view text) {
  DUET_ASSIGN_OR_RETURN(json j, parse_object(text));
  DUET_ASSIGN_OR_RETURN(std::string challenge_id, get_string(j, "challenge_id"));
  if (challenge_id.empty() || challenge_id.size() > 64) {
    return make_error(ErrorCode::kBadEncoding, "field \"challenge_id\": 1 to 64 characters");
  }
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, get_proof(j, "pin_proof"));
  return HandwritingPinProof{std::move(challenge_id), std::move(proof)};
}

}  // namespace duet::cosign
