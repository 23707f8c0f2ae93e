// The PIN proof of signing step 1 (protocol v2, docs/protocol.md §5): the
// service releases nothing that depends on d2 until the PIN proof verifies,
// one proof covers the whole batch, and no answer names a failing item.
//
// Each test here fails on protocol v1, where step 2 answered r, s2, s3 to any
// valid proof of k1 — which tested the PIN offline (issue 10).
#include <gtest/gtest.h>

#include <regex>
#include <type_traits>

#include "cosign/test_util.h"
#include "cosign/wire.h"

namespace duet::cosign {
namespace {

using namespace testing;  // Point, Scalar, rng(), the roles run in-process

const std::string kPin = "482915";

// The only way to step 2b is a VerifiedSignSession, and only verify_session
// makes one: with a failing PIN proof, respond() cannot be called at all.
static_assert(!std::is_default_constructible_v<VerifiedSignSession>);
static_assert(!std::is_constructible_v<VerifiedSignSession, SignSessionContext, std::vector<Point>>);

// True when `message` holds a run of 16+ hex digits (a scalar or a point).
bool carries_hex_value(const std::string& message) { return std::regex_search(message, std::regex("[0-9a-fA-F]{16}")); }

TEST(PinProof, OfflinePinTestWorksOnAnyServiceAnswerToAWrongPin) {
  // Why v2 exists. The thief holds the device state, not the PIN. If the
  // service answered step 2 without checking the PIN (protocol v1: it
  // checked only the proof of k1, which needs no PIN), one answer would test
  // every PIN offline: only the right PIN yields a signature that verifies.
  ASSERT_ENROLLED(e, "hld_v1_attack", kPin);
  SignSessionContext ctx = session_for(e.device.public_key, {"thief"});
  Scalar k1 = Scalar::random_nonzero(rng());
  ASSERT_OK_AND_ASSIGN(Point q1, Point::mul_base(k1));
  Scalar k2 = Scalar::random_nonzero(rng()), k3 = Scalar::random_nonzero(rng());
  ASSERT_OK_AND_ASSIGN(SignResponse v1_answer, detail::service_sign_step(e.service.d2, ctx.digests[0], q1, k2, k3));
  int verified = 0;
  std::string found;
  for (std::string guess : {"000000", "111111", kPin.c_str(), "999999"}) {
    ASSERT_OK_AND_ASSIGN(Scalar d1, unwrap_share(e.device, guess));
    crypto::Sm2Signature sig{v1_answer.r, detail::device_combine(d1, k1, v1_answer)};
    if (crypto::sm2_verify_digest(e.device.public_key, ctx.digests[0], sig).ok()) {
      ++verified;
      found = guess;
    }
  }
  EXPECT_EQ(verified, 1);
  EXPECT_EQ(found, kPin);
}

TEST(PinProof, WrongPinGetsOnlyTheErrorAndNoServiceValue) {
  // The same thief under v2: its step 1 (own k1 for every item, a PIN proof
  // made with the guess) gets kPinInvalid and nothing else. No VerifiedSignSession
  // exists, so the service never computes r, s2 or s3 (static_asserts above).
  ASSERT_ENROLLED(e, "hld_thief", kPin);
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  SignSessionContext ctx = session_for(e.device.public_key, {"pay 100", "pay 200"});
  for (const char* guess : {"000000", "482914", "4829150", "1234"}) {
    // The device cannot tell (that would be an offline oracle): start succeeds.
    ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, guess, ctx, rng()));
    auto verified = ServiceSigner::verify_session(p1, ctx, started.second);
    ASSERT_FALSE(verified.ok()) << guess;
    EXPECT_EQ(verified.code(), ErrorCode::kPinInvalid) << guess;
    EXPECT_FALSE(carries_hex_value(verified.error().message)) << verified.error().message;
  }
  // A PIN proof with every item proof also broken is still answered as a PIN
  // failure: the answer depends on the PIN proof first.
  ASSERT_OK_AND_ASSIGN(auto wrong, DeviceSignSession::start(e.device, "000000", ctx, rng()));
  SignSessionRequest broken = wrong.second;
  for (auto& item : broken.items) item.proof.z = item.proof.z + Scalar::one();
  EXPECT_EQ(ServiceSigner::verify_session(p1, ctx, broken).code(), ErrorCode::kPinInvalid);
  // The right PIN goes through.
  ASSERT_OK_AND_ASSIGN(auto right, DeviceSignSession::start(e.device, kPin, ctx, rng()));
  EXPECT_TRUE(ServiceSigner::verify_session(p1, ctx, right.second).ok());
}

