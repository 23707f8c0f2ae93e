// The roles of key generation and signing (protocol v2) against each other,
// the device state and the service share record. The PIN proof's own rules
// (wrong PIN, batches, P1 stored or derived) are in pin_proof_test.cc.
#include <gtest/gtest.h>

#include "cosign/nonce.h"
#include "cosign/test_util.h"
#include "cosign/wire.h"
#include "crypto/sm2_evp.h"

namespace duet::cosign {
namespace {

using namespace testing;  // Point, Scalar, rng(), the roles run in-process

std::string text_of(const SecretBytes& blob) { return std::string(reinterpret_cast<const char*>(blob.data()), blob.size()); }

TEST(Cosign, KeygenAndSignABatchVerifyWithOpenSsl) {
  ASSERT_ENROLLED(e, "hld_alice", "123456");
  EXPECT_TRUE(e.device.public_key == e.service.public_key);
  std::vector<std::string> messages = {"contract #42", "annex A", ""};
  SignSessionContext ctx = session_for(e.device.public_key, messages);
  ASSERT_OK_AND_ASSIGN(auto sigs, sign_session(e, "123456", ctx, rng()));
  ASSERT_EQ(sigs.size(), messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_TRUE(crypto::evp_sm2_verify(e.device.public_key, as_bytes(messages[i]), sigs[i].to_der()).ok()) << i;
  }
}

TEST(Cosign, DeviceStateHoldsNoPinNoP1AndRoundTrips) {
  const std::string pin = "918273";
  ASSERT_ENROLLED(e, "hld_dave", pin);
  SecretBytes blob = e.device.serialize();
  std::string text = text_of(blob);
  EXPECT_FALSE(contains_pin_in_clear(text, pin)) << text;
  ASSERT_OK_AND_ASSIGN(Scalar d1, unwrap_share(e.device, pin));
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  ASSERT_OK_AND_ASSIGN(Scalar u, d1.inverse());
  ASSERT_OK_AND_ASSIGN(Point p1_from_device, Point::mul_base(u));
  EXPECT_TRUE(p1 == p1_from_device);  // the right PIN gives the d1 the service knows as P1
  EXPECT_EQ(text.find(p1.to_hex()), std::string::npos);
  EXPECT_EQ(text.find(to_hex(p1.x_bytes())), std::string::npos);
  EXPECT_EQ(text.find(d1.to_hex()), std::string::npos);
  ASSERT_OK_AND_ASSIGN(DeviceState back, DeviceState::parse(blob.view()));
  EXPECT_TRUE(back.public_key == e.device.public_key && back.wrapped_share == e.device.wrapped_share);
  EXPECT_EQ(back.holder_id, "hld_dave");
  EXPECT_EQ(text_of(back.serialize()), text);
  // Every PIN unwraps to *some* non-zero d1: the state alone tests no guess.
  for (const char* guess : {"000000", "123456", "999999"}) EXPECT_TRUE(unwrap_share(back, guess).ok());
}

TEST(Cosign, DeviceStateParseIsStrict) {
  EXPECT_EQ(DeviceState::parse(as_bytes("{}")).code(), ErrorCode::kBadState);
  EXPECT_EQ(DeviceState::parse(as_bytes("nonsense")).code(), ErrorCode::kBadState);
  EXPECT_EQ(DeviceState::parse(as_bytes(R"({"v":2})")).code(), ErrorCode::kUnsupportedVersion);
  ASSERT_ENROLLED(e, "hld_x", "123456");
  std::string text = text_of(e.device.serialize());
  std::string bad = text;
  size_t at = bad.find(e.device.public_key.to_hex());
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 130, std::string(130, '0'));
  EXPECT_EQ(DeviceState::parse(as_bytes(bad)).code(), ErrorCode::kBadState);
}

TEST(Cosign, ServiceShareRecordIsBinaryV2AndRoundTrips) {
  ASSERT_ENROLLED(e, "hld_y", "123456");
  ASSERT_TRUE(e.service.p1.has_value());  // keygen keeps P1 in the record
  ASSERT_OK_AND_ASSIGN(SecretBytes blob, e.service.serialize());
  // 0x02 ‖ d2 ‖ P1 ‖ P: no JSON and no hex of d2 anywhere.
  ASSERT_EQ(blob.size(), 1 + Scalar::kSize + 2 * Point::kSize);
  EXPECT_EQ(blob.data()[0], 0x02);
  EXPECT_EQ(text_of(blob).find(e.service.d2.to_hex()), std::string::npos);
  ASSERT_OK_AND_ASSIGN(ServiceKeyShare back, ServiceKeyShare::parse(blob.view()));
  ASSERT_TRUE(back.p1.has_value());
  EXPECT_TRUE(back.d2 == e.service.d2 && back.public_key == e.service.public_key && *back.p1 == *e.service.p1);

  // Malformed records: a wrong tag or size, an off-curve P1, a zero d2.
  SecretBytes wrong_tag = blob.clone();
  wrong_tag.data()[0] = 0x03;
  EXPECT_EQ(ServiceKeyShare::parse(wrong_tag.view()).code(), ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(ServiceKeyShare::parse(blob.view().first(blob.size() - 1)).code(), ErrorCode::kUnsupportedVersion);
  SecretBytes bad_p1 = blob.clone();
  bad_p1.data()[1 + Scalar::kSize + Point::kSize - 1] ^= 0x01;  // last byte of P1's y
  EXPECT_EQ(ServiceKeyShare::parse(bad_p1.view()).code(), ErrorCode::kBadState);
  SecretBytes zero_d2 = blob.clone();
  std::fill(zero_d2.data() + 1, zero_d2.data() + 1 + Scalar::kSize, 0);
  EXPECT_EQ(ServiceKeyShare::parse(zero_d2.view()).code(), ErrorCode::kBadState);
  EXPECT_EQ(ServiceKeyShare::parse(as_bytes(R"({"v":1,"d2":"00","public_key":"04"})")).code(), ErrorCode::kBadState);
  EXPECT_EQ(ServiceKeyShare::parse(as_bytes(R"({"v":3})")).code(), ErrorCode::kUnsupportedVersion);
}

TEST(Cosign, ItemProofReplayedUnderAnotherOrderSessionOrDigestIsRefused) {
  ASSERT_ENROLLED(e, "hld_eve", "123456");
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  SignSessionContext ctx = session_for(e.device.public_key, {"doc"}, "ord_a", "ses_a");
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, "123456", ctx, rng()));
  const SignSessionRequest& request = started.second;
  SignSessionContext other_order = ctx, other_session = ctx, other_digest = ctx;
  other_order.order_id = "ord_b";
  other_session.session_id = "ses_b";
  other_digest.digests[0][0] ^= 1;
  // The PIN proof covers order, session and e too, so its verdict comes first.
  for (const SignSessionContext& c : {other_order, other_session, other_digest}) {
    EXPECT_EQ(ServiceSigner::verify_session(p1, c, request).code(), ErrorCode::kPinInvalid);
  }
  EXPECT_TRUE(ServiceSigner::verify_session(p1, ctx, request).ok());
}

