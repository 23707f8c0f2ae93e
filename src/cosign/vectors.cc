#include "cosign/vectors.h"

#include <cstdio>
#include <cstdlib>

#include "cosign/handwriting_pin.h"
#include "cosign/keygen.h"
#include "cosign/nonce.h"
#include "cosign/refresh.h"
#include "cosign/sign.h"
#include "crypto/sm2.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

namespace {

// Every step below works on fixed, valid inputs: a failure is a bug in the
// code under test, and printing vectors past it would publish garbage.
template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "protocol vectors: %s: %s\n", what, r.error().to_string().c_str());
    std::abort();
  }
  return std::move(*r);
}
void must(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "protocol vectors: %s: %s\n", what, s.error().to_string().c_str());
    std::abort();
  }
}

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

// Explicit test secrets: SM3 of an ASCII label, reduced mod n (§9).
Scalar scalar_from_label(std::string_view label) { return Scalar::reduce(crypto::sm3(as_bytes(label))); }

// A proof with an explicit nonce t (Part A): T = t·B, z = t + c·x.
SchnorrProof explicit_proof(std::string_view domain, const Point& base, const Scalar& x, const Point& x_point,
                            const Scalar& t, ByteView context) {
  Point t_point = must(base.mul(t), "T = t·B");
  Scalar c = proof_challenge(domain, base, x_point, t_point, context);
  return SchnorrProof{t_point, t + c * x};
}

// Appends name.t_nonce, .T, .z and .c of a Part A proof; checks it verifies.
SchnorrProof add_explicit_proof(VectorList& v, const std::string& name, std::string_view domain, const Point& base,
                                const Scalar& x, const Point& x_point, std::string_view t_label, ByteView context) {
  Scalar t = scalar_from_label(t_label);
  SchnorrProof p = explicit_proof(domain, base, x, x_point, t, context);
  must(verify(domain, base, x_point, p, context), name.c_str());
  v.emplace_back(name + ".t_nonce", t.to_hex());
  v.emplace_back(name + ".T", p.t.to_hex());
  v.emplace_back(name + ".z", p.z.to_hex());
  v.emplace_back(name + ".c", proof_challenge(domain, base, x_point, p.t, context).to_hex());
  return p;
}

void add_proof(VectorList& v, const std::string& name, const SchnorrProof& p) {
  v.emplace_back(name + ".T", p.t.to_hex());
  v.emplace_back(name + ".z", p.z.to_hex());
}

const std::string kHolder = "hld_vector_1";
const std::string kOrder = "ord_vector_1";
const std::string kSession = "ses_vector_1";
const std::string kRefresh = "rfr_vector_1";
const std::vector<std::string> kMessages = {"Duet protocol test vector message", "Duet protocol test vector annex"};
const std::string kPin = "123456";
const std::string kNewPin = "654321";

