// Share refresh (docs/protocol.md §7, protocol v2): both device messages are
// PIN uses answered kPinInvalid on a wrong PIN, the confirm is bound to the
// refresh id (not ρ) so a device resumes from the new wrap and the refresh id
// alone, and a PIN change is a refresh (never a second wrap of one share).
#include "cosign/refresh.h"

#include <gtest/gtest.h>

#include "cosign/test_util.h"
#include "cosign/wire.h"

namespace duet::cosign {
namespace {

using namespace testing;  // Point, Scalar, rng(), the roles run in-process

const std::string kOldPin = "123456";
const std::string kNewPin = "654321";

// No DeviceState API re-wraps a share under another PIN: a local PIN change
// would leave two wraps of one d1 (a·w(p) = b·w(q) tests PIN pairs offline).
template <typename T>
concept HasLocalPinChange = requires { &T::change_pin; } || requires { &T::rewrap; } || requires { &T::set_pin; };
static_assert(!HasLocalPinChange<DeviceState>);

struct Refreshed {
  Enrolled old_pair;
  Enrolled new_pair;
};

// A refresh through the wire encodings, from kOldPin to `new_pin`.
Result<Refreshed> refresh(const Enrolled& e, const std::string& new_pin, const std::string& refresh_id = "rfr_1") {
  const std::string& holder = e.device.holder_id;
  DUET_ASSIGN_OR_RETURN(auto started, DeviceRefresh::start(e.device, kOldPin, refresh_id, rng()));
  DUET_ASSIGN_OR_RETURN(RefreshRequest request, parse_refresh_request(to_json(started.second)));
  DUET_ASSIGN_OR_RETURN(auto responded, ServiceRefresh::respond(e.service, holder, refresh_id, request, rng()));
  DUET_ASSIGN_OR_RETURN(RefreshResponse response, parse_refresh_response(to_json(responded.second)));
  DUET_ASSIGN_OR_RETURN(auto finished, started.first.finish(response, new_pin, kTestIterations, rng()));
  DUET_ASSIGN_OR_RETURN(RefreshConfirm confirm, parse_refresh_confirm(to_json(finished.second)));
  DUET_TRY_STATUS(ServiceRefresh::confirm(responded.first, holder, refresh_id, confirm));
  return Refreshed{e, Enrolled{finished.first, responded.first}};
}

TEST(Refresh, KeepsThePublicKeyAndSigns) {
  ASSERT_ENROLLED(e, "hld_r1", kOldPin);
  ASSERT_OK_AND_ASSIGN(Refreshed r, refresh(e, kNewPin));
  EXPECT_TRUE(r.new_pair.device.public_key == r.old_pair.device.public_key);
  EXPECT_FALSE(r.new_pair.service.d2 == r.old_pair.service.d2);
  EXPECT_TRUE(r.new_pair.service.p1.has_value());  // the pending share carries P1' for the next PIN proof
  SignSessionContext ctx = session_for(r.new_pair.device.public_key, {"after refresh", "and another"});
  ASSERT_OK_AND_ASSIGN(auto sigs, sign_session(r.new_pair, kNewPin, ctx, rng()));
  EXPECT_EQ(sigs.size(), 2u);
}

TEST(Refresh, MixingOldAndNewSharesFailsAtThePinProof) {
  ASSERT_ENROLLED(e, "hld_r2", kOldPin);
  ASSERT_OK_AND_ASSIGN(Refreshed r, refresh(e, kNewPin));
  SignSessionContext ctx = session_for(r.new_pair.device.public_key, {"mixed"});
  Enrolled old_device_new_service{r.old_pair.device, r.new_pair.service};
  Enrolled new_device_old_service{r.new_pair.device, r.old_pair.service};
  // An old copy of the device state (with its PIN) is dead after the refresh.
  EXPECT_EQ(sign_session(old_device_new_service, kOldPin, ctx, rng()).code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(sign_session(new_device_old_service, kNewPin, ctx, rng()).code(), ErrorCode::kPinInvalid);
}

TEST(Refresh, APinChangeWrapsAnotherShareNeverTheSameOneTwice) {
  // Old copy a = d1·w(old)⁻¹, new state b = d1'·w(new)⁻¹. A meet-in-the-middle
  // test a·w(p) = b·w(q) needs d1' = d1; a refresh makes d1' = d1·ρ.
  ASSERT_ENROLLED(e, "hld_r_pin", kOldPin);
  ASSERT_OK_AND_ASSIGN(Refreshed r, refresh(e, kNewPin));
  ASSERT_OK_AND_ASSIGN(Scalar d1_old, unwrap_share(r.old_pair.device, kOldPin));
  ASSERT_OK_AND_ASSIGN(Scalar d1_new, unwrap_share(r.new_pair.device, kNewPin));
  EXPECT_FALSE(d1_old == d1_new);
  EXPECT_FALSE(r.old_pair.device.kdf.salt == r.new_pair.device.kdf.salt);
  // The same holds for a refresh that keeps the PIN.
  ASSERT_OK_AND_ASSIGN(Refreshed same, refresh(e, kOldPin, "rfr_same"));
  ASSERT_OK_AND_ASSIGN(Scalar d1_same, unwrap_share(same.new_pair.device, kOldPin));
  EXPECT_FALSE(d1_old == d1_same);
}

TEST(Refresh, WrongPinOrWrongContextAtTheStartIsAPinFailure) {
  ASSERT_ENROLLED(e, "hld_r3", kOldPin);
  ASSERT_OK_AND_ASSIGN(auto wrong, DeviceRefresh::start(e.device, "000000", "rfr_1", rng()));
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", wrong.second, rng()).code(), ErrorCode::kPinInvalid);
  ASSERT_OK_AND_ASSIGN(auto right, DeviceRefresh::start(e.device, kOldPin, "rfr_1", rng()));
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_2", right.second, rng()).code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_other", "rfr_1", right.second, rng()).code(),
            ErrorCode::kPinInvalid);
  RefreshRequest other_rho = right.second;
  other_rho.rho = other_rho.rho + Scalar::one();
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", other_rho, rng()).code(), ErrorCode::kPinInvalid);
  RefreshRequest zero_rho = right.second;
  zero_rho.rho = Scalar::zero();
  EXPECT_EQ(ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", zero_rho, rng()).code(), ErrorCode::kBadScalar);
  EXPECT_EQ(DeviceRefresh::start(e.device, kOldPin, "", rng()).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ServiceRefresh::respond(e.service, "hld_r3", "rfr_1", right.second, rng()).ok());
}

TEST(Refresh, ConfirmIsAPinUseBoundToTheRefreshId) {
  ASSERT_ENROLLED(e, "hld_r4", kOldPin);
  ASSERT_OK_AND_ASSIGN(auto started, DeviceRefresh::start(e.device, kOldPin, "rfr_1", rng()));
  ASSERT_OK_AND_ASSIGN(auto responded, ServiceRefresh::respond(e.service, "hld_r4", "rfr_1", started.second, rng()));
  const ServiceKeyShare& pending = responded.first;
  // A response with a wrong proof is refused by the device.
  RefreshResponse bad = responded.second;
  bad.proof.z = bad.proof.z + Scalar::one();
  EXPECT_EQ(started.first.finish(bad, kNewPin, kTestIterations, rng()).code(), ErrorCode::kBadProof);
  ASSERT_OK_AND_ASSIGN(auto finished, started.first.finish(responded.second, kNewPin, kTestIterations, rng()));
  const DeviceState& new_state = finished.first;

  // A confirm made for another refresh id, or checked against the current
  // share instead of the pending one, is refused as a PIN failure.
  ASSERT_OK_AND_ASSIGN(RefreshConfirm for_other_id, DeviceRefresh::confirm_again(new_state, kNewPin, "rfr_9", rng()));
  EXPECT_EQ(ServiceRefresh::confirm(pending, "hld_r4", "rfr_1", for_other_id).code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ServiceRefresh::confirm(pending, "hld_r4", "rfr_9", finished.second).code(), ErrorCode::kPinInvalid);
  EXPECT_EQ(ServiceRefresh::confirm(e.service, "hld_r4", "rfr_1", finished.second).code(), ErrorCode::kPinInvalid);

  // Resuming an interrupted refresh from the new wrap and the refresh id:
  // with another PIN (the old one, a guess) the confirm is a PIN failure...
  for (const std::string& pin : {kOldPin, std::string("000000")}) {
    ASSERT_OK_AND_ASSIGN(RefreshConfirm wrong, DeviceRefresh::confirm_again(new_state, pin, "rfr_1", rng()));
    EXPECT_EQ(ServiceRefresh::confirm(pending, "hld_r4", "rfr_1", wrong).code(), ErrorCode::kPinInvalid) << pin;
  }
  // ...with the PIN of the new wrap it is accepted, and so is the original.
  ASSERT_OK_AND_ASSIGN(RefreshConfirm again, DeviceRefresh::confirm_again(new_state, kNewPin, "rfr_1", rng()));
  EXPECT_TRUE(ServiceRefresh::confirm(pending, "hld_r4", "rfr_1", again).ok());
  EXPECT_TRUE(ServiceRefresh::confirm(pending, "hld_r4", "rfr_1", finished.second).ok());
  EXPECT_EQ(DeviceRefresh::confirm_again(new_state, kNewPin, "", rng()).code(), ErrorCode::kInvalidArgument);
}

TEST(Refresh, TheConfirmContextHoldsNoRho) {
  // f(holder_id) ‖ f(refresh_id), written out by hand.
  Bytes expected = {0, 0, 0, 5, 'h', 'l', 'd', '_', 'a', 0, 0, 0, 5, 'r', 'f', 'r', '_', '1'};
  EXPECT_EQ(refresh_confirm_context("hld_a", "rfr_1"), expected);
  // The request context does hold ρ: f(holder) ‖ f(refresh) ‖ f(ρ as 32 bytes).
  Bytes with_rho = refresh_context("hld_a", "rfr_1", Scalar::one());
  ASSERT_EQ(with_rho.size(), expected.size() + 4 + 32);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), with_rho.begin()));
  EXPECT_EQ(with_rho.back(), 1);
}