// Runs steps 1-2 of a one-item session with the right PIN.
struct Started {
  DeviceSignSession device;
  SignSessionContext ctx;
  SignResponse response;
};
Result<Started> start_and_respond(const Enrolled& e, const std::string& message) {
  SignSessionContext ctx = session_for(e.device.public_key, {message});
  DUET_ASSIGN_OR_RETURN(auto started, DeviceSignSession::start(e.device, "123456", ctx, rng()));
  DUET_ASSIGN_OR_RETURN(Point p1, e.service.p1_or_derive());
  DUET_ASSIGN_OR_RETURN(VerifiedSignSession v, ServiceSigner::verify_session(p1, ctx, started.second));
  DUET_ASSIGN_OR_RETURN(std::vector<SignResponse> responses, ServiceSigner::respond(e.service, v, rng()));
  return Started{std::move(started.first), std::move(ctx), responses.at(0)};
}

TEST(Cosign, TamperedServiceReplyIsCaughtByTheDevice) {
  ASSERT_ENROLLED(e, "hld_f", "123456");
  ASSERT_OK_AND_ASSIGN(Started s, start_and_respond(e, "doc"));
  for (int field = 0; field < 3; ++field) {
    SignResponse bad = s.response;
    Scalar& target = field == 0 ? bad.r : field == 1 ? bad.s2 : bad.s3;
    target = target + Scalar::one();
    EXPECT_EQ(s.device.finish({bad}).code(), ErrorCode::kSignatureInvalid) << field;
  }
  // Nothing was released by the failures, so the genuine reply still works.
  EXPECT_TRUE(s.device.finish({s.response}).ok());
}