void part_a(VectorList& v) {
  Scalar d1 = scalar_from_label("duet/vector/d1");
  Scalar d2 = scalar_from_label("duet/vector/d2");
  v.emplace_back("A.holder_id", kHolder);
  v.emplace_back("A.d1", d1.to_hex());
  v.emplace_back("A.d2", d2.to_hex());

  // ---- Key generation (§4) ----
  Scalar u = must(d1.inverse(), "u = d1⁻¹");
  Point p1 = must(Point::mul_base(u), "P1");
  Bytes kctx = keygen_context(kHolder);
  v.emplace_back("A.P1", p1.to_hex());
  add_explicit_proof(v, "A.keygen_device_proof", kDomainKeygenDevice, Point::generator(), u, p1,
                     "duet/vector/t-keygen-device", kctx);
  Scalar d2_inv = must(d2.inverse(), "d2⁻¹");
  Point p_plus_g = must(p1.mul(d2_inv), "P + G");
  Point pub = must(p_plus_g.sub(Point::generator()), "P");
  v.emplace_back("A.P", pub.to_hex());
  // For checking P = d·G only; d is never formed by the protocol.
  Scalar d = must((d1 * d2).inverse(), "(d1·d2)⁻¹") - Scalar::one();
  v.emplace_back("A.d_for_checking_only", d.to_hex());
  add_explicit_proof(v, "A.keygen_service_proof", kDomainKeygenService, p1, d2_inv, p_plus_g,
                     "duet/vector/t-keygen-service", kctx);

  // ---- PIN wrap (§6), explicit salt ----
  PinKdf kdf{PinKdf::kDefaultIterations, must(from_hex("000102030405060708090a0b0c0d0e0f"), "salt")};
  Scalar w = must(pin_factor(kPin, kdf), "w");
  v.emplace_back("A.pin", kPin);
  v.emplace_back("A.pin_salt", to_hex(kdf.salt));
  v.emplace_back("A.pin_iterations", std::to_string(kdf.iterations));
  v.emplace_back("A.pin_w", w.to_hex());
  v.emplace_back("A.d1_wrapped", (d1 * must(w.inverse(), "w⁻¹")).to_hex());

  // ---- A signing session of two items (§5) ----
  SignSessionContext ctx{kOrder, kSession, {}};
  v.emplace_back("A.order_id", kOrder);
  v.emplace_back("A.session_id", kSession);
  v.emplace_back("A.za", to_hex(must(crypto::sm2_za(pub), "Z_A")));
  for (size_t i = 0; i < kMessages.size(); ++i) {
    std::string n = std::to_string(i + 1);
    ctx.digests.push_back(must(crypto::sm2_digest(pub, as_bytes(kMessages[i])), "e"));
    v.emplace_back("A.message_" + n + "_ascii", kMessages[i]);
    v.emplace_back("A.e_" + n, to_hex(ctx.digests[i]));
  }
  std::vector<SignRequest> items;
  std::vector<Scalar> k1s;
  for (size_t i = 0; i < kMessages.size(); ++i) {
    std::string n = std::to_string(i + 1);
    Scalar k1 = scalar_from_label("duet/vector/k1-" + n);
    Point q1 = must(Point::mul_base(k1), "Q1");
    Bytes sctx = sign_context(ctx.item(i));
    v.emplace_back("A.k1_" + n, k1.to_hex());
    v.emplace_back("A.Q1_" + n, q1.to_hex());
    v.emplace_back("A.sign_context_" + n, to_hex(sctx));
    SchnorrProof proof = add_explicit_proof(v, "A.sign_device_proof_" + n, kDomainSignDevice, Point::generator(), k1,
                                            q1, "duet/vector/t-sign-device-" + n, sctx);
    items.push_back(SignRequest{q1, proof});
    k1s.push_back(k1);
  }
  // The PIN proof: knowledge of u = d1⁻¹ for P1 over the whole session.
  Bytes pin_ctx = must(pin_proof_context(ctx, items), "PIN proof context");
  v.emplace_back("A.u", u.to_hex());
  v.emplace_back("A.pin_proof_context", to_hex(pin_ctx));
  SchnorrProof pin_proof = add_explicit_proof(v, "A.pin_proof", kDomainSignPin, Point::generator(), u, p1,
                                              "duet/vector/t-sign-pin", pin_ctx);
  // The service's check, as the role runs it (the PIN proof verifies against
  // its own P1) before any value that depends on d2 is computed.
  must(ServiceSigner::verify_session(p1, ctx, SignSessionRequest{items, pin_proof}), "verify_session");
  for (size_t i = 0; i < kMessages.size(); ++i) {
    std::string n = std::to_string(i + 1);
    Scalar k2 = scalar_from_label("duet/vector/k2-" + n);
    Scalar k3 = scalar_from_label("duet/vector/k3-" + n);
    SignResponse resp = must(detail::service_sign_step(d2, ctx.digests[i], items[i].q1, k2, k3), "step 2");
    Scalar s = detail::device_combine(d1, k1s[i], resp);
    crypto::Sm2Signature sig{resp.r, s};
    must(crypto::sm2_verify_digest(pub, ctx.digests[i], sig), "final signature");
    v.emplace_back("A.k2_" + n, k2.to_hex());
    v.emplace_back("A.k3_" + n, k3.to_hex());
    v.emplace_back("A.r_" + n, resp.r.to_hex());
    v.emplace_back("A.s2_" + n, resp.s2.to_hex());
    v.emplace_back("A.s3_" + n, resp.s3.to_hex());
    v.emplace_back("A.s_" + n, s.to_hex());
    v.emplace_back("A.signature_der_" + n, to_hex(sig.to_der()));
  }

  // ---- The handwritten signature's PIN proof (§6.1): an upload, first share ----
  const std::string hw_image = "Duet handwriting test vector image";
  HandwritingPinContext hw{kHolder, "hwc_vector_1", "put", handwriting_image_digest(as_bytes(hw_image))};
  Bytes hw_ctx = must(handwriting_pin_context(hw), "handwriting PIN context");
  v.emplace_back("A.handwriting_challenge_id", hw.challenge_id);
  v.emplace_back("A.handwriting_operation_ascii", hw.operation);
  v.emplace_back("A.handwriting_image_ascii", hw_image);
  v.emplace_back("A.handwriting_image_sm3", to_hex(hw.image_digest));
  v.emplace_back("A.handwriting_pin_context", to_hex(hw_ctx));
  SchnorrProof hw_proof = add_explicit_proof(v, "A.handwriting_pin_proof", kDomainHandwritingPin, Point::generator(),
                                             u, p1, "duet/vector/t-handwriting-pin", hw_ctx);
  must(verify_handwriting_pin(p1, hw, HandwritingPinProof{hw.challenge_id, hw_proof}), "verify_handwriting_pin");

  // ---- Share refresh (§7) with a PIN change ----
  Scalar rho = scalar_from_label("duet/vector/rho");
  Bytes rctx = refresh_context(kHolder, kRefresh, rho);
  v.emplace_back("A.refresh_id", kRefresh);
  v.emplace_back("A.rho", rho.to_hex());
  v.emplace_back("A.refresh_context", to_hex(rctx));
  add_explicit_proof(v, "A.refresh_device_proof", kDomainRefreshDevice, Point::generator(), u, p1,
                     "duet/vector/t-refresh-device", rctx);
  Scalar rho_inv = must(rho.inverse(), "ρ⁻¹");
  Scalar d2_new = d2 * rho_inv;
  Point p1_new = must(p1.mul(rho_inv), "P1'");
  v.emplace_back("A.d2_new", d2_new.to_hex());
  v.emplace_back("A.P1_new", p1_new.to_hex());
  add_explicit_proof(v, "A.refresh_service_proof", kDomainRefreshService, p1_new, must(d2_new.inverse(), "d2'⁻¹"),
                     p_plus_g, "duet/vector/t-refresh-service", rctx);
  Scalar d1_new = d1 * rho;
  PinKdf new_kdf{PinKdf::kDefaultIterations, must(from_hex("101112131415161718191a1b1c1d1e1f"), "salt")};
  Scalar w_new = must(pin_factor(kNewPin, new_kdf), "w'");
  v.emplace_back("A.d1_new", d1_new.to_hex());
  v.emplace_back("A.new_pin", kNewPin);
  v.emplace_back("A.new_pin_salt", to_hex(new_kdf.salt));
  v.emplace_back("A.new_pin_w", w_new.to_hex());
  v.emplace_back("A.d1_new_wrapped", (d1_new * must(w_new.inverse(), "w'⁻¹")).to_hex());
  Bytes cctx = refresh_confirm_context(kHolder, kRefresh);
  v.emplace_back("A.refresh_confirm_context", to_hex(cctx));
  add_explicit_proof(v, "A.refresh_confirm_proof", kDomainRefreshConfirm, Point::generator(),
                     must(d1_new.inverse(), "d1'⁻¹"), p1_new, "duet/vector/t-refresh-confirm", cctx);

  // ---- One hedged nonce with explicit inputs (§3) ----
  const std::string fresh_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  FixedRandom fresh(must(from_hex(fresh_hex), "fresh"));
  Scalar hk = hedged_nonce(d2, "k2", as_bytes("transcript"), fresh);
  v.emplace_back("A.hedged_nonce.secret", d2.to_hex());
  v.emplace_back("A.hedged_nonce.label", "k2");
  v.emplace_back("A.hedged_nonce.transcript_ascii", "transcript");
  v.emplace_back("A.hedged_nonce.fresh", fresh_hex);
  v.emplace_back("A.hedged_nonce.k", hk.to_hex());
}