TEST(Refresh, AV1ShareRecordRefreshesLikeAV2One) {
  ASSERT_ENROLLED(e, "hld_r5", kOldPin);
  Enrolled legacy{e.device, ServiceKeyShare{e.service.d2, e.service.public_key, std::nullopt}};
  ASSERT_OK_AND_ASSIGN(auto started, DeviceRefresh::start(e.device, kOldPin, "rfr_1", rng()));
  ASSERT_OK_AND_ASSIGN(auto from_v2, ServiceRefresh::respond(e.service, "hld_r5", "rfr_1", started.second, rng()));
  ASSERT_OK_AND_ASSIGN(auto from_v1, ServiceRefresh::respond(legacy.service, "hld_r5", "rfr_1", started.second, rng()));
  ASSERT_TRUE(from_v2.first.p1.has_value() && from_v1.first.p1.has_value());
  EXPECT_TRUE(*from_v2.first.p1 == *from_v1.first.p1);
  EXPECT_TRUE(from_v2.first.d2 == from_v1.first.d2);
  ASSERT_OK_AND_ASSIGN(auto finished, started.first.finish(from_v1.second, kNewPin, kTestIterations, rng()));
  EXPECT_TRUE(ServiceRefresh::confirm(from_v1.first, "hld_r5", "rfr_1", finished.second).ok());
}