TEST(PinProof, AProofForAnotherP1NeverVerifies) {
  // A PIN proof only convinces the holder of P1: a correct proof for a P1 of
  // the thief's own choosing (it knows u) is refused, since the verifier uses
  // its own P1 and the request carries none.
  ASSERT_ENROLLED(e, "hld_own_p1", kPin);
  ASSERT_ENROLLED(other, "hld_other", kPin);
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  SignSessionContext ctx = session_for(e.device.public_key, {"doc"});
  // Another holder's state with its right PIN makes a valid proof for its own P1.
  ASSERT_OK_AND_ASSIGN(auto foreign, DeviceSignSession::start(other.device, kPin, ctx, rng()));
  EXPECT_EQ(ServiceSigner::verify_session(p1, ctx, foreign.second).code(), ErrorCode::kPinInvalid);
}

// Builds step 1 by hand: items with proofs of fresh k1 over `item_ctx` (item
// `bad` gets a broken proof), and a PIN proof of `u` over `pin_ctx`'s digests
// and the items' Q1.
Result<SignSessionRequest> hand_made_request(const Scalar& u, const SignSessionContext& item_ctx,
                                             const SignSessionContext& pin_ctx, std::optional<size_t> bad) {
  SignSessionRequest request{{}, {Point::generator(), Scalar::zero()}};
  for (size_t i = 0; i < item_ctx.digests.size(); ++i) {
    Scalar k1 = Scalar::random_nonzero(rng());
    DUET_ASSIGN_OR_RETURN(Point q1, Point::mul_base(k1));
    DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainSignDevice, Point::generator(), k1, q1,
                                                    sign_context(item_ctx.item(i)), rng()));
    if (bad == i) proof.z = proof.z + Scalar::one();
    request.items.push_back(SignRequest{q1, proof});
  }
  DUET_ASSIGN_OR_RETURN(Point p1, Point::mul_base(u));
  DUET_ASSIGN_OR_RETURN(Bytes context, pin_proof_context(pin_ctx, request.items));
  DUET_ASSIGN_OR_RETURN(request.pin_proof, prove(kDomainSignPin, Point::generator(), u, p1, context, rng()));
  return request;
}

TEST(PinProof, ABadItemIsRefusedWholeWithoutNamingIt) {
  ASSERT_ENROLLED(e, "hld_batch", kPin);
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  ASSERT_OK_AND_ASSIGN(Scalar d1, unwrap_share(e.device, kPin));
  ASSERT_OK_AND_ASSIGN(Scalar u, d1.inverse());
  SignSessionContext ctx = session_for(e.device.public_key, {"a", "b", "c", "d"});
  ASSERT_OK_AND_ASSIGN(SignSessionRequest good, hand_made_request(u, ctx, ctx, std::nullopt));
  EXPECT_TRUE(ServiceSigner::verify_session(p1, ctx, good).ok());
  // Whichever item is bad, the answer is the same code and the same text:
  // no index, no value. One attempt tells nothing about any single item.
  std::optional<Error> first;
  for (size_t bad = 0; bad < ctx.digests.size(); ++bad) {
    ASSERT_OK_AND_ASSIGN(SignSessionRequest request, hand_made_request(u, ctx, ctx, bad));
    auto verified = ServiceSigner::verify_session(p1, ctx, request);
    ASSERT_FALSE(verified.ok()) << bad;
    EXPECT_EQ(verified.code(), ErrorCode::kBadProof) << bad;
    const std::string& message = verified.error().message;
    EXPECT_EQ(message.find_first_of("0123456789["), std::string::npos) << message;
    if (!first) first = verified.error();
    EXPECT_EQ(message, first->message) << bad;
  }
}

