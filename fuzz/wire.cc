// Fuzz target: every parse_* of the protocol wire format (cosign/wire.h).
// Each input is given to every parser.
//
// Invariants checked, for each parser that accepts the input:
//  - round trip: to_json(m) parses again, to the same message (to_json of
//    the re-parsed message is byte-identical);
//  - the input holds no NUL byte (nlohmann ends the text at one and would
//    ignore what follows);
//  - the message agrees with the input: every value it kept is the input's
//    (hex up to case) — nothing is reduced, padded or cut on the way in;
//  - scalars the protocol requires non-zero (r, s2, s3, s, rho) are non-zero
//    (and every Scalar < n, every Point on the curve by their types, which
//    fuzz_scalar and fuzz_point check against OpenSSL).
// Refusals must carry one of the codes wire.h documents.
#include "cosign/wire.h"
#include "json_agree.h"

namespace {

using duet::ErrorCode;
using namespace duet::cosign;

bool documented_refusal(ErrorCode c) {
  return c == ErrorCode::kBadEncoding || c == ErrorCode::kBadPoint || c == ErrorCode::kBadScalar ||
         c == ErrorCode::kInvalidArgument || c == ErrorCode::kClientUpgradeRequired;
}

template <typename M, typename Parse, typename Extra>
void check(std::string_view text, const nlohmann::json& input, Parse parse, Extra extra) {
  duet::Result<M> m = parse(text);
  if (!m.ok()) {
    FUZZ_CHECK(documented_refusal(m.code()));
    return;
  }
  FUZZ_CHECK(text.find('\0') == std::string_view::npos);  // nlohmann would stop there
  std::string encoded = to_json(*m);
  duet::Result<M> again = parse(encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(to_json(*again) == encoded);
  FUZZ_CHECK(!input.is_discarded());
  FUZZ_CHECK(duet::fuzz::agrees(nlohmann::json::parse(encoded), input));
  extra(*m);
}

auto none = [](const auto&) {};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = duet::fuzz::as_text(data, size);
  nlohmann::json input = duet::fuzz::parse_input(text);
  check<KeygenRequest>(text, input, parse_keygen_request, none);
  check<KeygenResponse>(text, input, parse_keygen_response, none);
  check<SignRequest>(text, input, parse_sign_request, none);
  check<SignResponse>(text, input, parse_sign_response, [](const SignResponse& m) {
    FUZZ_CHECK(!m.r.is_zero() && !m.s2.is_zero() && !m.s3.is_zero());
  });
  check<SignFinish>(text, input, parse_sign_finish, [](const SignFinish& m) { FUZZ_CHECK(!m.s.is_zero()); });
  check<RefreshRequest>(text, input, parse_refresh_request,
                        [](const RefreshRequest& m) { FUZZ_CHECK(!m.rho.is_zero()); });
  check<RefreshResponse>(text, input, parse_refresh_response, none);
  check<RefreshConfirm>(text, input, parse_refresh_confirm, none);
  // Step 1 of protocol v2: a session of at most max_items items and one PIN proof.
  constexpr size_t kMaxItems = 4;
  check<SignSessionRequest>(
      text, input, [](std::string_view t) { return parse_sign_session_request(t, kMaxItems); },
      [](const SignSessionRequest& m) { FUZZ_CHECK(!m.items.empty() && m.items.size() <= kMaxItems); });
  return 0;
}