// Two wraps of one share under two PINs from the device roles' own steps: a
// finished key generation or refresh must not wrap its share a second time.
TEST(Refresh, ARoleWrapsItsShareOnce) {
  auto kstart = DeviceKeygen::start("hld_twice", rng());
  ASSERT_TRUE(kstart.ok());
  ASSERT_OK_AND_ASSIGN(auto kresp, ServiceKeygen::respond("hld_twice", kstart->second, rng()));
  ASSERT_TRUE(kstart->first.finish(kresp.second, kOldPin, kTestIterations, rng()).ok());
  EXPECT_FALSE(kstart->first.finish(kresp.second, kNewPin, kTestIterations, rng()).ok());

  ASSERT_ENROLLED(e, "hld_twice_r", kOldPin);
  ASSERT_OK_AND_ASSIGN(auto started, DeviceRefresh::start(e.device, kOldPin, "rfr_1", rng()));
  ASSERT_OK_AND_ASSIGN(auto responded, ServiceRefresh::respond(e.service, "hld_twice_r", "rfr_1", started.second, rng()));
  ASSERT_TRUE(started.first.finish(responded.second, kNewPin, kTestIterations, rng()).ok());
  EXPECT_FALSE(started.first.finish(responded.second, "777777", kTestIterations, rng()).ok());
}

}  // namespace
}  // namespace duet::cosign
