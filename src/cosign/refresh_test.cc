#include "cosign/refresh.h"

#include <gtest/gtest.h>

#include "cosign/test_util.h"
#include "cosign/wire.h"

namespace duet::cosign {
namespace {

using crypto::Scalar;
using namespace testing;

crypto::SystemRandom& rng() { return crypto::SystemRandom::instance(); }

struct Refreshed {
  Enrolled old_pair;
  Enrolled new_pair;
};

Refreshed refresh(const std::string& holder) {
  Enrolled e = enroll(holder, "123456", rng());
  auto [device, request] = *DeviceRefresh::start(e.device, "123456", "rfr_1", rng());
  auto request2 = *parse_refresh_request(to_json(request));
  auto [pending, response] = *ServiceRefresh::respond(e.service, holder, "rfr_1", request2, rng());
  auto [state, confirm] = *device.finish(*parse_refresh_response(to_json(response)), "654321", kTestIterations, rng());
  EXPECT_TRUE(ServiceRefresh::confirm(pending, holder, "rfr_1", request2.rho, *parse_refresh_confirm(to_json(confirm))).ok());
  return Refreshed{e, Enrolled{state, pending}};
}

TEST(Refresh, KeepsThePublicKeyAndSigns) {
  Refreshed r = refresh("hld_r1");
  EXPECT_TRUE(r.new_pair.device.public_key == r.old_pair.device.public_key);
  EXPECT_FALSE(r.new_pair.service.d2 == r.old_pair.service.d2);
  SignContext ctx = context_for(r.new_pair.device.public_key, as_bytes("after refresh"));
  EXPECT_TRUE(sign_once(r.new_pair, "654321", ctx, rng()).ok());
}

TEST(Refresh, MixingOldAndNewSharesFails) {
  Refreshed r = refresh("hld_r2");
  SignContext ctx = context_for(r.new_pair.device.public_key, as_bytes("mixed"));
  Enrolled old_device_new_service{r.old_pair.device, r.new_pair.service};
  Enrolled new_device_old_service{r.new_pair.device, r.old_pair.service};
  EXPECT_EQ(sign_once(old_device_new_service, "123456", ctx, rng()).code(), ErrorCode::kSignatureInvalid);
  EXPECT_EQ(sign_once(new_device_old_service, "654321", ctx, rng()).code(), ErrorCode::kSignatureInvalid);
}

TEST(Refresh, WrongPinOrWrongContextIsRefused) {
  Enrolled e = enroll("hld_r3", "123456", rng());
  auto [device, request] = *DeviceRefresh::start(e.device, "000000", "rfr_1", rng());
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", request, rng()).code(), ErrorCode::kBadProof);
  auto [device2, request2] = *DeviceRefresh::start(e.device, "123456", "rfr_1", rng());
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_2", request2, rng()).code(), ErrorCode::kBadProof);
  RefreshRequest other_rho = request2;
  other_rho.rho = other_rho.rho + Scalar::one();
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", other_rho, rng()).code(), ErrorCode::kBadProof);
  auto [pending, response] = *ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", request2, rng());
  auto [state, confirm] = *device2.finish(response, "123456", kTestIterations, rng());
  // A confirm for another refresh, or a forged one, is refused.
  EXPECT_EQ(ServiceRefresh::confirm(pending, "hld_r3", "rfr_9", request2.rho, confirm).code(), ErrorCode::kBadProof);
  EXPECT_EQ(ServiceRefresh::confirm(e.service, "hld_r3", "rfr_1", request2.rho, confirm).code(), ErrorCode::kBadProof);
  EXPECT_TRUE(ServiceRefresh::confirm(pending, "hld_r3", "rfr_1", request2.rho, confirm).ok());
  // A response with a wrong proof is refused by the device.
  RefreshResponse bad = response;
  bad.proof.z = bad.proof.z + Scalar::one();
  EXPECT_EQ(device2.finish(bad, "123456", kTestIterations, rng()).code(), ErrorCode::kBadProof);
}

}  // namespace
}  // namespace duet::cosign
