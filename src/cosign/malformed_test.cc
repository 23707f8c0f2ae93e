// Every malformed message is rejected with its typed error, and the receiving
// role's state is unchanged (the genuine message still succeeds afterwards).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cosign/test_util.h"
#include "cosign/wire.h"

namespace duet::cosign {
namespace {

using nlohmann::json;
using namespace testing;  // Point, Scalar, rng(), the roles run in-process

const std::string kOrderHex = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123";

std::string off_curve_point() {
  std::string g = Point::generator().to_hex();
  g.back() = g.back() == '0' ? '1' : '0';
  return g;
}
std::string infinity_point() { return "04" + std::string(128, '0'); }

// The value at the first `depth` keys of `path`; a key of digits indexes an array.
json& at_path(json& j, const std::vector<std::string>& path, size_t depth) {
  json* p = &j;
  for (size_t i = 0; i < depth; ++i) {
    p = p->is_array() ? &(*p)[std::stoul(path[i])] : &(*p)[path[i]];
  }
  return *p;
}

struct Mutation {
  std::string name;
  std::function<void(json&)> apply;
  ErrorCode expected;
};

// Mutations of a point field and of a scalar field at a JSON path.
std::vector<Mutation> point_mutations(std::vector<std::string> path) {
  auto at = [path](json& j) -> json& { return at_path(j, path, path.size()); };
  return {
      {"off-curve", [=](json& j) { at(j) = off_curve_point(); }, ErrorCode::kBadPoint},
      {"infinity", [=](json& j) { at(j) = infinity_point(); }, ErrorCode::kBadPoint},
      {"compressed", [=](json& j) { at(j) = "02" + at(j).get<std::string>().substr(2, 64); }, ErrorCode::kBadEncoding},
      {"truncated", [=](json& j) { at(j) = at(j).get<std::string>().substr(0, 128); }, ErrorCode::kBadEncoding},
      {"oversized", [=](json& j) { at(j) = at(j).get<std::string>() + "00"; }, ErrorCode::kBadEncoding},
      {"non-hex", [=](json& j) { std::string s = at(j); s[5] = 'x'; at(j) = s; }, ErrorCode::kBadEncoding},
      {"number", [=](json& j) { at(j) = 7; }, ErrorCode::kBadEncoding},
      {"missing", [=](json& j) { at_path(j, path, path.size() - 1).erase(path.back()); }, ErrorCode::kBadEncoding},
  };
}

std::vector<Mutation> scalar_mutations(std::vector<std::string> path, bool zero_allowed) {
  auto at = [path](json& j) -> json& { return at_path(j, path, path.size()); };
  std::vector<Mutation> m = {
      {"equal-n", [=](json& j) { at(j) = kOrderHex; }, ErrorCode::kBadScalar},
      {"all-ff", [=](json& j) { at(j) = std::string(64, 'f'); }, ErrorCode::kBadScalar},
      {"truncated", [=](json& j) { at(j) = at(j).get<std::string>().substr(0, 62); }, ErrorCode::kBadEncoding},
      {"oversized", [=](json& j) { at(j) = "00" + at(j).get<std::string>(); }, ErrorCode::kBadEncoding},
      {"null", [=](json& j) { at(j) = nullptr; }, ErrorCode::kBadEncoding},
  };
  if (!zero_allowed) m.push_back({"zero", [=](json& j) { at(j) = std::string(64, '0'); }, ErrorCode::kBadScalar});
  return m;
}

template <typename Parse>
void expect_all_rejected(const std::string& genuine, const std::vector<Mutation>& mutations, Parse parse) {
  for (const auto& m : mutations) {
    json j = json::parse(genuine);
    m.apply(j);
    auto r = parse(j.dump());
    EXPECT_EQ(r.code(), m.expected) << m.name << " -> " << (r.ok() ? "accepted" : r.error().to_string());
  }
  EXPECT_EQ(parse("not json").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(parse("[1,2]").code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(parse("").code(), ErrorCode::kBadEncoding);
}

// A signing session of one item with the right PIN, up to the service's answer.
struct Session {
  SignSessionContext ctx;
  DeviceSignSession device;
  SignSessionRequest request;
};
Result<Session> start_session(const Enrolled& e, const std::vector<std::string>& messages) {
  SignSessionContext ctx = session_for(e.device.public_key, messages);
  DUET_ASSIGN_OR_RETURN(auto started, DeviceSignSession::start(e.device, "123456", ctx, rng()));
  return Session{std::move(ctx), std::move(started.first), std::move(started.second)};
}

TEST(Malformed, SignSessionRequest) {
  ASSERT_ENROLLED(e, "hld_m", "123456");
  ASSERT_OK_AND_ASSIGN(Session s, start_session(e, {"m", "n"}));
  std::string genuine = to_json(s.request);
  std::vector<Mutation> muts;
  for (const char* item : {"0", "1"}) {
    for (auto& m : point_mutations({"items", item, "q1"})) muts.push_back(m);
    for (auto& m : point_mutations({"items", item, "proof", "t"})) muts.push_back(m);
    for (auto& m : scalar_mutations({"items", item, "proof", "z"}, true)) muts.push_back(m);
  }
  for (auto& m : point_mutations({"pin_proof", "t"})) {
    // A missing pin_proof.t is a malformed v2 message, not a v1 one.
    muts.push_back(m);
  }
  for (auto& m : scalar_mutations({"pin_proof", "z"}, true)) muts.push_back(m);
  muts.push_back({"pin_proof not an object", [](json& j) { j["pin_proof"] = "00"; }, ErrorCode::kBadEncoding});
  muts.push_back({"items not an array", [](json& j) { j["items"] = json::object(); }, ErrorCode::kBadEncoding});
  muts.push_back({"item not an object", [](json& j) { j["items"][1] = 5; }, ErrorCode::kBadEncoding});
  muts.push_back({"no items", [](json& j) { j["items"] = json::array(); }, ErrorCode::kInvalidArgument});
  muts.push_back({"too many items", [](json& j) { j["items"].push_back(j["items"][0]); }, ErrorCode::kInvalidArgument});
  // A v1 step 1: items without a PIN proof.
  muts.push_back({"v1 (no pin_proof)", [](json& j) { j.erase("pin_proof"); }, ErrorCode::kClientUpgradeRequired});
  expect_all_rejected(genuine, muts, [](std::string_view text) { return parse_sign_session_request(text, 2); });

  // Well-formed but wrong: a broken item proof with the right PIN proof is
  // bad_proof. Breaking z, T or Q1 of an item also breaks the PIN proof when
  // Q1 changes (the PIN proof covers every Q1), so that one is pin_invalid.
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  SignSessionRequest wrong_z = s.request;
  wrong_z.items[0].proof.z = wrong_z.items[0].proof.z + Scalar::one();
  EXPECT_EQ(ServiceSigner::verify_session(p1, s.ctx, wrong_z).code(), ErrorCode::kBadProof);
  SignSessionRequest wrong_t = s.request;
  wrong_t.items[1].proof.t = Point::generator();
  EXPECT_EQ(ServiceSigner::verify_session(p1, s.ctx, wrong_t).code(), ErrorCode::kBadProof);
  SignSessionRequest zero_z = s.request;
  zero_z.items[0].proof.z = Scalar::zero();
  EXPECT_EQ(ServiceSigner::verify_session(p1, s.ctx, zero_z).code(), ErrorCode::kBadProof);
  SignSessionRequest swapped_q = s.request;
  ASSERT_OK_AND_ASSIGN(swapped_q.items[0].q1, Point::mul_base(Scalar::from_u64(99)));
  EXPECT_EQ(ServiceSigner::verify_session(p1, s.ctx, swapped_q).code(), ErrorCode::kPinInvalid);
  SignSessionRequest wrong_pin_z = s.request;
  wrong_pin_z.pin_proof.z = wrong_pin_z.pin_proof.z + Scalar::one();
  EXPECT_EQ(ServiceSigner::verify_session(p1, s.ctx, wrong_pin_z).code(), ErrorCode::kPinInvalid);
  SignSessionRequest wrong_pin_t = s.request;
  wrong_pin_t.pin_proof.t = Point::generator();
  EXPECT_EQ(ServiceSigner::verify_session(p1, s.ctx, wrong_pin_t).code(), ErrorCode::kPinInvalid);
  // The genuine request still goes through: the failures changed nothing.
  ASSERT_OK_AND_ASSIGN(VerifiedSignSession v, ServiceSigner::verify_session(p1, s.ctx, s.request));
  ASSERT_OK_AND_ASSIGN(std::vector<SignResponse> responses, ServiceSigner::respond(e.service, v, rng()));
  ASSERT_OK_AND_ASSIGN(auto fin, s.device.finish(responses));
  for (size_t i = 0; i < responses.size(); ++i) {
    EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, s.ctx.item(i), responses[i].r, fin.first[i]).ok());
  }
}

TEST(Malformed, SignResponseAndFinish) {
  ASSERT_ENROLLED(e, "hld_n", "123456");
  ASSERT_OK_AND_ASSIGN(Session s, start_session(e, {"n"}));
  ASSERT_OK_AND_ASSIGN(Point p1, e.service.p1_or_derive());
  ASSERT_OK_AND_ASSIGN(VerifiedSignSession v, ServiceSigner::verify_session(p1, s.ctx, s.request));
  ASSERT_OK_AND_ASSIGN(std::vector<SignResponse> responses, ServiceSigner::respond(e.service, v, rng()));
  ASSERT_EQ(responses.size(), 1u);
  std::vector<Mutation> muts;
  for (const char* f : {"r", "s2", "s3"}) {
    for (auto& m : scalar_mutations({f}, false)) muts.push_back(m);
  }
  expect_all_rejected(to_json(responses[0]), muts, parse_sign_response);

  ASSERT_OK_AND_ASSIGN(auto fin, s.device.finish(responses));
  expect_all_rejected(to_json(fin.first[0]), scalar_mutations({"s"}, false), parse_sign_finish);
  // A wrong s (well-formed) is signature_invalid; the right one still verifies.
  SignFinish wrong{fin.first[0].s + Scalar::one()};
  EXPECT_EQ(ServiceSigner::finish(e.service.public_key, s.ctx.item(0), responses[0].r, wrong).code(),
            ErrorCode::kSignatureInvalid);
  EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, s.ctx.item(0), responses[0].r, fin.first[0]).ok());
}