TEST(Cosign, DeviceReleasesAtMostOneSPerNonce) {
  // A malicious service holding d2 can make two valid replies for one Q1; two
  // released s values for one k1 would reveal d1. The second finish is refused.
  ASSERT_ENROLLED(e, "hld_once", "123456");
  SignSessionContext ctx = session_for(e.device.public_key, {"once"});
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, "123456", ctx, rng()));
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  ASSERT_OK_AND_ASSIGN(VerifiedSignSession v, ServiceSigner::verify_session(p1, ctx, started.second));
  ASSERT_OK_AND_ASSIGN(std::vector<SignResponse> first, ServiceSigner::respond(e.service, v, rng()));
  ASSERT_OK_AND_ASSIGN(std::vector<SignResponse> second, ServiceSigner::respond(e.service, v, rng()));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(first[0].r == second[0].r);
  DeviceSignSession& device = started.first;
  ASSERT_TRUE(device.finish(first).ok());
  EXPECT_EQ(device.finish(second).code(), ErrorCode::kBadState);
  EXPECT_EQ(device.finish(first).code(), ErrorCode::kBadState);
  EXPECT_EQ(device.unchecked_s(second).code(), ErrorCode::kBadState);
}

TEST(Cosign, DeviceRefusesZeroValuesAndWrongCountsInTheReply) {
  // s2 = 0 would make s + r = d1·s3 and expose d1.
  ASSERT_ENROLLED(e, "hld_zero", "123456");
  ASSERT_OK_AND_ASSIGN(Started s, start_and_respond(e, "zero"));
  for (int field = 0; field < 3; ++field) {
    SignResponse bad = s.response;
    (field == 0 ? bad.r : field == 1 ? bad.s2 : bad.s3) = Scalar::zero();
    EXPECT_EQ(s.device.finish({bad}).code(), ErrorCode::kBadScalar) << field;
  }
  EXPECT_EQ(s.device.finish({}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.device.finish({s.response, s.response}).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(s.device.finish({s.response}).ok());
}

TEST(Cosign, ServiceRefusesABadFinalSignature) {
  ASSERT_ENROLLED(e, "hld_fin", "123456");
  ASSERT_OK_AND_ASSIGN(Started s, start_and_respond(e, "final"));
  ASSERT_OK_AND_ASSIGN(auto finished, s.device.finish({s.response}));
  ASSERT_EQ(finished.first.size(), 1u);
  SignFinish wrong{finished.first[0].s + Scalar::one()};
  EXPECT_EQ(ServiceSigner::finish(e.service.public_key, s.ctx.item(0), s.response.r, wrong).code(),
            ErrorCode::kSignatureInvalid);
  EXPECT_EQ(ServiceSigner::finish(e.service.public_key, s.ctx.item(0), s.response.r, SignFinish{Scalar::zero()}).code(),
            ErrorCode::kBadScalar);
  EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, s.ctx.item(0), s.response.r, finished.first[0]).ok());
}

TEST(Cosign, ServiceRetriesWhenRIsZero) {
  crypto::DeterministicRandom r(as_bytes("r0"));
  Scalar d2 = Scalar::random_nonzero(r), k2 = Scalar::random_nonzero(r), k3 = Scalar::random_nonzero(r);
  ASSERT_OK_AND_ASSIGN(Point q1, Point::mul_base(Scalar::random_nonzero(r)));
  ASSERT_OK_AND_ASSIGN(Point k3q1, q1.mul(k3));
  ASSERT_OK_AND_ASSIGN(Point q2, Point::mul_base(k2));
  ASSERT_OK_AND_ASSIGN(Point x, k3q1.add(q2));
  // Choose e = −x1 mod n so that r = e + x1 = 0.
  Scalar e_scalar = Scalar::reduce(x.x_bytes()).negate();
  crypto::Digest e{};
  std::copy(e_scalar.bytes().begin(), e_scalar.bytes().end(), e.begin());
  EXPECT_EQ(detail::service_sign_step(d2, e, q1, k2, k3).code(), ErrorCode::kRetry);
  e[31] ^= 1;
  EXPECT_TRUE(detail::service_sign_step(d2, e, q1, k2, k3).ok());
}

