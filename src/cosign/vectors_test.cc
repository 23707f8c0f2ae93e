// Known-answer tests: the vectors printed in docs/protocol.md §9 must be what
// the code computes, and Part A must be internally consistent (an independent
// check of the arithmetic through the standard SM2 verifier).
#include "cosign/vectors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "cosign/schnorr_proof.h"
#include "crypto/sm2.h"
#include "crypto/sm2_evp.h"

namespace duet::cosign {
namespace {

std::map<std::string, std::string> as_map(const VectorList& v) { return {v.begin(), v.end()}; }

TEST(ProtocolVectors, DocumentMatchesCode) {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/docs/protocol.md");
  ASSERT_TRUE(in.good()) << "docs/protocol.md is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const std::string begin = "<!-- vectors:begin -->\n```\n", end = "```\n<!-- vectors:end -->";
  auto b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  std::string block = doc.substr(b + begin.size(), e - b - begin.size());
  EXPECT_EQ(block, format_vectors(protocol_test_vectors()))
      << "docs/protocol.md §9 is stale: regenerate with `duet protocol vectors`";
}

TEST(ProtocolVectors, PartAIsConsistent) {
  auto v = as_map(protocol_test_vectors());
  using crypto::Point;
  using crypto::Scalar;
  Point pub = *Point::from_hex(v["A.P"]);
  Scalar d = *Scalar::from_hex(v["A.d_for_checking_only"]);
  EXPECT_TRUE(*Point::mul_base(d) == pub);
  // The joint signature is an ordinary SM2 signature of the message.
  EXPECT_TRUE(crypto::evp_sm2_verify(pub, as_bytes(v["A.message_ascii"]), *from_hex(v["A.signature_der"])).ok());
  // The proofs verify under their domains.
  Point p1 = *Point::from_hex(v["A.P1"]);
  Point q1 = *Point::from_hex(v["A.Q1"]);
  SchnorrProof pd{*Point::from_hex(v["A.keygen_device_proof.T"]), *Scalar::from_hex(v["A.keygen_device_proof.z"])};
  Bytes kctx = ProofContext().add(v["A.holder_id"]).bytes();
  EXPECT_TRUE(verify(kDomainKeygenDevice, Point::generator(), p1, pd, kctx).ok());
  SchnorrProof ps{*Point::from_hex(v["A.keygen_service_proof.T"]), *Scalar::from_hex(v["A.keygen_service_proof.z"])};
  EXPECT_TRUE(verify(kDomainKeygenService, p1, *pub.add(Point::generator()), ps, kctx).ok());
  SchnorrProof pq{*Point::from_hex(v["A.sign_device_proof.T"]), *Scalar::from_hex(v["A.sign_device_proof.z"])};
  EXPECT_TRUE(verify(kDomainSignDevice, Point::generator(), q1, pq, *from_hex(v["A.sign_context"])).ok());
  // Under another domain the same proof fails (domain separation).
  EXPECT_FALSE(verify(kDomainKeygenDevice, Point::generator(), q1, pq, *from_hex(v["A.sign_context"])).ok());
}

TEST(ProtocolVectors, PartBVerifies) {
  auto v = as_map(protocol_test_vectors());
  crypto::Point pub = *crypto::Point::from_hex(v["B.P"]);
  crypto::Sm2Signature sig{*crypto::Scalar::from_hex(v["B.r"]), *crypto::Scalar::from_hex(v["B.s"])};
  EXPECT_TRUE(crypto::evp_sm2_verify(pub, as_bytes(v["A.message_ascii"]), sig.to_der()).ok());
  // Deterministic: computing twice gives the same transcript.
  EXPECT_EQ(format_vectors(protocol_test_vectors()), format_vectors(protocol_test_vectors()));
}

}  // namespace
}  // namespace duet::cosign