TEST(Malformed, KeygenMessages) {
  ASSERT_OK_AND_ASSIGN(auto started, DeviceKeygen::start("hld_k", rng()));
  auto& [keygen, request] = started;
  auto muts = point_mutations({"p1"});
  for (auto& m : point_mutations({"proof", "t"})) muts.push_back(m);
  for (auto& m : scalar_mutations({"proof", "z"}, true)) muts.push_back(m);
  expect_all_rejected(to_json(request), muts, parse_keygen_request);

  // A proof for another holder, or a P1 without its proof, is refused.
  EXPECT_EQ(ServiceKeygen::respond("hld_other", request, rng()).code(), ErrorCode::kBadProof);
  KeygenRequest forged = request;
  ASSERT_OK_AND_ASSIGN(forged.p1, Point::mul_base(Scalar::from_u64(5)));
  EXPECT_EQ(ServiceKeygen::respond("hld_k", forged, rng()).code(), ErrorCode::kBadProof);

  ASSERT_OK_AND_ASSIGN(auto responded, ServiceKeygen::respond("hld_k", request, rng()));
  auto& [share, response] = responded;
  EXPECT_TRUE(share.p1.has_value() && *share.p1 == request.p1);  // sealed with d2 (format v2)
  auto rmuts = point_mutations({"public_key"});
  for (auto& m : scalar_mutations({"proof", "z"}, true)) rmuts.push_back(m);
  expect_all_rejected(to_json(response), rmuts, parse_keygen_response);
  // A substituted public key (no proof for it) is refused by the device.
  KeygenResponse substituted = response;
  ASSERT_OK_AND_ASSIGN(substituted.public_key, Point::mul_base(Scalar::from_u64(77)));
  EXPECT_EQ(keygen.finish(substituted, "123456", kTestIterations, rng()).code(), ErrorCode::kBadProof);
  // P = −G would make P + G infinity.
  KeygenResponse minus_g = response;
  ASSERT_OK_AND_ASSIGN(minus_g.public_key, Point::mul_base(Scalar::one().negate()));
  EXPECT_EQ(keygen.finish(minus_g, "123456", kTestIterations, rng()).code(), ErrorCode::kBadPoint);
  // Bad PINs are refused before anything is stored.
  EXPECT_EQ(keygen.finish(response, "12", kTestIterations, rng()).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(keygen.finish(response, "123456", kTestIterations, rng()).ok());
}

TEST(Malformed, EmptyIdsAreRefused) {
  EXPECT_EQ(DeviceKeygen::start("", rng()).code(), ErrorCode::kInvalidArgument);
  ASSERT_ENROLLED(e, "hld_i", "123456");
  for (auto [order, session] : {std::pair{"", "ses"}, std::pair{"ord", ""}}) {
    SignSessionContext ctx = session_for(e.device.public_key, {"i"}, order, session);
    EXPECT_EQ(DeviceSignSession::start(e.device, "123456", ctx, rng()).code(), ErrorCode::kInvalidArgument);
  }
}

// The batch check of proofs on G (verify_session's fast path): valid proofs
// pass; one bad proof fails; and two bad proofs whose errors cancel in a plain
// sum (z_0 + δ, z_1 − δ) fail too, which only the random weights catch.
TEST(ProofBatch, WeightsCatchErrorsThatCancelInASum) {
  const Bytes ctx0 = {'a'}, ctx1 = {'b'}, ctx2 = {'c'};
  std::vector<Scalar> x;
  std::vector<Point> xp;
  std::vector<SchnorrProof> proofs;
  const Bytes* contexts[] = {&ctx0, &ctx1, &ctx2};
  for (int i = 0; i < 3; ++i) {
    x.push_back(Scalar::random_nonzero(rng()));
    xp.push_back(*Point::mul_base(x.back()));
    proofs.push_back(*prove(kDomainSignDevice, Point::generator(), x.back(), xp.back(), *contexts[i], rng()));
  }
  auto batch_of = [&](const std::vector<SchnorrProof>& ps) {
    std::vector<ProofOnG> b;
    for (size_t i = 0; i < ps.size(); ++i) b.push_back(ProofOnG{kDomainSignDevice, &xp[i], &ps[i], *contexts[i]});
    return verify_batch_on_g(b);
  };
  EXPECT_TRUE(batch_of(proofs));
  EXPECT_TRUE(verify_batch_on_g({}));
  std::vector<SchnorrProof> one_bad = proofs;
  one_bad[2].z = one_bad[2].z + Scalar::one();
  EXPECT_FALSE(batch_of(one_bad));
  std::vector<SchnorrProof> cancelling = proofs;
  const Scalar delta = Scalar::random_nonzero(rng());
  cancelling[0].z = cancelling[0].z + delta;
  cancelling[1].z = cancelling[1].z - delta;
  EXPECT_FALSE(batch_of(cancelling));
  // A statement swapped between two valid proofs: each check fails.
  std::vector<ProofOnG> swapped = {ProofOnG{kDomainSignDevice, &xp[1], &proofs[0], ctx0},
                                   ProofOnG{kDomainSignDevice, &xp[0], &proofs[1], ctx1}};
  EXPECT_FALSE(verify_batch_on_g(swapped));
  // The verdict agrees with the separate checks on a wrong domain.
  std::vector<ProofOnG> wrong_domain = {ProofOnG{kDomainSignPin, &xp[0], &proofs[0], ctx0}};
  EXPECT_FALSE(verify_batch_on_g(wrong_domain));
  EXPECT_FALSE(verify(kDomainSignPin, Point::generator(), xp[0], proofs[0], ctx0).ok());
}

}  // namespace
}  // namespace duet::cosign
