// Schnorr proofs of knowledge of a discrete logarithm, made non-interactive
// with a domain-separated SM3 transcript (docs/protocol.md §3).
//
// Statement: the prover knows x with X = x·B. Proof (T, z): T = t·B,
// z = t + c·x mod n, with
//   c = int(SM3(f(domain) ‖ f(B) ‖ f(X) ‖ f(T) ‖ f(context))) mod n,
// f(v) = 4-byte big-endian length ‖ v, points SEC1 uncompressed (65 bytes).
#pragma once

#include <span>
#include <string_view>

#include "base/bytes.h"
#include "crypto/point.h"
#include "crypto/random.h"
#include "crypto/scalar.h"

namespace duet::cosign {

struct SchnorrProof {
  crypto::Point t;
  crypto::Scalar z;
};

// The proof domains of docs/protocol.md. Each names exactly one statement.
inline constexpr std::string_view kDomainKeygenDevice = "duet/keygen/device/v1";
inline constexpr std::string_view kDomainKeygenService = "duet/keygen/service/v1";
inline constexpr std::string_view kDomainSignDevice = "duet/sign/device/v1";
inline constexpr std::string_view kDomainSignPin = "duet/sign/pin/v1";
inline constexpr std::string_view kDomainRefreshDevice = "duet/refresh/device/v1";
inline constexpr std::string_view kDomainRefreshService = "duet/refresh/service/v1";
inline constexpr std::string_view kDomainRefreshConfirm = "duet/refresh/confirm/v1";
inline constexpr std::string_view kDomainHandwritingPin = "duet/handwriting/pin/v1";

// Builds a proof context: each part length-prefixed (f), concatenated.
class ProofContext {
 public:
  ProofContext& add(ByteView part);
  ProofContext& add(std::string_view part) { return add(as_bytes(part)); }
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// The challenge c (exposed for test vectors).
crypto::Scalar proof_challenge(std::string_view domain, const crypto::Point& base, const crypto::Point& x_point,
                               const crypto::Point& t_point, ByteView context);

// Proves knowledge of x for X = x·B. The commitment nonce t is hedged: derived
// from x, the statement and fresh randomness (see nonce.h).
Result<SchnorrProof> prove(std::string_view domain, const crypto::Point& base, const crypto::Scalar& x,
                           const crypto::Point& x_point, ByteView context, crypto::RandomSource& rng);

// Checks z·B = T + c·X. T and X are valid points by type; z < n by type.
// kBadProof when the equation does not hold.
Status verify(std::string_view domain, const crypto::Point& base, const crypto::Point& x_point,
              const SchnorrProof& proof, ByteView context);

// One statement of a batch on base G: X = x·G, proven by `proof` under
// `domain` and `context` (the pointed-to values outlive the call).
struct ProofOnG {
  std::string_view domain;
  const crypto::Point* x_point;
  const SchnorrProof* proof;
  ByteView context;
};

// True iff every proof of the batch verifies (each as verify() with base G
// would), checked as ONE multi-scalar multiplication: with weights ρ_0 = 1
// and ρ_j (128 bits, derived by SM3 from the whole batch, so fixed before
// the prover could know them), Σ ρ_j·(z_j·G − c_j·X_j − T_j) must be the point
// at infinity. A batch of valid proofs always passes; a batch with an invalid
// proof passes with probability at most about 2^-128. False names no proof:
// the caller checks them one by one to name the failing one. Public inputs
// only (variable time).
bool verify_batch_on_g(std::span<const ProofOnG> batch);

}  // namespace duet::cosign
