#include "cosign/schnorr_proof.h"

#include <vector>

#include "cosign/nonce.h"
#include "crypto/sm2_multi_mul.h"
#include "crypto/sm3.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

ProofContext& ProofContext::add(ByteView part) {
  uint32_t n = static_cast<uint32_t>(part.size());
  bytes_.insert(bytes_.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                               static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  bytes_.insert(bytes_.end(), part.begin(), part.end());
  return *this;
}

Scalar proof_challenge(std::string_view domain, const Point& base, const Point& x_point, const Point& t_point,
                       ByteView context) {
  crypto::Digest h = crypto::Sm3()
                         .update_framed(as_bytes(domain))
                         .update_framed(base.to_sec1())
                         .update_framed(x_point.to_sec1())
                         .update_framed(t_point.to_sec1())
                         .update_framed(context)
                         .final();
  return Scalar::reduce(h);
}

Result<SchnorrProof> prove(std::string_view domain, const Point& base, const Scalar& x, const Point& x_point,
                           ByteView context, crypto::RandomSource& rng) {
  // Bind the nonce to the whole statement so that one secret never reuses t.
  Bytes transcript;
  auto append = [&](ByteView v) { transcript.insert(transcript.end(), v.begin(), v.end()); };
  append(as_bytes(domain));
  append(base.to_sec1());
  append(x_point.to_sec1());
  append(context);
  Scalar t = hedged_nonce(x, "schnorr-t", transcript, rng);
  // Constant time either way; the fixed-base comb is ≈ 4× faster for G.
  DUET_ASSIGN_OR_RETURN(Point t_point, base == Point::generator() ? Point::mul_base(t) : base.mul(t));
  Scalar c = proof_challenge(domain, base, x_point, t_point, context);
  return SchnorrProof{t_point, t + c * x};
}

Status verify(std::string_view domain, const Point& base, const Point& x_point, const SchnorrProof& proof,
              ByteView context) {
  Scalar c = proof_challenge(domain, base, x_point, proof.t, context);
  // z·B − c·X must equal T. All values are public: variable time is fine.
  if (base == Point::generator()) {
    // Compared projectively (no inversion); infinity equals no point.
    if (!Point::public_mul_add_equals(proof.z, c.negate(), x_point, proof.t)) {
      return make_error(ErrorCode::kBadProof, std::string(domain) + ": proof does not verify");
    }
    return Status::Ok();
  }
  auto zb = base.mul(proof.z);
  if (!zb.ok()) return make_error(ErrorCode::kBadProof, std::string(domain) + ": z is zero");
  auto cx = c.is_zero() ? Result<Point>(proof.t) : x_point.mul(c);
  if (!cx.ok()) return make_error(ErrorCode::kBadProof, std::string(domain) + ": proof does not verify");
  auto rhs = c.is_zero() ? Result<Point>(proof.t) : proof.t.add(*cx);
  if (!rhs.ok() || !(*zb == *rhs)) return make_error(ErrorCode::kBadProof, std::string(domain) + ": proof does not verify");
  return Status::Ok();
}

bool verify_batch_on_g(std::span<const ProofOnG> batch) {
  namespace sm2 = crypto::sm2;
  if (batch.empty()) return true;
  std::vector<Scalar> c;
  c.reserve(batch.size());
  // The weights' seed commits to every statement, proof and challenge.
  crypto::Sm3 seed;
  seed.update_framed(as_bytes(std::string_view("duet/batch/schnorr-on-g/v1")));
  for (const ProofOnG& p : batch) {
    c.push_back(proof_challenge(p.domain, Point::generator(), *p.x_point, p.proof->t, p.context));
    seed.update_framed(c.back().bytes())
        .update_framed(p.proof->z.bytes())
        .update_framed(p.proof->t.to_sec1())
        .update_framed(p.x_point->to_sec1());
  }
  const crypto::Digest seed_digest = seed.final();
  // g = Σ ρ_j·z_j; the points −X_j with ρ_j·c_j and −T_j with ρ_j.
  Scalar g = Scalar::zero();
  std::vector<sm2::Affine> points;
  std::vector<sm2::u64> scalars;  // four limbs per point
  points.reserve(2 * batch.size());
  scalars.reserve(8 * batch.size());
  auto push = [&](const Point& p, const Scalar& s) {
    sm2::Affine a = p.affine();
    sm2::fe_neg(a.y, a.y);
    points.push_back(a);
    sm2::u64 limbs[4];
    sm2::limbs_from_bytes(limbs, s.bytes().data());
    scalars.insert(scalars.end(), limbs, limbs + 4);
  };
  for (size_t j = 0; j < batch.size(); ++j) {
    Scalar rho = Scalar::one();
    if (j > 0) {
      const uint8_t index[4] = {static_cast<uint8_t>(j >> 24), static_cast<uint8_t>(j >> 16),
                                static_cast<uint8_t>(j >> 8), static_cast<uint8_t>(j)};
      crypto::Digest h = crypto::Sm3().update(seed_digest).update(ByteView(index, 4)).final();
      rho = Scalar::reduce(ByteView(h.data(), 16));  // 128 bits
    }
    g = g + rho * batch[j].proof->z;
    push(*batch[j].x_point, rho * c[j]);
    push(batch[j].proof->t, rho);
  }
  std::array<sm2::u64, 4> gl{};
  sm2::limbs_from_bytes(gl.data(), g.bytes().data());
  sm2::Jacobian r;
  sm2::mul_multi_public(r, gl.data(), points.data(), scalars.data(), points.size());
  return sm2::is_infinity(r);
}

}  // namespace duet::cosign
