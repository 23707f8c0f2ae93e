#include "cosign/vectors.h"

#include "cosign/keygen.h"
#include "cosign/nonce.h"
#include "cosign/sign.h"
#include "crypto/sm2.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

namespace {

// Returns fixed bytes then zeros: a fully specified "fresh randomness" input.
class FixedRandom final : public crypto::RandomSource {
 public:
  explicit FixedRandom(Bytes bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = pos_ < bytes_.size() ? bytes_[pos_++] : 0;
  }

 private:
  Bytes bytes_;
  size_t pos_ = 0;
};

Scalar scalar_from_label(std::string_view label) {
  // Explicit test secrets: SM3 of a label, reduced mod n (documented in §9).
  return Scalar::reduce(crypto::sm3(as_bytes(label)));
}

void add_proof(VectorList& v, const std::string& prefix, std::string_view domain, const Point& base, const Point& x,
               const SchnorrProof& p, ByteView context) {
  v.emplace_back(prefix + ".T", p.t.to_hex());
  v.emplace_back(prefix + ".z", p.z.to_hex());
  v.emplace_back(prefix + ".c", proof_challenge(domain, base, x, p.t, context).to_hex());
}

}  // namespace

VectorList protocol_test_vectors() {
  VectorList v;
  const std::string holder = "hld_vector_1";
  const std::string order = "ord_vector_1";
  const std::string session = "ses_vector_1";
  const std::string message = "Duet protocol test vector message";
  const std::string pin = "123456";

  // ---- Part A: explicit inputs ----
  Scalar d1 = scalar_from_label("duet/vector/d1");
  Scalar d2 = scalar_from_label("duet/vector/d2");
  Scalar k1 = scalar_from_label("duet/vector/k1");
  Scalar k2 = scalar_from_label("duet/vector/k2");
  Scalar k3 = scalar_from_label("duet/vector/k3");
  Scalar t_dev = scalar_from_label("duet/vector/t-keygen-device");
  Scalar t_svc = scalar_from_label("duet/vector/t-keygen-service");
  Scalar t_sign = scalar_from_label("duet/vector/t-sign-device");
  v.emplace_back("A.holder_id", holder);
  v.emplace_back("A.d1", d1.to_hex());
  v.emplace_back("A.d2", d2.to_hex());

  Scalar d1_inv = *d1.inverse();
  Point p1 = *Point::mul_base(d1_inv);
  Bytes kctx = keygen_context(holder);
  v.emplace_back("A.P1", p1.to_hex());
  auto explicit_proof = [](std::string_view domain, const Point& base, const Scalar& x, const Point& xp,
                           const Scalar& t, ByteView ctx) {
    Point tp = *base.mul(t);
    Scalar c = proof_challenge(domain, base, xp, tp, ctx);
    return SchnorrProof{tp, t + c * x};
  };
  v.emplace_back("A.keygen_device_proof.t_nonce", t_dev.to_hex());
  SchnorrProof pd = explicit_proof(kDomainKeygenDevice, Point::generator(), d1_inv, p1, t_dev, kctx);
  add_proof(v, "A.keygen_device_proof", kDomainKeygenDevice, Point::generator(), p1, pd, kctx);

  Scalar d2_inv = *d2.inverse();
  Point p_plus_g = *p1.mul(d2_inv);
  Point pub = *p_plus_g.sub(Point::generator());
  v.emplace_back("A.P", pub.to_hex());
  // Cross-check: P = ((d1·d2)⁻¹ − 1)·G.
  Scalar d = *(d1 * d2).inverse() - Scalar::one();
  v.emplace_back("A.d_for_checking_only", d.to_hex());
  v.emplace_back("A.keygen_service_proof.t_nonce", t_svc.to_hex());
  SchnorrProof ps = explicit_proof(kDomainKeygenService, p1, d2_inv, p_plus_g, t_svc, kctx);
  add_proof(v, "A.keygen_service_proof", kDomainKeygenService, p1, p_plus_g, ps, kctx);

  // PIN wrap with an explicit salt.
  PinKdf kdf{PinKdf::kDefaultIterations, *from_hex("000102030405060708090a0b0c0d0e0f")};
  Scalar w = *pin_factor(pin, kdf);
  v.emplace_back("A.pin", pin);
  v.emplace_back("A.pin_salt", to_hex(kdf.salt));
  v.emplace_back("A.pin_iterations", std::to_string(kdf.iterations));
  v.emplace_back("A.pin_w", w.to_hex());
  v.emplace_back("A.d1_wrapped", (d1 * *w.inverse()).to_hex());

  // Signing.
  crypto::Digest za = *crypto::sm2_za(pub);
  crypto::Digest e = *crypto::sm2_digest(pub, as_bytes(message));
  v.emplace_back("A.message_ascii", message);
  v.emplace_back("A.za", to_hex(za));
  v.emplace_back("A.e", to_hex(e));
  v.emplace_back("A.order_id", order);
  v.emplace_back("A.session_id", session);
  v.emplace_back("A.k1", k1.to_hex());
  Point q1 = *Point::mul_base(k1);
  v.emplace_back("A.Q1", q1.to_hex());
  SignContext ctx{order, session, e};
  Bytes sctx = sign_context(ctx);
  v.emplace_back("A.sign_context", to_hex(sctx));
  v.emplace_back("A.sign_device_proof.t_nonce", t_sign.to_hex());
  SchnorrProof pq = explicit_proof(kDomainSignDevice, Point::generator(), k1, q1, t_sign, sctx);
  add_proof(v, "A.sign_device_proof", kDomainSignDevice, Point::generator(), q1, pq, sctx);
  v.emplace_back("A.k2", k2.to_hex());
  v.emplace_back("A.k3", k3.to_hex());
  SignResponse resp = *detail::service_sign_step(d2, e, q1, k2, k3);
  v.emplace_back("A.r", resp.r.to_hex());
  v.emplace_back("A.s2", resp.s2.to_hex());
  v.emplace_back("A.s3", resp.s3.to_hex());
  Scalar s = detail::device_combine(d1, k1, resp);
  v.emplace_back("A.s", s.to_hex());
  crypto::Sm2Signature sig{resp.r, s};
  v.emplace_back("A.signature_der", to_hex(sig.to_der()));

  // Hedged nonce with explicit inputs.
  FixedRandom fresh(*from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
  Scalar hk = hedged_nonce(d2, "k2", as_bytes("transcript"), fresh);
  v.emplace_back("A.hedged_nonce.secret", d2.to_hex());
  v.emplace_back("A.hedged_nonce.label", "k2");
  v.emplace_back("A.hedged_nonce.transcript_ascii", "transcript");
  v.emplace_back("A.hedged_nonce.fresh", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  v.emplace_back("A.hedged_nonce.k", hk.to_hex());

  // ---- Part B: the role classes with DeterministicRandom ----
  crypto::DeterministicRandom rng(as_bytes("duet protocol transcript v1"));
  auto [dk, kreq] = *DeviceKeygen::start(holder, rng);
  auto [share, kresp] = *ServiceKeygen::respond(holder, kreq, rng);
  DeviceState state = *dk.finish(kresp, pin, 1000, rng);
  v.emplace_back("B.P1", kreq.p1.to_hex());
  v.emplace_back("B.keygen_device_proof.T", kreq.proof.t.to_hex());
  v.emplace_back("B.keygen_device_proof.z", kreq.proof.z.to_hex());
  v.emplace_back("B.P", kresp.public_key.to_hex());
  v.emplace_back("B.keygen_service_proof.T", kresp.proof.t.to_hex());
  v.emplace_back("B.keygen_service_proof.z", kresp.proof.z.to_hex());
  v.emplace_back("B.d1_wrapped", state.wrapped_share.to_hex());
  v.emplace_back("B.pin_salt", to_hex(state.kdf.salt));
  SignContext bctx{order, session, *crypto::sm2_digest(kresp.public_key, as_bytes(message))};
  auto [ds, sreq] = *DeviceSigner::start(state, pin, bctx, rng);
  SignResponse bresp = *ServiceSigner::respond(share, bctx, sreq, rng);
  auto fin = *ds.finish(bresp);
  v.emplace_back("B.e", to_hex(bctx.e));
  v.emplace_back("B.Q1", sreq.q1.to_hex());
  v.emplace_back("B.sign_device_proof.T", sreq.proof.t.to_hex());
  v.emplace_back("B.sign_device_proof.z", sreq.proof.z.to_hex());
  v.emplace_back("B.r", bresp.r.to_hex());
  v.emplace_back("B.s2", bresp.s2.to_hex());
  v.emplace_back("B.s3", bresp.s3.to_hex());
  v.emplace_back("B.s", fin.first.s.to_hex());
  return v;
}

std::string format_vectors(const VectorList& vectors) {
  std::string out;
  for (const auto& [k, val] : vectors) out += k + " = " + val + "\n";
  return out;
}

}  // namespace duet::cosign
