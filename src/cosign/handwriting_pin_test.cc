// The handwritten signature's PIN proof (docs/protocol.md §6.1): bound to
// holder, challenge, operation and image; domain-separated from signing's
// PIN proof in both directions; strict wire form.
#include "cosign/handwriting_pin.h"

#include <gtest/gtest.h>

#include "base/result_testing.h"
#include "cosign/sign.h"
#include "crypto/random.h"

namespace duet::cosign {
namespace {

using crypto::Point;
using crypto::Scalar;
using testing_support::ok_value;

struct Holder {
  DeviceState state;
  Point p1;  // what the service keeps sealed with d2
};

Holder make_holder(const std::string& pin) {
  auto& rng = crypto::SystemRandom::instance();
  Scalar d1 = Scalar::random_nonzero(rng);
  Holder h{ok_value(wrap_share("hld_1", Point::generator(), d1, pin, 1000, rng)),
           ok_value(Point::mul_base(ok_value(d1.inverse())))};
  return h;
}

HandwritingPinContext put_ctx(const std::string& challenge, ByteView png) {
  return {"hld_1", challenge, "put", handwriting_image_digest(png)};
}

TEST(HandwritingPin, RightPinVerifiesWrongPinDoesNot) {
  Holder h = make_holder("246810");
  auto& rng = crypto::SystemRandom::instance();
  const ByteView png = as_bytes("png bytes");
  HandwritingPinProof good = ok_value(prove_handwriting_pin(h.state, "246810", put_ctx("hwc_a", png), rng));
  EXPECT_EQ(good.challenge_id, "hwc_a");
  EXPECT_TRUE(verify_handwriting_pin(h.p1, put_ctx("hwc_a", png), good).ok());
  // A wrong PIN unwraps silently to another d1: only the verifier can tell.
  HandwritingPinProof wrong = ok_value(prove_handwriting_pin(h.state, "135790", put_ctx("hwc_a", png), rng));
  EXPECT_EQ(verify_handwriting_pin(h.p1, put_ctx("hwc_a", png), wrong).code(), ErrorCode::kPinInvalid);
}

TEST(HandwritingPin, TheProofIsBoundToChallengeOperationImageAndHolder) {
  Holder h = make_holder("246810");
  auto& rng = crypto::SystemRandom::instance();
  const ByteView png = as_bytes("png bytes");
  HandwritingPinProof p = ok_value(prove_handwriting_pin(h.state, "246810", put_ctx("hwc_a", png), rng));
  // Another challenge (the replay of a used proof with a new challenge id).
  HandwritingPinProof moved = p;
  moved.challenge_id = "hwc_b";
  EXPECT_EQ(verify_handwriting_pin(h.p1, put_ctx("hwc_b", png), moved).code(), ErrorCode::kPinInvalid);
  // The proof names its challenge: a context for another one refuses it.
  EXPECT_EQ(verify_handwriting_pin(h.p1, put_ctx("hwc_b", png), p).code(), ErrorCode::kPinInvalid);
  // Another image (the thief's drawing with the holder's proof).
  EXPECT_EQ(verify_handwriting_pin(h.p1, put_ctx("hwc_a", as_bytes("other png")), p).code(), ErrorCode::kPinInvalid);
  // Another operation on the same challenge.
  HandwritingPinProof g = ok_value(prove_handwriting_pin(h.state, "246810", {"hld_1", "hwc_g", "get", {}}, rng));
  EXPECT_TRUE(verify_handwriting_pin(h.p1, {"hld_1", "hwc_g", "get", {}}, g).ok());
  EXPECT_EQ(verify_handwriting_pin(h.p1, {"hld_1", "hwc_g", "delete", {}}, g).code(), ErrorCode::kPinInvalid);
  // Another holder.
  EXPECT_EQ(verify_handwriting_pin(h.p1, {"hld_2", "hwc_g", "get", {}}, g).code(), ErrorCode::kPinInvalid);
  // The device refuses to prove for a holder that is not its own.
  EXPECT_EQ(prove_handwriting_pin(h.state, "246810", {"hld_2", "hwc_g", "get", {}}, rng).code(),
            ErrorCode::kInvalidArgument);
}

TEST(HandwritingPin, DomainSeparatedFromTheSigningPinProofBothWays) {
  Holder h = make_holder("246810");
  auto& rng = crypto::SystemRandom::instance();
  HandwritingPinContext ctx{"hld_1", "hwc_d", "delete", {}};
  Bytes context = ok_value(handwriting_pin_context(ctx));
  Scalar u = ok_value(ok_value(unwrap_share(h.state, "246810")).inverse());
  // A signing PIN proof over the very same context bytes is not a handwriting proof...
  SchnorrProof as_sign = ok_value(prove(kDomainSignPin, Point::generator(), u, h.p1, context, rng));
  EXPECT_EQ(verify_handwriting_pin(h.p1, ctx, HandwritingPinProof{"hwc_d", as_sign}).code(), ErrorCode::kPinInvalid);
  // ...and a handwriting proof is not a signing PIN proof, over its context or a session's.
  HandwritingPinProof hw = ok_value(prove_handwriting_pin(h.state, "246810", ctx, rng));
  EXPECT_FALSE(verify(kDomainSignPin, Point::generator(), h.p1, hw.pin_proof, context).ok());
  EXPECT_TRUE(verify(kDomainHandwritingPin, Point::generator(), h.p1, hw.pin_proof, context).ok());
  SignSessionContext session{"ord_1", "ses_00000001", {crypto::sm3(as_bytes("doc"))}};
  auto started = ok_value(DeviceSignSession::start(h.state, "246810", session, rng));
  SignSessionRequest forged{started.second.items, hw.pin_proof};
  EXPECT_EQ(ServiceSigner::verify_session(h.p1, session, forged).code(), ErrorCode::kPinInvalid);
  EXPECT_TRUE(ServiceSigner::verify_session(h.p1, session, started.second).ok());
  EXPECT_EQ(verify_handwriting_pin(h.p1, ctx, HandwritingPinProof{"hwc_d", started.second.pin_proof}).code(),
            ErrorCode::kPinInvalid);
}

TEST(HandwritingPin, ContextRules) {
  EXPECT_EQ(handwriting_pin_context({"", "hwc", "get", {}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(handwriting_pin_context({"h", "", "get", {}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(handwriting_pin_context({"h", "hwc", "post", {}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(handwriting_pin_context({"h", "hwc", "put", {}}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(handwriting_pin_context({"h", "hwc", "get", Bytes(32, 1)}).code(), ErrorCode::kInvalidArgument);
  // f(h) ‖ f(hwc) ‖ f(get) ‖ f(<empty>)
  EXPECT_EQ(to_hex(ok_value(handwriting_pin_context({"h", "hwc", "get", {}}))),
            "00000001" "68" "00000003" "687763" "00000003" "676574" "00000000");
}

TEST(HandwritingPin, WireFormRoundTripsAndIsStrict) {
  Holder h = make_holder("246810");
  HandwritingPinProof p =
      ok_value(prove_handwriting_pin(h.state, "246810", {"hld_1", "hwc_w", "get", {}}, crypto::SystemRandom::instance()));
  HandwritingPinProof back = ok_value(parse_handwriting_pin_proof(to_json(p)));
  EXPECT_EQ(back.challenge_id, "hwc_w");
  EXPECT_TRUE(verify_handwriting_pin(h.p1, {"hld_1", "hwc_w", "get", {}}, back).ok());
  EXPECT_EQ(parse_handwriting_pin_proof("not json").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(parse_handwriting_pin_proof(R"({"pin_proof":{"t":"00","z":"00"}})").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(parse_handwriting_pin_proof(R"({"challenge_id":"hwc_w"})").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(parse_handwriting_pin_proof(R"({"challenge_id":"","pin_proof":{"t":"00","z":"00"}})").code(),
            ErrorCode::kBadEncoding);
}

}  // namespace
}  // namespace duet::cosign
