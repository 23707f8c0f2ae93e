#include <gtest/gtest.h>

#include "cosign/attempts.h"
#include "cosign/nonce.h"
#include "cosign/test_util.h"
#include "cosign/wire.h"
#include "crypto/sm2_evp.h"

namespace duet::cosign {
namespace {

using crypto::Point;
using crypto::Scalar;
using namespace testing;

crypto::SystemRandom& rng() { return crypto::SystemRandom::instance(); }

TEST(Cosign, KeygenAndSignVerifyWithOpenSsl) {
  Enrolled e = enroll("hld_alice", "123456", rng());
  EXPECT_TRUE(e.device.public_key == e.service.public_key);
  std::string msg = "contract #42";
  SignContext ctx = context_for(e.device.public_key, as_bytes(msg));
  auto sig = sign_once(e, "123456", ctx, rng());
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  EXPECT_TRUE(crypto::evp_sm2_verify(e.device.public_key, as_bytes(msg), sig->to_der()).ok());
}

TEST(Cosign, WrongPinGivesInvalidSignatureTheServiceRejects) {
  Enrolled e = enroll("hld_bob", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("pay 100"));
  auto [device, request] = *DeviceSigner::start(e.device, "654321", ctx, rng());
  auto response = ServiceSigner::respond(e.service, ctx, request, rng());
  ASSERT_TRUE(response.ok());  // the service cannot tell yet: the attempt is counted
  auto finished = device.finish(*response);
  EXPECT_EQ(finished.code(), ErrorCode::kSignatureInvalid);  // device releases nothing
  // What a device that skipped its check would send is refused by the service.
  SignFinish forged{*device.unchecked_s(*response)};
  EXPECT_EQ(ServiceSigner::finish(e.service.public_key, ctx, response->r, forged).code(),
            ErrorCode::kSignatureInvalid);
}

TEST(Cosign, PinChangeKeepsSigningAndOldPinFails) {
  Enrolled e = enroll("hld_carol", "111111", rng());
  auto changed = e.device.change_pin("111111", "222222", rng());
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->kdf.salt == e.device.kdf.salt);
  Enrolled after{*changed, e.service};
  SignContext ctx = context_for(e.device.public_key, as_bytes("m"));
  EXPECT_TRUE(sign_once(after, "222222", ctx, rng()).ok());
  EXPECT_EQ(sign_once(after, "111111", ctx, rng()).code(), ErrorCode::kSignatureInvalid);
  EXPECT_EQ(e.device.change_pin("111111", "12", rng()).code(), ErrorCode::kInvalidArgument);
}

TEST(Cosign, DeviceStateHoldsNoPinNoP1AndRoundTrips) {
  const std::string pin = "918273";
  Enrolled e = enroll("hld_dave", pin, rng());
  SecretBytes blob = e.device.serialize();
  std::string text(reinterpret_cast<const char*>(blob.data()), blob.size());
  EXPECT_FALSE(contains_pin_in_clear(text, pin)) << text;
  Scalar d1 = *unwrap_share(e.device, pin);
  Point p1 = *Point::mul_base(*d1.inverse());
  EXPECT_EQ(text.find(p1.to_hex()), std::string::npos);
  EXPECT_EQ(text.find(to_hex(p1.x_bytes())), std::string::npos);
  EXPECT_EQ(text.find(d1.to_hex()), std::string::npos);
  auto back = DeviceState::parse(blob.view());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_TRUE(back->public_key == e.device.public_key && back->wrapped_share == e.device.wrapped_share);
  EXPECT_EQ(back->holder_id, "hld_dave");
  // Every PIN unwraps to *some* non-zero d1: there is nothing to test a guess against.
  for (const char* guess : {"000000", "123456", "999999"}) EXPECT_TRUE(unwrap_share(*back, guess).ok());
}

TEST(Cosign, DeviceStateParseIsStrict) {
  EXPECT_EQ(DeviceState::parse(as_bytes("{}")).code(), ErrorCode::kBadState);
  EXPECT_EQ(DeviceState::parse(as_bytes("nonsense")).code(), ErrorCode::kBadState);
  EXPECT_EQ(DeviceState::parse(as_bytes(R"({"v":2})")).code(), ErrorCode::kUnsupportedVersion);
  Enrolled e = enroll("hld_x", "123456", rng());
  SecretBytes blob = e.device.serialize();
  std::string text(reinterpret_cast<const char*>(blob.data()), blob.size());
  std::string bad = text;
  bad.replace(bad.find(e.device.public_key.to_hex()), 130, std::string(130, '0'));
  EXPECT_EQ(DeviceState::parse(as_bytes(bad)).code(), ErrorCode::kBadState);
}

TEST(Cosign, ServiceShareRoundTrips) {
  Enrolled e = enroll("hld_y", "123456", rng());
  SecretBytes blob = e.service.serialize();
  auto back = ServiceKeyShare::parse(blob.view());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->d2 == e.service.d2 && back->public_key == e.service.public_key);
  EXPECT_EQ(ServiceKeyShare::parse(as_bytes(R"({"v":1,"d2":"00","public_key":"04"})")).code(), ErrorCode::kBadState);
}

