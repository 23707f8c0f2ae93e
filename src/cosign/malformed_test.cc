// Every malformed message is rejected with its typed error, and the receiving
// role's state is unchanged (the genuine message still succeeds afterwards).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cosign/test_util.h"
#include "cosign/wire.h"

namespace duet::cosign {
namespace {

using crypto::Point;
using crypto::Scalar;
using nlohmann::json;
using namespace testing;

crypto::SystemRandom& rng() { return crypto::SystemRandom::instance(); }

const std::string kOrderHex = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123";

std::string off_curve_point() {
  std::string g = Point::generator().to_hex();
  g.back() = g.back() == '0' ? '1' : '0';
  return g;
}
std::string infinity_point() { return "04" + std::string(128, '0'); }

struct Mutation {
  std::string name;
  std::function<void(json&)> apply;
  ErrorCode expected;
};

// Mutations of a point field and of a scalar field at a JSON path.
std::vector<Mutation> point_mutations(std::vector<std::string> path) {
  auto at = [path](json& j) -> json& {
    json* p = &j;
    for (auto& k : path) p = &(*p)[k];
    return *p;
  };
  return {
      {"off-curve", [=](json& j) { at(j) = off_curve_point(); }, ErrorCode::kBadPoint},
      {"infinity", [=](json& j) { at(j) = infinity_point(); }, ErrorCode::kBadPoint},
      {"compressed", [=](json& j) { at(j) = "02" + at(j).get<std::string>().substr(2, 64); }, ErrorCode::kBadEncoding},
      {"truncated", [=](json& j) { at(j) = at(j).get<std::string>().substr(0, 128); }, ErrorCode::kBadEncoding},
      {"oversized", [=](json& j) { at(j) = at(j).get<std::string>() + "00"; }, ErrorCode::kBadEncoding},
      {"non-hex", [=](json& j) { std::string s = at(j); s[5] = 'x'; at(j) = s; }, ErrorCode::kBadEncoding},
      {"number", [=](json& j) { at(j) = 7; }, ErrorCode::kBadEncoding},
      {"missing", [=](json& j) { json* p = &j; for (size_t i = 0; i + 1 < path.size(); ++i) p = &(*p)[path[i]]; p->erase(path.back()); }, ErrorCode::kBadEncoding},
  };
}

std::vector<Mutation> scalar_mutations(std::vector<std::string> path, bool zero_allowed) {
  auto at = [path](json& j) -> json& {
    json* p = &j;
    for (auto& k : path) p = &(*p)[k];
    return *p;
  };
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

TEST(Malformed, SignRequest) {
  Enrolled e = enroll("hld_m", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("m"));
  auto [device, request] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  std::string genuine = to_json(request);
  auto muts = point_mutations({"q1"});
  for (auto& m : point_mutations({"proof", "t"})) muts.push_back(m);
  for (auto& m : scalar_mutations({"proof", "z"}, true)) muts.push_back(m);
  expect_all_rejected(genuine, muts, parse_sign_request);

  // Well-formed but wrong proofs: the service refuses with bad_proof.
  SignRequest wrong_z = request;
  wrong_z.proof.z = wrong_z.proof.z + Scalar::one();
  EXPECT_EQ(ServiceSigner::respond(e.service, ctx, wrong_z, rng()).code(), ErrorCode::kBadProof);
  SignRequest wrong_t = request;
  wrong_t.proof.t = Point::generator();
  EXPECT_EQ(ServiceSigner::respond(e.service, ctx, wrong_t, rng()).code(), ErrorCode::kBadProof);
  SignRequest swapped_q = request;
  swapped_q.q1 = *Point::mul_base(Scalar::from_u64(99));
  EXPECT_EQ(ServiceSigner::respond(e.service, ctx, swapped_q, rng()).code(), ErrorCode::kBadProof);
  SignRequest zero_z = request;
  zero_z.proof.z = Scalar::zero();
  EXPECT_EQ(ServiceSigner::respond(e.service, ctx, zero_z, rng()).code(), ErrorCode::kBadProof);
  // The genuine request still goes through: nothing was changed by the failures.
  auto response = ServiceSigner::respond(e.service, ctx, request, rng());
  ASSERT_TRUE(response.ok());
  auto fin = device.finish(*response);
  ASSERT_TRUE(fin.ok());
  EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, ctx, response->r, fin->first).ok());
}

TEST(Malformed, SignResponseAndFinish) {
  Enrolled e = enroll("hld_n", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("n"));
  auto [device, request] = *DeviceSigner::start(e.device, "123456", ctx, rng());
  SignResponse response = *ServiceSigner::respond(e.service, ctx, request, rng());
  std::vector<Mutation> muts;
  for (const char* f : {"r", "s2", "s3"}) {
    for (auto& m : scalar_mutations({f}, false)) muts.push_back(m);
  }
  expect_all_rejected(to_json(response), muts, parse_sign_response);

  auto fin = device.finish(response);
  ASSERT_TRUE(fin.ok());
  expect_all_rejected(to_json(fin->first), scalar_mutations({"s"}, false), parse_sign_finish);
  // A wrong s (well-formed) is signature_invalid; the right one still verifies.
  SignFinish wrong{fin->first.s + Scalar::one()};
  EXPECT_EQ(ServiceSigner::finish(e.service.public_key, ctx, response.r, wrong).code(), ErrorCode::kSignatureInvalid);
  EXPECT_EQ(ServiceSigner::finish(e.service.public_key, ctx, response.r, SignFinish{Scalar::zero()}).code(),
            ErrorCode::kBadScalar);
  EXPECT_TRUE(ServiceSigner::finish(e.service.public_key, ctx, response.r, fin->first).ok());
}

TEST(Malformed, KeygenMessages) {
  auto [keygen, request] = *DeviceKeygen::start("hld_k", rng());
  auto muts = point_mutations({"p1"});
  for (auto& m : point_mutations({"proof", "t"})) muts.push_back(m);
  for (auto& m : scalar_mutations({"proof", "z"}, true)) muts.push_back(m);
  expect_all_rejected(to_json(request), muts, parse_keygen_request);

  // A proof for another holder, or a P1 without its proof, is refused.
  EXPECT_EQ(ServiceKeygen::respond("hld_other", request, rng()).code(), ErrorCode::kBadProof);
  KeygenRequest forged = request;
  forged.p1 = *Point::mul_base(Scalar::from_u64(5));
  EXPECT_EQ(ServiceKeygen::respond("hld_k", forged, rng()).code(), ErrorCode::kBadProof);

  auto [share, response] = *ServiceKeygen::respond("hld_k", request, rng());
  auto rmuts = point_mutations({"public_key"});
  for (auto& m : scalar_mutations({"proof", "z"}, true)) rmuts.push_back(m);
  expect_all_rejected(to_json(response), rmuts, parse_keygen_response);
  // A substituted public key (no proof for it) is refused by the device.
  KeygenResponse substituted = response;
  substituted.public_key = *Point::mul_base(Scalar::from_u64(77));
  EXPECT_EQ(keygen.finish(substituted, "123456", kTestIterations, rng()).code(), ErrorCode::kBadProof);
  // P = −G would make P + G infinity.
  KeygenResponse minus_g = response;
  minus_g.public_key = *Point::mul_base(Scalar::one().negate());
  EXPECT_EQ(keygen.finish(minus_g, "123456", kTestIterations, rng()).code(), ErrorCode::kBadPoint);
  // Bad PINs are refused before anything is stored.
  EXPECT_EQ(keygen.finish(response, "12", kTestIterations, rng()).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(keygen.finish(response, "123456", kTestIterations, rng()).ok());
}

TEST(Malformed, EmptyIdsAreRefused) {
  EXPECT_EQ(DeviceKeygen::start("", rng()).code(), ErrorCode::kInvalidArgument);
  Enrolled e = enroll("hld_i", "123456", rng());
  SignContext ctx = context_for(e.device.public_key, as_bytes("i"), "", "ses");
  EXPECT_EQ(DeviceSigner::start(e.device, "123456", ctx, rng()).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace duet::cosign