TEST(PinProof, ThePinProofBindsTheWholeBatchInOrder) {
  ASSERT_ENROLLED(e, "hld_bind", kPin);
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  SignSessionContext ctx = session_for(e.device.public_key, {"first", "second", "third"});
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, kPin, ctx, rng()));
  const SignSessionRequest& genuine = started.second;
  ASSERT_TRUE(ServiceSigner::verify_session(p1, ctx, genuine).ok());

  // Reordered: items and digests swapped together keep every item proof
  // valid, but the PIN proof covered the other order.
  SignSessionRequest reordered = genuine;
  SignSessionContext reordered_ctx = ctx;
  std::swap(reordered.items[0], reordered.items[1]);
  std::swap(reordered_ctx.digests[0], reordered_ctx.digests[1]);
  EXPECT_EQ(ServiceSigner::verify_session(p1, reordered_ctx, reordered).code(), ErrorCode::kPinInvalid);

  // A dropped item: the first two items with the first two digests.
  SignSessionRequest dropped = genuine;
  dropped.items.pop_back();
  SignSessionContext dropped_ctx = ctx;
  dropped_ctx.digests.pop_back();
  EXPECT_EQ(ServiceSigner::verify_session(p1, dropped_ctx, dropped).code(), ErrorCode::kPinInvalid);

  // Another session of the same order and digests: its items with this PIN
  // proof (other Q1s), and this PIN proof under the other session id.
  ASSERT_OK_AND_ASSIGN(auto again, DeviceSignSession::start(e.device, kPin, ctx, rng()));
  SignSessionRequest other_q1 = again.second;
  other_q1.pin_proof = genuine.pin_proof;
  EXPECT_EQ(ServiceSigner::verify_session(p1, ctx, other_q1).code(), ErrorCode::kPinInvalid);
  SignSessionContext other_session = ctx;
  other_session.session_id = "ses_2";
  EXPECT_EQ(ServiceSigner::verify_session(p1, other_session, genuine).code(), ErrorCode::kPinInvalid);

  // A swapped e: item proofs made for a batch with another second digest
  // (all valid there), the PIN proof made with the PIN over the original e.
  ASSERT_OK_AND_ASSIGN(Scalar d1, unwrap_share(e.device, kPin));
  ASSERT_OK_AND_ASSIGN(Scalar u, d1.inverse());
  SignSessionContext swapped_e = ctx;
  swapped_e.digests[1] = digests_for(e.device.public_key, {"forged"})[0];
  ASSERT_OK_AND_ASSIGN(SignSessionRequest mixed, hand_made_request(u, swapped_e, ctx, std::nullopt));
  EXPECT_EQ(ServiceSigner::verify_session(p1, swapped_e, mixed).code(), ErrorCode::kPinInvalid);
  ASSERT_OK_AND_ASSIGN(SignSessionRequest consistent, hand_made_request(u, swapped_e, swapped_e, std::nullopt));
  EXPECT_TRUE(ServiceSigner::verify_session(p1, swapped_e, consistent).ok());
}

TEST(PinProof, CountsAndContextsThatDoNotMatchAreRefused) {
  ASSERT_ENROLLED(e, "hld_counts", kPin);
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  SignSessionContext ctx = session_for(e.device.public_key, {"x", "y"});
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, kPin, ctx, rng()));
  SignSessionContext one = ctx;
  one.digests.pop_back();
  EXPECT_EQ(ServiceSigner::verify_session(p1, one, started.second).code(), ErrorCode::kInvalidArgument);
  SignSessionContext none = ctx;
  none.digests.clear();
  EXPECT_EQ(ServiceSigner::verify_session(p1, none, SignSessionRequest{{}, started.second.pin_proof}).code(),
            ErrorCode::kInvalidArgument);
  SignSessionContext no_order = ctx;
  no_order.order_id.clear();
  EXPECT_EQ(ServiceSigner::verify_session(p1, no_order, started.second).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(DeviceSignSession::start(e.device, kPin, no_order, rng()).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(DeviceSignSession::start(e.device, kPin, none, rng()).code(), ErrorCode::kInvalidArgument);
}

TEST(PinProof, P1FromTheRecordAndDerivedP1GiveTheSameResults) {
  ASSERT_ENROLLED(e, "hld_p1", kPin);
  ASSERT_TRUE(e.service.p1.has_value());
  Enrolled legacy{e.device, ServiceKeyShare{e.service.d2, e.service.public_key, std::nullopt}};
  ASSERT_OK_AND_ASSIGN(Point stored, e.service.p1_or_derive());
  ASSERT_OK_AND_ASSIGN(Point derived, legacy.service.p1_or_derive());
  EXPECT_TRUE(stored == derived);
  SignSessionContext ctx = session_for(e.device.public_key, {"same"});
  for (const Enrolled* pair : {&e, &legacy}) {
    ASSERT_OK_AND_ASSIGN(auto sigs, sign_session(*pair, kPin, ctx, rng()));
    EXPECT_EQ(sigs.size(), 1u);
    EXPECT_EQ(sign_session(*pair, "000000", ctx, rng()).code(), ErrorCode::kPinInvalid);
  }
  // One request is judged alike against either P1.
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, kPin, ctx, rng()));
  EXPECT_TRUE(ServiceSigner::verify_session(stored, ctx, started.second).ok());
  EXPECT_TRUE(ServiceSigner::verify_session(derived, ctx, started.second).ok());
}

