// The protocol messages of docs/protocol.md, one struct per round. Each holds
// only validated values: a Point is on the curve and not infinity, a Scalar is
// below n. Wire encodings are in wire.h.
#pragma once

#include <string>
#include <vector>

#include "cosign/schnorr_proof.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "crypto/sm3.h"

namespace duet::cosign {

// ---- Key generation --------------------------------------------------------
// Device → service: P1 = d1⁻¹·G and a proof of knowledge of d1⁻¹.
struct KeygenRequest {
  crypto::Point p1;
  SchnorrProof proof;
};
// Service → device: the joint key P = d2⁻¹·P1 − G and a proof of knowledge of
// d2⁻¹ for P + G = d2⁻¹·P1.
struct KeygenResponse {
  crypto::Point public_key;
  SchnorrProof proof;
};

// ---- Signing ---------------------------------------------------------------
// What one signature is bound to. The session id is issued by the service for
// this attempt and never reused; e = SM3(Z_A ‖ M).
struct SignContext {
  std::string order_id;
  std::string session_id;
  crypto::Digest e{};
};
// What a whole session is bound to: the order, the session and every item's e.
struct SignSessionContext {
  std::string order_id;
  std::string session_id;
  std::vector<crypto::Digest> digests;  // e_1..e_k, k >= 1

  SignContext item(size_t i) const { return SignContext{order_id, session_id, digests.at(i)}; }
};
// One item of step 1: Q1 = k1·G with a proof of k1 bound to order, session and e.
struct SignRequest {
  crypto::Point q1;
  SchnorrProof proof;
};
// Device → service, step 1 of a session (protocol v2): one SignRequest per
// item and ONE PIN proof for the whole session — knowledge of u = d1⁻¹ for
// P1 = u·G, bound to order, session and every (e_i, Q1_i). P1 is never sent:
// each side uses its own copy. The service answers nothing that depends on d2
// until this proof verifies, so a wrong PIN learns nothing but "wrong".
struct SignSessionRequest {
  std::vector<SignRequest> items;
  SchnorrProof pin_proof;
};
// Service → device: r = (e + x1) mod n, s2 = d2·k3, s3 = d2·(r + k2).
struct SignResponse {
  crypto::Scalar r;
  crypto::Scalar s2;
  crypto::Scalar s3;
};
// Device → service: s = (d1·k1)·s2 + d1·s3 − r.
struct SignFinish {
  crypto::Scalar s;
};

// ---- Share refresh (new phone) --------------------------------------------
// Device → service: ρ and a proof of knowledge of d1⁻¹ for P1 = d1⁻¹·G bound to
// holder, refresh id and ρ. The channel must keep ρ confidential (TLS). The
// service counts an attempt before it verifies the proof.
struct RefreshRequest {
  crypto::Scalar rho;
  SchnorrProof proof;
};
// Service → device: proof of knowledge of d2'⁻¹ for P + G = d2'⁻¹·P1', where
// d2' = d2·ρ⁻¹ and P1' = ρ⁻¹·P1.
struct RefreshResponse {
  SchnorrProof proof;
};
// Device → service: proof of knowledge of d1'⁻¹ for P1' (the new share exists
// on the device), bound to holder and refresh id only (not ρ, so a device
// that resumes an interrupted refresh needs nothing but the refresh id and
// the new wrap). The service switches to d2' only on this message; it is a
// PIN use, counted before the proof is verified.
struct RefreshConfirm {
  SchnorrProof proof;
};

// ---- PIN-gated holder data: the handwritten signature (§6.1) --------------
// Service → device: a fresh challenge for ONE operation ("put", "get" or
// "delete") on the holder's handwritten signature. Issuing it commits one PIN
// attempt; the challenge id (drawn by the service, 128 random bits) is
// accepted for one proof only.
struct HandwritingChallenge {
  std::string challenge_id;
  std::string operation;
};
// Device → service, sent with the operation itself: knowledge of u = d1⁻¹
// for P1 = u·G under duet/handwriting/pin/v1, bound to holder, challenge,
// operation and (for "put") the SM3 of the image. P1 is never sent.
struct HandwritingPinProof {
  std::string challenge_id;
  SchnorrProof pin_proof;
};

}  // namespace duet::cosign