TEST(Cosign, DeviceCombineMatchesTheFormula) {
  crypto::DeterministicRandom r(as_bytes("combine"));
  Scalar d1 = Scalar::random_nonzero(r), k1 = Scalar::random_nonzero(r);
  SignResponse resp{Scalar::random_nonzero(r), Scalar::random_nonzero(r), Scalar::random_nonzero(r)};
  // s = d1·(k1·s2 + s3) − r, written another way than device_combine does.
  EXPECT_TRUE(detail::device_combine(d1, k1, resp) == d1 * (k1 * resp.s2 + resp.s3) - resp.r);
  // s = 0 exactly when r = d1·k1·s2 + d1·s3.
  resp.r = d1 * k1 * resp.s2 + d1 * resp.s3;
  EXPECT_TRUE(detail::device_combine(d1, k1, resp).is_zero());
}

TEST(HedgedNonce, BrokenRandomSourceNeverRepeatsANonceAcrossMessages) {
  StuckRandom stuck;
  Scalar secret = Scalar::from_u64(12345);
  Scalar a = hedged_nonce(secret, "k1", as_bytes("order-1"), stuck);
  Scalar b = hedged_nonce(secret, "k1", as_bytes("order-2"), stuck);
  Scalar c = hedged_nonce(secret, "k2", as_bytes("order-1"), stuck);
  Scalar d = hedged_nonce(Scalar::from_u64(12346), "k1", as_bytes("order-1"), stuck);
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == d);
  // Two sessions (two messages) with a stuck RNG still use different Q1.
  ASSERT_ENROLLED(e, "hld_g", "123456");
  ASSERT_OK_AND_ASSIGN(auto s1, DeviceSignSession::start(e.device, "123456",
                                                          session_for(e.device.public_key, {"m1"}), stuck));
  ASSERT_OK_AND_ASSIGN(auto s2, DeviceSignSession::start(e.device, "123456",
                                                          session_for(e.device.public_key, {"m2"}), stuck));
  ASSERT_EQ(s1.second.items.size(), 1u);
  ASSERT_EQ(s2.second.items.size(), 1u);
  EXPECT_FALSE(s1.second.items[0].q1 == s2.second.items[0].q1);
}

TEST(Wire, MessagesRoundTrip) {
  ASSERT_ENROLLED(e, "hld_w", "123456");
  ASSERT_OK_AND_ASSIGN(auto kstart, DeviceKeygen::start("hld_w2", rng()));
  ASSERT_OK_AND_ASSIGN(KeygenRequest kreq2, parse_keygen_request(to_json(kstart.second)));
  EXPECT_TRUE(kreq2.p1 == kstart.second.p1 && kreq2.proof.z == kstart.second.proof.z);
  ASSERT_OK_AND_ASSIGN(auto kresp, ServiceKeygen::respond("hld_w2", kreq2, rng()));
  ASSERT_OK_AND_ASSIGN(KeygenResponse kresp2, parse_keygen_response(to_json(kresp.second)));
  EXPECT_TRUE(kstart.first.finish(kresp2, "123456", kTestIterations, rng()).ok());

  SignSessionContext ctx = session_for(e.device.public_key, {"w1", "w2"});
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, "123456", ctx, rng()));
  std::string sent = to_json(started.second);
  // The PIN proof travels once per session, and P1 never travels.
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  EXPECT_EQ(sent.find(p1.to_hex()), std::string::npos);
  ASSERT_OK_AND_ASSIGN(SignSessionRequest sreq2, parse_sign_session_request(sent, 2));
  ASSERT_EQ(sreq2.items.size(), 2u);
  ASSERT_OK_AND_ASSIGN(VerifiedSignSession v, ServiceSigner::verify_session(p1, ctx, sreq2));
  ASSERT_OK_AND_ASSIGN(std::vector<SignResponse> sresp, ServiceSigner::respond(e.service, v, rng()));
  std::vector<SignResponse> sresp2;
  for (const auto& r : sresp) {
    ASSERT_OK_AND_ASSIGN(SignResponse back, parse_sign_response(to_json(r)));
    sresp2.push_back(back);
  }
  ASSERT_OK_AND_ASSIGN(auto fin, started.first.finish(sresp2));
  ASSERT_EQ(fin.first.size(), sresp.size());
  for (size_t i = 0; i < sresp.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(SignFinish fin2, parse_sign_finish(to_json(fin.first[i])));
    EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, ctx.item(i), sresp[i].r, fin2).ok()) << i;
  }
}

}  // namespace
}  // namespace duet::cosign
