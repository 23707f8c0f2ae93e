#include "cosign/refresh.h"

namespace duet::cosign {

using crypto::Point;
using crypto::Scalar;

Bytes refresh_context(std::string_view holder_id, std::string_view refresh_id, const Scalar& rho) {
  return ProofContext().add(holder_id).add(refresh_id).add(ByteView(rho.bytes())).bytes();
}

Bytes refresh_confirm_context(std::string_view holder_id, std::string_view refresh_id) {
  return ProofContext().add(holder_id).add(refresh_id).bytes();
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

static Result<RefreshConfirm> make_confirm(std::string_view holder_id, std::string_view refresh_id,
                                           const Scalar& d1_new, crypto::RandomSource& rng) {
  DUET_ASSIGN_OR_RETURN(Scalar d1_new_inv, d1_new.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1_new, Point::mul_base(d1_new_inv));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainRefreshConfirm, Point::generator(), d1_new_inv, p1_new,
                                                  refresh_confirm_context(holder_id, refresh_id), rng));
  return RefreshConfirm{std::move(proof)};
}

Result<std::pair<DeviceState, RefreshConfirm>> DeviceRefresh::finish(const RefreshResponse& response,
                                                                     std::string_view new_pin,
                                                                     uint32_t kdf_iterations,
                                                                     crypto::RandomSource& rng) {
  if (spent_) return make_error(ErrorCode::kBadState, "the new share was wrapped already");
  DUET_TRY_STATUS(check_pin(new_pin));
  Scalar d1_new = d1_ * rho_;
  DUET_ASSIGN_OR_RETURN(Scalar d1_new_inv, d1_new.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1_new, Point::mul_base(d1_new_inv));
  DUET_ASSIGN_OR_RETURN(Point p_plus_g, public_key_.add(Point::generator()));
  DUET_TRY_STATUS(verify(kDomainRefreshService, p1_new, p_plus_g, response.proof,
                         refresh_context(holder_id_, refresh_id_, rho_)));
  DUET_ASSIGN_OR_RETURN(DeviceState state, wrap_share(holder_id_, public_key_, d1_new, new_pin, kdf_iterations, rng));
  DUET_ASSIGN_OR_RETURN(RefreshConfirm confirm, make_confirm(holder_id_, refresh_id_, d1_new, rng));
  spent_ = true;
  d1_ = Scalar::zero();
  rho_ = Scalar::zero();
  return std::make_pair(std::move(state), std::move(confirm));
}

Result<RefreshConfirm> DeviceRefresh::confirm_again(const DeviceState& new_state, std::string_view pin,
                                                    std::string_view refresh_id, crypto::RandomSource& rng) {
  if (refresh_id.empty()) return make_error(ErrorCode::kInvalidArgument, "refresh id is empty");
  DUET_ASSIGN_OR_RETURN(Scalar d1_new, unwrap_share(new_state, pin));
  return make_confirm(new_state.holder_id, refresh_id, d1_new, rng);
}

Result<std::pair<ServiceKeyShare, RefreshResponse>> ServiceRefresh::respond(const ServiceKeyShare& current,
                                                                           std::string_view holder_id,
                                                                           std::string_view refresh_id,
                                                                           const RefreshRequest& request,
                                                                           crypto::RandomSource& rng) {
  if (holder_id.empty() || refresh_id.empty()) return make_error(ErrorCode::kInvalidArgument, "ids are required");
  if (request.rho.is_zero()) return make_error(ErrorCode::kBadScalar, "rho is zero");
  DUET_ASSIGN_OR_RETURN(Point p_plus_g, current.public_key.add(Point::generator()));
  DUET_ASSIGN_OR_RETURN(Point p1, current.p1_or_derive());
  Bytes context = refresh_context(holder_id, refresh_id, request.rho);
  if (!verify(kDomainRefreshDevice, Point::generator(), p1, request.proof, context).ok()) {
    return make_error(ErrorCode::kPinInvalid, "the PIN is wrong");
  }
  DUET_ASSIGN_OR_RETURN(Scalar rho_inv, request.rho.inverse());
  Scalar d2_new = current.d2 * rho_inv;
  DUET_ASSIGN_OR_RETURN(Scalar d2_new_inv, d2_new.inverse());
  DUET_ASSIGN_OR_RETURN(Point p1_new, p1.mul(rho_inv));
  DUET_ASSIGN_OR_RETURN(SchnorrProof proof, prove(kDomainRefreshService, p1_new, d2_new_inv, p_plus_g, context, rng));
  return std::make_pair(ServiceKeyShare{d2_new, current.public_key, p1_new}, RefreshResponse{std::move(proof)});
}

Status ServiceRefresh::confirm(const ServiceKeyShare& pending, std::string_view holder_id, std::string_view refresh_id,
                               const RefreshConfirm& confirm) {
  DUET_ASSIGN_OR_RETURN(Point p1_new, pending.p1_or_derive());
  if (!verify(kDomainRefreshConfirm, Point::generator(), p1_new, confirm.proof,
              refresh_confirm_context(holder_id, refresh_id))
           .ok()) {
    return make_error(ErrorCode::kPinInvalid, "the PIN is wrong");
  }
  return Status::Ok();
}

}  // namespace duet::cosign