TEST(PinProof, V1ShareRecordsParseAndReserializeAsV2) {
  ASSERT_ENROLLED(e, "hld_v1rec", kPin);
  // A record as protocol v1 sealed it: JSON without P1.
  std::string v1 = R"({"d2":")" + e.service.d2.to_hex() + R"(","public_key":")" + e.service.public_key.to_hex() +
                   R"(","v":1})";
  ASSERT_OK_AND_ASSIGN(ServiceKeyShare legacy, ServiceKeyShare::parse(as_bytes(v1)));
  EXPECT_FALSE(legacy.p1.has_value());
  EXPECT_TRUE(legacy.d2 == e.service.d2 && legacy.public_key == e.service.public_key);
  ASSERT_OK_AND_ASSIGN(SecretBytes resealed, legacy.serialize());
  ASSERT_EQ(resealed.size(), 1 + Scalar::kSize + 2 * Point::kSize);
  EXPECT_EQ(resealed.data()[0], 0x02);
  ASSERT_OK_AND_ASSIGN(ServiceKeyShare upgraded, ServiceKeyShare::parse(resealed.view()));
  ASSERT_TRUE(upgraded.p1.has_value());
  EXPECT_TRUE(*upgraded.p1 == *e.service.p1);  // the P1 the device sent at key generation
  // The upgraded record serializes to the same bytes as a record written by keygen.
  ASSERT_OK_AND_ASSIGN(SecretBytes from_keygen, e.service.serialize());
  EXPECT_TRUE(std::equal(resealed.view().begin(), resealed.view().end(), from_keygen.view().begin(),
                         from_keygen.view().end()));
  // The upgraded record signs with the holder's device.
  Enrolled after{e.device, upgraded};
  EXPECT_TRUE(sign_session(after, kPin, session_for(e.device.public_key, {"upgraded"}), rng()).ok());
}

TEST(PinProof, V1SignRequestsAreRefusedWithUpgradeRequired) {
  ASSERT_ENROLLED(e, "hld_v1wire", kPin);
  SignSessionContext ctx = session_for(e.device.public_key, {"v1"});
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, kPin, ctx, rng()));
  // A v1 step 1 is the items without a PIN proof.
  std::string v1 = R"({"items":[)" + to_json(started.second.items[0]) + "]}";
  EXPECT_EQ(parse_sign_session_request(v1, 10).code(), ErrorCode::kClientUpgradeRequired);
  EXPECT_TRUE(parse_sign_session_request(to_json(started.second), 10).ok());
}

// k1 is derived from (order, session, e, item position): a batch holding one
// document twice must not repeat k1 even when the random source is broken.
TEST(PinProof, TwoItemsWithOneDocumentUseTwoNoncesEvenWithAStuckRandomSource) {
  // The hedged k1 must differ per item: one k1 answered twice (two items with
  // the same e in one session) gives two equations for d1 to a service that
  // answers both.
  ASSERT_ENROLLED(e, "hld_same_doc", kPin);
  StuckRandom stuck;
  SignSessionContext ctx = session_for(e.device.public_key, {"same document", "same document"});
  ASSERT_OK_AND_ASSIGN(auto started, DeviceSignSession::start(e.device, kPin, ctx, stuck));
  EXPECT_FALSE(started.second.items[0].q1 == started.second.items[1].q1);
}

}  // namespace
}  // namespace duet::cosign
