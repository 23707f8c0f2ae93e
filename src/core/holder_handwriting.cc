// HolderService: the holder's handwritten signature behind a PIN proof
// (docs/protocol.md §6.1, docs/pdf.md "Handwritten signature").
#include "core/holder_fields.h"
#include "core/holder_pin_use.h"
#include "core/holder_service.h"
#include "cosign/handwriting_pin.h"
#include "pdf/handwritten_image.h"
#include "store/ids.h"

namespace duet::core {
namespace {

bool valid_operation(std::string_view op) { return op == "put" || op == "get" || op == "delete"; }

}  // namespace

Result<HolderService::HandwritingChallengeIssued> HolderService::handwriting_challenge(const HolderContext& ctx,
                                                                                     std::string_view operation) {
  if (!valid_operation(operation)) return make_error(ErrorCode::kInvalidArgument, "operation must be put, get or delete");
  auto key = stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id);
  if (!key.ok()) {
    if (key.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "the holder has no key");
    return Unexpected{key.error()};
  }
  const UnixSeconds now = deps_.clock.now();
  const PinAttemptPolicy policy = holder_pin_policy(stores_, deps_.config, ctx.tenant_id, ctx.holder_id);
  // The challenge is the attempt's id: 128 random bits drawn here.
  const std::string challenge_id = store::new_id("hwc_");
  auto counted = stores_.orders.begin_holder_pin_attempt(ctx.write, ctx.tenant_id, ctx.holder_id, challenge_id,
                                                         now - policy.window_seconds, pin_attempt_rule(policy), now);
  if (!counted.ok()) {
    if (counted.code() == ErrorCode::kLocked) return pin_error(ErrorCode::kLocked, "the holder is locked", 0);
    return Unexpected{counted.error()};
  }
  HandwritingChallengeIssued out;
  out.challenge = cosign::HandwritingChallenge{challenge_id, std::string(operation)};
  out.expires_at = now + kHandwritingChallengeSeconds;
  out.attempts_left = pin_attempts_left(*counted, policy);
  return out;
}

Status HolderService::check_handwriting_proof(const HolderContext& ctx, std::string_view operation,
                                              const cosign::HandwritingPinProof& proof, Bytes image_digest) {
  const UnixSeconds now = deps_.clock.now();
  const PinAttemptPolicy policy = holder_pin_policy(stores_, deps_.config, ctx.tenant_id, ctx.holder_id);
  auto pending =
      stores_.orders.get_pending_pin_attempt(ctx.tenant_id, ctx.holder_id, proof.challenge_id, now - policy.window_seconds);
  if (!pending.ok()) {
    if (pending.code() == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kConflict, "the PIN challenge is unknown or used: ask for a new one");
    }
    return Status(Unexpected{pending.error()});
  }
  if (pending->counters.locked) return Status(pin_error(ErrorCode::kLocked, "the holder is locked", 0));
  if (pending->started_at + kHandwritingChallengeSeconds <= now) {
    return make_error(ErrorCode::kExpired, "the PIN challenge has expired: ask for a new one");
  }
  DUET_ASSIGN_OR_RETURN(store::HolderKeyShare key, stores_.holders.get_active_holder_key(ctx.tenant_id, ctx.holder_id));
  DUET_ASSIGN_OR_RETURN(OpenedShare opened, open_share(stores_.holders, deps_.protector, ctx.write, key));
  DUET_ASSIGN_OR_RETURN(crypto::Point p1, opened.share.p1_or_derive());
  cosign::HandwritingPinContext pin_ctx{ctx.holder_id, proof.challenge_id, std::string(operation), std::move(image_digest)};
  Status verified = cosign::verify_handwriting_pin(p1, pin_ctx, proof);
  if (!verified.ok()) {
    if (verified.code() != ErrorCode::kPinInvalid) return verified;
    // The attempt was counted with the challenge; the counters now include it.
    return Status(refresh_pin_failure(stores_, deps_, ctx, proof.challenge_id, pending->counters, policy,
                                      "handwriting", now));
  }
  // A challenge answers one proof: a concurrent second use gets kConflict.
  Status accepted = stores_.orders.accept_holder_pin_attempt(ctx.write, ctx.tenant_id, ctx.holder_id, proof.challenge_id);
  if (!accepted.ok() && accepted.code() == ErrorCode::kConflict) {
    return make_error(ErrorCode::kConflict, "the PIN challenge is unknown or used: ask for a new one");
  }
  return accepted;
}

Result<HandwrittenSignatureView> HolderService::put_handwritten_signature(const HolderContext& ctx,
                                                                          const cosign::HandwritingPinProof& proof,
                                                                          ByteView png) {
  // The proof first, whatever the image: its attempt ends either way (a
  // refused image must not leave a pending attempt counting as a failure).
  auto checked = pdf::check_handwritten_png(png);
  DUET_TRY_STATUS(check_handwriting_proof(ctx, "put", proof, cosign::handwriting_image_digest(png)));
  if (!checked.ok()) return Unexpected{checked.error()};
  pdf::HandwrittenImage img = std::move(*checked);
  store::HandwrittenSignature rec;
  rec.tenant_id = ctx.tenant_id;
  rec.holder_id = ctx.holder_id;
  // Under the holder's own data key (core/holder_fields.h): erasing the
  // holder destroys it everywhere. kConflict once the holder is erased.
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  DUET_ASSIGN_OR_RETURN(rec.sealed_png, fields.seal(ctx.tenant_id, ctx.holder_id, "handwritten_signature", img.png));
  secure_wipe(img.png.data(), img.png.size());
  rec.width = img.width;
  rec.height = img.height;
  rec.updated_at = deps_.clock.now();
  DUET_TRY_STATUS(stores_.holders.put_handwritten_signature(ctx.write, rec));
  return HandwrittenSignatureView{rec.width, rec.height, rec.updated_at};
}

Result<Bytes> HolderService::handwritten_signature_png(const HolderContext& ctx,
                                                       const cosign::HandwritingPinProof& proof) {
  DUET_TRY_STATUS(check_handwriting_proof(ctx, "get", proof, {}));
  return handwritten_signature_png_for_tenant(ctx);
}

Result<Bytes> HolderService::handwritten_signature_png_for_tenant(const HolderContext& ctx) {
  auto rec = stores_.holders.get_handwritten_signature(ctx.tenant_id, ctx.holder_id);
  if (!rec.ok()) {
    if (rec.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "no handwritten signature");
    return Unexpected{rec.error()};
  }
  HolderFields fields{stores_.holders, deps_.protector, deps_.rng, deps_.clock};
  DUET_ASSIGN_OR_RETURN(SecretBytes png,
                        fields.open(ctx.tenant_id, ctx.holder_id, "handwritten_signature", rec->sealed_png));
  return Bytes(png.view().begin(), png.view().end());
}

Status HolderService::delete_handwritten_signature(const HolderContext& ctx, const cosign::HandwritingPinProof& proof) {
  DUET_TRY_STATUS(check_handwriting_proof(ctx, "delete", proof, {}));
  Status st = stores_.holders.delete_handwritten_signature(ctx.write, ctx.tenant_id, ctx.holder_id);
  if (!st.ok() && st.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kNotFound, "no handwritten signature");
  return st;
}

}  // namespace duet::core
