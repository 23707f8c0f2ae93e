// The cosign roles under memcheck: key generation, a two-item signing session
// (and a wrong-PIN session), share refresh, each role through its public API.
//
// What is secret here: every byte any RandomSource hands out (d1, d2, ρ, k's
// via the hedged nonces' fresh input, the proofs' t), the PIN, the wrapped
// share d1' and the service's d2, and everything computed from them.
// What becomes public, by the harness, because it is sent or published:
//   * every protocol message, where it crosses the wire (wire());
//   * the joint public key P and the device state's KDF salt (stored public);
//   * P1 where the SERVICE holds it (received in key generation, or computed
//     in a refresh and sealed): see docs/protocol.md §8.4, "P1 on the
//     service" — the service checks PIN proofs against P1 with the
//     variable-time verifier, so this test does not treat the service's P1 as
//     secret. On the device P1 stays secret.
#include "ct_cosign.h"

#include <string>
#include <vector>

#include "cosign/device_state.h"
#include "cosign/keygen.h"
#include "cosign/messages.h"
#include "cosign/refresh.h"
#include "cosign/service_key_share.h"
#include "cosign/sign.h"
#include "crypto/ct.h"
#include "crypto/random.h"
#include "crypto/sm3.h"
#include "ct_util.h"

namespace duet::ct_test {
namespace {

using crypto::Point;
using crypto::Scalar;
using Check = void (*)(bool, const char*);
using namespace cosign;
using ct_test::wire;  // the generic one, next to the overloads for vectors below

constexpr uint32_t kIterations = 1000;  // the KDF minimum: memcheck runs ~50× slower

void wire(const SignSessionRequest& request) {
  for (const auto& item : request.items) wire(item);
  wire(request.pin_proof);
}
void wire(const std::vector<SignResponse>& responses) {
  for (const auto& r : responses) wire(r);
}

std::string secret_pin(std::string pin) {
  crypto::ct::classify(pin.data(), pin.size());  // the length stays public
  return pin;
}

struct Enrolled {
  DeviceState device;
  ServiceKeyShare service;
};

Enrolled keygen(Check check, std::string_view pin) {
  SecretRandom device_rng("ct/keygen/device"), service_rng("ct/keygen/service");
  auto started = DeviceKeygen::start("hld_ct", device_rng);
  check(started.ok(), "DeviceKeygen::start");
  auto& [device, request] = *started;
  wire(request);
  auto responded = ServiceKeygen::respond("hld_ct", request, service_rng);
  check(responded.ok(), "ServiceKeygen::respond");
  auto& [share, response] = *responded;
  wire(response);
  crypto::ct::declassify(&share.public_key, sizeof(share.public_key));  // P: public
  if (share.p1) crypto::ct::declassify(&*share.p1, sizeof(*share.p1));  // see the file comment
  auto state = device.finish(response, pin, kIterations, device_rng);
  check(state.ok(), "DeviceKeygen::finish");
  crypto::ct::declassify(state->kdf.salt.data(), state->kdf.salt.size());  // stored in clear
  return Enrolled{std::move(*state), share};
}

void sign(Check check, const Enrolled& key, std::string_view pin, bool right_pin) {
  SecretRandom device_rng("ct/sign/device"), service_rng("ct/sign/service");
  SignSessionContext ctx{"ord_ct", right_pin ? "ses_ct_1" : "ses_ct_2",
                         {crypto::sm3(as_bytes("first item")), crypto::sm3(as_bytes("second item"))}};
  auto started = DeviceSignSession::start(key.device, pin, ctx, device_rng);
  check(started.ok(), "DeviceSignSession::start");
  auto& [session, request] = *started;
  wire(request);
  auto p1 = key.service.p1_or_derive();
  check(p1.ok(), "the service's P1");
  auto verified = ServiceSigner::verify_session(*p1, ctx, request);
  if (!right_pin) {
    check(verified.code() == ErrorCode::kPinInvalid, "a wrong PIN is refused");
    return;
  }
  check(verified.ok(), "ServiceSigner::verify_session");
  auto responses = ServiceSigner::respond(key.service, *verified, service_rng);
  check(responses.ok(), "ServiceSigner::respond");
  wire(*responses);
  auto finished = session.finish(*responses);
  check(finished.ok(), "DeviceSignSession::finish");
  auto& [finishes, signatures] = *finished;
  for (size_t i = 0; i < finishes.size(); ++i) {
    wire(finishes[i]);
    auto sig = ServiceSigner::finish(key.service.public_key, ctx.item(i), (*responses)[i].r, finishes[i]);
    check(sig.ok(), "ServiceSigner::finish");
  }
}

void refresh(Check check, const Enrolled& key, std::string_view pin, std::string_view new_pin) {
  SecretRandom device_rng("ct/refresh/device"), service_rng("ct/refresh/service");
  auto started = DeviceRefresh::start(key.device, pin, "ref_ct", device_rng);
  check(started.ok(), "DeviceRefresh::start");
  auto& [device, request] = *started;
  wire(request);
  auto responded = ServiceRefresh::respond(key.service, "hld_ct", "ref_ct", request, service_rng);
  check(responded.ok(), "ServiceRefresh::respond");
  auto& [pending, response] = *responded;
  wire(response);
  if (pending.p1) crypto::ct::declassify(&*pending.p1, sizeof(*pending.p1));  // sealed; see the file comment
  auto finished = device.finish(response, new_pin, kIterations, device_rng);
  check(finished.ok(), "DeviceRefresh::finish");
  auto& [new_state, confirm] = *finished;
  wire(confirm);
  check(ServiceRefresh::confirm(pending, "hld_ct", "ref_ct", confirm).ok(), "ServiceRefresh::confirm");
  auto again = DeviceRefresh::confirm_again(new_state, new_pin, "ref_ct", device_rng);
  check(again.ok(), "DeviceRefresh::confirm_again");
  wire(*again);
  check(ServiceRefresh::confirm(pending, "hld_ct", "ref_ct", *again).ok(), "ServiceRefresh::confirm (again)");
}

}  // namespace

void run_cosign_cases(Check check) {
  const std::string pin = secret_pin("482916"), wrong_pin = secret_pin("482917"), new_pin = secret_pin("771305");
  Enrolled key = keygen(check, pin);
  sign(check, key, pin, true);
  sign(check, key, wrong_pin, false);
  refresh(check, key, pin, new_pin);
}

}  // namespace duet::ct_test
