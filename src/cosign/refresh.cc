#include "cosign/refresh.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

Bytes refresh_context(std::string_view holder_id, std::string_view refresh_id, const Scalar& rho) {
  return ProofContext().add(holder_id).add(refresh_id).add(ByteView(rho.bytes())).bytes();
}

Result<std::pair<DeviceRefresh, RefreshRequest>> DeviceRefresh::start(const DeviceState& state, std::string_view pin,
                                                                      std::string refresh_id,
                                                                      crypto::RandomSource& rng) {
  if (refresh_id.empty()) return make_error(ErrorCode::kInvalidArgument, "refresh id is empty");
  DUET_ASSIGN_OR_RETURN(Scalar d1, unwrap_share(state, pin));
  DUET_ASSIGN_OR_RETURN(Scalar d1_inv, d1.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1, Point::mul_base(d1_inv));
  Scalar rho = Scalar::random_nonzero(rng);
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainRefreshDevice, Point::generator(), d1_inv, p1,
                                                  refresh_context(state.holder_id, refresh_id, rho), rng));
  RefreshRequest request{rho, std::move(proof)};
  return std::make_pair(DeviceRefresh(state.holder_id, std::move(refresh_id), d1, rho, state.public_key),
                        std::move(request));
}

Result<std::pair<DeviceState, RefreshConfirm>> DeviceRefresh::finish(const RefreshResponse& response,
                                                                     std::string_view new_pin,
                                                                     uint32_t kdf_iterations,
                                                                     crypto::RandomSource& rng) const {
  Scalar d1_new = d1_ * rho_;
  DUET_ASSIGN_OR_RETURN(Scalar d1_new_inv, d1_new.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1_new, Point::mul_base(d1_new_inv));
  DUET_ASSIGN_OR_RETURN(Point p_plus_g, public_key_.add(Point::generator()));
  Bytes context = refresh_context(holder_id_, refresh_id_, rho_);
  DUET_TRY_STATUS(verify(kDomainRefreshService, p1_new, p_plus_g, response.proof, context));
  DUET_ASSIGN_OR_RETURN(DeviceState state, wrap_share(holder_id_, public_key_, d1_new, new_pin, kdf_iterations, rng));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof,
                        prove(kDomainRefreshConfirm, Point::generator(), d1_new_inv, p1_new, context, rng));
  return std::make_pair(std::move(state), RefreshConfirm{std::move(proof)});
}

Result<std::pair<ServiceKeyShare, RefreshResponse>> ServiceRefresh::respond(const ServiceKeyShare& current,
                                                                           std::string_view holder_id,
                                                                           std::string_view refresh_id,
                                                                           const RefreshRequest& request,
                                                                           crypto::RandomSource& rng) {
  if (holder_id.empty() || refresh_id.empty()) return make_error(ErrorCode::kInvalidArgument, "ids are required");
  if (request.rho.is_zero()) return make_error(ErrorCode::kBadScalar, "rho is zero");
  DUET_ASSIGN_OR_RETURN(Point p_plus_g, current.public_key.add(Point::generator()));
  DUET_ASSIGN_OR_RETURN(Point p1, p_plus_g.mul(current.d2));  // d2·(P+G) = d1⁻¹·G
  Bytes context = refresh_context(holder_id, refresh_id, request.rho);
  DUET_TRY_STATUS(verify(kDomainRefreshDevice, Point::generator(), p1, request.proof, context));
  DUET_ASSIGN_OR_RETURN(Scalar rho_inv, request.rho.inverse());
  Scalar d2_new = current.d2 * rho_inv;
  DUET_ASSIGN_OR_RETURN(Scalar d2_new_inv, d2_new.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1_new, p1.mul(rho_inv));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainRefreshService, p1_new, d2_new_inv, p_plus_g, context, rng));
  return std::make_pair(ServiceKeyShare{d2_new, current.public_key}, RefreshResponse{std::move(proof)});
}

Status ServiceRefresh::confirm(const ServiceKeyShare& pending, std::string_view holder_id, std::string_view refresh_id,
                               const Scalar& rho, const RefreshConfirm& confirm) {
  DUET_ASSIGN_OR_RETURN(Point p_plus_g, pending.public_key.add(Point::generator()));
  DUET_ASSIGN_OR_RETURN(Point p1_new, p_plus_g.mul(pending.d2));  // d2'·(P+G) = d1'⁻¹·G
  return verify(kDomainRefreshConfirm, Point::generator(), p1_new, confirm.proof,
                refresh_context(holder_id, refresh_id, rho));
}

}  // namespace duet::cosign
