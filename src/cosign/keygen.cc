#include "cosign/keygen.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

Bytes keygen_context(std::string_view holder_id) { return ProofContext().add(holder_id).bytes(); }

Result<std::pair<DeviceKeygen, KeygenRequest>> DeviceKeygen::start(std::string holder_id, crypto::RandomSource& rng) {
  if (holder_id.empty()) return make_error(ErrorCode::kInvalidArgument, "holder id is empty");
  Scalar d1 = Scalar::random_nonzero(rng);
  DUET_ASSIGN_OR_RETURN(Scalar d1_inv, d1.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1, Point::mul_base(d1_inv));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof,
                        prove(kDomainKeygenDevice, Point::generator(), d1_inv, p1, keygen_context(holder_id), rng));
  KeygenRequest request{p1, std::move(proof)};
  return std::make_pair(DeviceKeygen(std::move(holder_id), d1, std::move(p1)), std::move(request));
}

Result<DeviceState> DeviceKeygen::finish(const KeygenResponse& response, std::string_view pin,
                                         uint32_t kdf_iterations, crypto::RandomSource& rng) {
  if (spent_) return make_error(ErrorCode::kBadState, "the share was wrapped already");
  DUET_TRY_STATUS(check_pin(pin));
  auto p_plus_g = response.public_key.add(Point::generator());
  if (!p_plus_g.ok()) return make_error(ErrorCode::kBadPoint, "public key is −G");
  DUET_TRY_STATUS(verify(kDomainKeygenService, p1_, *p_plus_g, response.proof, keygen_context(holder_id_)));
  DUET_ASSIGN_OR_RETURN(DeviceState state, wrap_share(holder_id_, response.public_key, d1_, pin, kdf_iterations, rng));
  spent_ = true;
  d1_ = Scalar::zero();
  return state;
}

Result<std::pair<ServiceKeyShare, KeygenResponse>> ServiceKeygen::respond(std::string_view holder_id,
                                                                          const KeygenRequest& request,
                                                                          crypto::RandomSource& rng) {
  if (holder_id.empty()) return make_error(ErrorCode::kInvalidArgument, "holder id is empty");
  Bytes context = keygen_context(holder_id);
  DUET_TRY_STATUS(verify(kDomainKeygenDevice, Point::generator(), request.p1, request.proof, context));
  for (;;) {
    Scalar d2 = Scalar::random_nonzero(rng);
    DUET_ASSIGN_OR_RETURN(Scalar d2_inv, d2.inverse());
    DUET_ASSIGN_OR_RETURN(Point p_plus_g, request.p1.mul(d2_inv));  // d2⁻¹·P1, constant time
    auto p = p_plus_g.sub(Point::generator());
    if (!p.ok()) continue;  // P would be infinity (d2 = d1⁻¹): draw again
    DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainKeygenService, request.p1, d2_inv, p_plus_g, context, rng));
    return std::make_pair(ServiceKeyShare{d2, *p, request.p1}, KeygenResponse{*p, std::move(proof)});
  }
}

}  // namespace duet::cosign
