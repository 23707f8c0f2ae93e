// The PIN proof that guards the holder's handwritten signature
// (docs/protocol.md §6.1): the same statement as signing's PIN proof
// (knowledge of u = d1⁻¹ for P1 = u·G), under its own domain
// duet/handwriting/pin/v1 and over a context that names the holder, a fresh
// service challenge, the operation and, for an upload, the image's SM3. A
// handwriting proof never verifies as a signing PIN proof, nor the reverse,
// nor for another challenge, operation or image.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "cosign/device_state.h"
#include "cosign/messages.h"
#include "crypto/random.h"

namespace duet::cosign {

// What one handwriting PIN proof is bound to. operation is "put", "get" or
// "delete"; image_digest is SM3(PNG) for "put" and empty otherwise.
struct HandwritingPinContext {
  std::string holder_id;
  std::string challenge_id;
  std::string operation;
  Bytes image_digest;
};

// f(holder_id) ‖ f(challenge_id) ‖ f(operation) ‖ f(image_digest) (the last
// part empty, i.e. f of zero bytes, for get and delete). kInvalidArgument for
// an empty id, an unknown operation, or a digest that is not 32 bytes for put
// (or present for get/delete).
Result<Bytes> handwriting_pin_context(const HandwritingPinContext& ctx);

// SM3 of the image, as the put context binds it.
Bytes handwriting_image_digest(ByteView png);

// Device: unwraps d1 with the PIN (a wrong PIN silently gives a proof the
// service refuses, counted) and proves knowledge of d1⁻¹ for this context.
// d1, u and P1 are wiped before it returns.
Result<HandwritingPinProof> prove_handwriting_pin(const DeviceState& state, std::string_view pin,
                                                  const HandwritingPinContext& ctx, crypto::RandomSource& rng);

// Service, after it has committed the attempt: kPinInvalid unless the proof
// verifies against its own P1 (from the sealed share record) and this context.
Status verify_handwriting_pin(const crypto::Point& p1, const HandwritingPinContext& ctx,
                              const HandwritingPinProof& proof);

// Wire form: {"challenge_id": "...", "pin_proof": {"t": hex, "z": hex}}, sent
// as the value of the Duet-Pin-Proof header. The parser is strict as wire.h.
std::string to_json(const HandwritingPinProof& m);
Result<HandwritingPinProof> parse_handwriting_pin_proof(std::string_view json);

}  // namespace duet::cosign