void part_b(VectorList& v) {
  crypto::DeterministicRandom rng(as_bytes("duet protocol transcript v2"));
  auto [dk, kreq] = must(DeviceKeygen::start(kHolder, rng), "keygen start");
  auto [share, kresp] = must(ServiceKeygen::respond(kHolder, kreq, rng), "keygen respond");
  DeviceState state = must(dk.finish(kresp, kPin, 1000, rng), "keygen finish");
  v.emplace_back("B.P1", kreq.p1.to_hex());
  add_proof(v, "B.keygen_device_proof", kreq.proof);
  v.emplace_back("B.P", kresp.public_key.to_hex());
  add_proof(v, "B.keygen_service_proof", kresp.proof);
  v.emplace_back("B.d1_wrapped", state.wrapped_share.to_hex());
  v.emplace_back("B.pin_salt", to_hex(state.kdf.salt));

  SignSessionContext ctx{kOrder, kSession, {}};
  for (const auto& m : kMessages) ctx.digests.push_back(must(crypto::sm2_digest(kresp.public_key, as_bytes(m)), "e"));
  auto [ds, sreq] = must(DeviceSignSession::start(state, kPin, ctx, rng), "sign start");
  Point p1 = must(share.p1_or_derive(), "P1 from the record");
  VerifiedSignSession verified = must(ServiceSigner::verify_session(p1, ctx, sreq), "verify_session");
  std::vector<SignResponse> responses = must(ServiceSigner::respond(share, verified, rng), "respond");
  auto finished = must(ds.finish(responses), "sign finish");
  for (size_t i = 0; i < ctx.digests.size(); ++i) {
    std::string n = std::to_string(i + 1);
    must(ServiceSigner::finish(kresp.public_key, ctx.item(i), responses[i].r, finished.first[i]), "step 4");
    v.emplace_back("B.e_" + n, to_hex(ctx.digests[i]));
    v.emplace_back("B.Q1_" + n, sreq.items[i].q1.to_hex());
    add_proof(v, "B.sign_device_proof_" + n, sreq.items[i].proof);
  }
  add_proof(v, "B.pin_proof", sreq.pin_proof);
  for (size_t i = 0; i < responses.size(); ++i) {
    std::string n = std::to_string(i + 1);
    v.emplace_back("B.r_" + n, responses[i].r.to_hex());
    v.emplace_back("B.s2_" + n, responses[i].s2.to_hex());
    v.emplace_back("B.s3_" + n, responses[i].s3.to_hex());
    v.emplace_back("B.s_" + n, finished.first[i].s.to_hex());
  }

  auto [dr, rreq] = must(DeviceRefresh::start(state, kPin, kRefresh, rng), "refresh start");
  auto [pending, rresp] = must(ServiceRefresh::respond(share, kHolder, kRefresh, rreq, rng), "refresh respond");
  auto [new_state, confirm] = must(dr.finish(rresp, kNewPin, 1000, rng), "refresh finish");
  must(ServiceRefresh::confirm(pending, kHolder, kRefresh, confirm), "refresh confirm");
  v.emplace_back("B.rho", rreq.rho.to_hex());
  add_proof(v, "B.refresh_device_proof", rreq.proof);
  add_proof(v, "B.refresh_service_proof", rresp.proof);
  v.emplace_back("B.d1_new_wrapped", new_state.wrapped_share.to_hex());
  v.emplace_back("B.new_pin_salt", to_hex(new_state.kdf.salt));
  add_proof(v, "B.refresh_confirm_proof", confirm.proof);
}

}  // namespace

VectorList protocol_test_vectors() {
  VectorList v;
  part_a(v);
  part_b(v);
  return v;
}

std::string format_vectors(const VectorList& vectors) {
  std::string out;
  for (const auto& [k, val] : vectors) out += k + " = " + val + "\n";
  return out;
}

}  // namespace duet::cosign