TEST(Cosign, ProofReplayedUnderAnotherOrderOrSessionIsRejected) {
  Enrolled e = enroll("hld_eve", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("doc"), "ord_a", "ses_a");
  auto [device, request] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  SignContext other_order = ctx, other_session = ctx, other_digest = ctx;
  other_order.order_id = "ord_b";
  other_session.session_id = "ses_b";
  other_digest.e[0] ^= 1;
  for (const SignContext& c : {other_order, other_session, other_digest}) {
    EXPECT_EQ(ServiceSigner::respond(e.service, c, request, rng()).code(), ErrorCode::kBadProof);
  }
  EXPECT_TRUE(ServiceSigner::respond(e.service, ctx, request, rng()).ok());
}

TEST(Cosign, TamperedServiceReplyIsCaughtByTheDevice) {
  Enrolled e = enroll("hld_f", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("doc"));
  auto [device, request] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  SignResponse good = *ServiceSigner::respond(e.service, ctx, request, rng());
  for (int field = 0; field < 3; ++field) {
    SignResponse bad = good;
    Scalar& target = field == 0 ? bad.r : field == 1 ? bad.s2 : bad.s3;
    target = target + Scalar::one();
    EXPECT_EQ(device.finish(bad).code(), ErrorCode::kSignatureInvalid) << field;
  }
  // The device's state is unchanged by the failures: the genuine reply still works.
  EXPECT_TRUE(device.finish(good).ok());
}

TEST(Cosign, DeviceReleasesAtMostOneSPerNonce) {
  // A malicious service holding d2 can make two valid replies for one Q1; two
  // released s values for one k1 would reveal d1. The second finish is refused.
  Enrolled e = enroll("hld_once", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("once"));
  auto [device, request] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  SignResponse first = *ServiceSigner::respond(e.service, ctx, request, rng());
  SignResponse second = *ServiceSigner::respond(e.service, ctx, request, rng());
  EXPECT_FALSE(first.r == second.r);
  ASSERT_TRUE(device.finish(first).ok());
  EXPECT_EQ(device.finish(second).code(), ErrorCode::kBadState);
  EXPECT_EQ(device.finish(first).code(), ErrorCode::kBadState);
  EXPECT_EQ(device.unchecked_s(second).code(), ErrorCode::kBadState);
}

TEST(Cosign, DeviceRefusesZeroValuesInTheReply) {
  // s2 = 0 would make s + r = d1·s3 and expose d1.
  Enrolled e = enroll("hld_zero", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("zero"));
  auto [device, request] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  SignResponse good = *ServiceSigner::respond(e.service, ctx, request, rng());
  for (int field = 0; field < 3; ++field) {
    SignResponse bad = good;
    (field == 0 ? bad.r : field == 1 ? bad.s2 : bad.s3) = Scalar::zero();
    EXPECT_EQ(device.finish(bad).code(), ErrorCode::kBadScalar) << field;
  }
  EXPECT_TRUE(device.finish(good).ok());
}

TEST(Cosign, ServiceRetriesWhenRIsZero) {
  crypto::DeterministicRandom r(as_bytes("r0"));
  Scalar d2 = Scalar::random_nonzero(r), k2 = Scalar::random_nonzero(r), k3 = Scalar::random_nonzero(r);
  Point q1 = *Point::mul_base(Scalar::random_nonzero(r));
  Point x = *(*q1.mul(k3)).add(*Point::mul_base(k2));
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
  EXPECT_TRUE(detail::device_combine(d1, k1, resp) == d1 * k1 * resp.s2 + d1 * resp.s3 - resp.r);
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
  // Signing two messages with a stuck RNG still uses different Q1.
  Enrolled e = enroll("hld_g", "123456", rng());
  auto s1 = DeviceSigner::start(e.device, "123456", context_for(e.device.public_key, as_bytes("m1")), stuck);
  auto s2 = DeviceSigner::start(e.device, "123456", context_for(e.device.public_key, as_bytes("m2")), stuck);
  EXPECT_FALSE(s1->second.q1 == s2->second.q1);
}

TEST(AttemptCounter, FiveConsecutiveFailuresLock) {
  AttemptCounter c;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.attempts_left(), 5 - i);
    EXPECT_TRUE(c.begin_attempt());
  }
  EXPECT_TRUE(c.locked());
  EXPECT_FALSE(c.begin_attempt());
  EXPECT_EQ(c.consecutive_failures(), 5);
  c.unlock();
  EXPECT_EQ(c.attempts_left(), 5);
  EXPECT_TRUE(c.begin_attempt());
  c.record_success();
  EXPECT_EQ(c.attempts_left(), 5);
}

TEST(AttemptCounter, WrongPinsThroughTheProtocolLockTheKey) {
  Enrolled e = enroll("hld_h", "123456", rng());
  AttemptCounter counter;
  SignContext ctx = context_for(e.device.public_key, as_bytes("m"));
  int tried = 0;
  for (std::string pin : {"000001", "000002", "000003", "000004", "000005", "123456"}) {
    if (!counter.begin_attempt()) break;  // counted before the service answers
    ++tried;
    if (sign_once(e, pin, ctx, rng()).ok()) counter.record_success();
  }
  EXPECT_EQ(tried, 5);
  EXPECT_TRUE(counter.locked());  // the right PIN came too late
}

TEST(Wire, MessagesRoundTrip) {
  Enrolled e = enroll("hld_w", "123456", rng());
  auto [keygen, kreq] = *DeviceKeygen::start("hld_w2", rng());
  auto kreq2 = parse_keygen_request(to_json(kreq));
  ASSERT_TRUE(kreq2.ok());
  EXPECT_TRUE(kreq2->p1 == kreq.p1 && kreq2->proof.z == kreq.proof.z);
  auto [share, kresp] = *ServiceKeygen::respond("hld_w2", *kreq2, rng());
  auto kresp2 = parse_keygen_response(to_json(kresp));
  ASSERT_TRUE(kresp2.ok());
  EXPECT_TRUE(keygen.finish(*kresp2, "123456", kTestIterations, rng()).ok());

  SignContext ctx = context_for(e.device.public_key, as_bytes("w"));
  auto [device, sreq] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  auto sreq2 = parse_sign_request(to_json(sreq));
  ASSERT_TRUE(sreq2.ok());
  auto sresp = ServiceSigner::respond(e.service, ctx, *sreq2, rng());
  ASSERT_TRUE(sresp.ok());
  auto sresp2 = parse_sign_response(to_json(*sresp));
  ASSERT_TRUE(sresp2.ok());
  auto fin = device.finish(*sresp2);
  ASSERT_TRUE(fin.ok());
  auto fin2 = parse_sign_finish(to_json(fin->first));
  ASSERT_TRUE(fin2.ok());
  EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, ctx, sresp->r, *fin2).ok());
}

}  // namespace
}  // namespace duet::cosign
