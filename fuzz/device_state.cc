// Fuzz target: the device state file (cosign/device_state.h DeviceState::parse).
//
// Invariants checked, when a state parses:
//  - the text holds no NUL byte (nlohmann would stop there, ignoring the rest);
//  - holder_id is non-empty, the wrapped share d1' is non-zero (and < n by
//    type), the KDF iterations are within [1000, 10^8], the salt has its size;
//  - it agrees with the input (every value serialize() writes is the input's,
//    hex up to case) and serialize → parse gives the same state, whose
//    serialization is byte-identical.
// Refusals are kBadState or kUnsupportedVersion, nothing else.
#include <algorithm>

#include "cosign/device_state.h"
#include "json_agree.h"

namespace {

using duet::ErrorCode;
using duet::cosign::DeviceState;

bool same(const DeviceState& a, const DeviceState& b) {
  return a.holder_id == b.holder_id && a.public_key == b.public_key && a.wrapped_share == b.wrapped_share &&
         a.kdf.iterations == b.kdf.iterations && a.kdf.salt == b.kdf.salt;
}

std::string_view text_of(const duet::SecretBytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = DeviceState::parse(duet::ByteView(data, size));
  if (!s.ok()) {
    FUZZ_CHECK(s.code() == ErrorCode::kBadState || s.code() == ErrorCode::kUnsupportedVersion);
    return 0;
  }
  FUZZ_CHECK(std::find(data, data + size, 0) == data + size);  // nothing hides after a NUL
  FUZZ_CHECK(!s->holder_id.empty());
  FUZZ_CHECK(!s->wrapped_share.is_zero());
  FUZZ_CHECK(s->kdf.iterations >= 1000 && s->kdf.iterations <= 100'000'000u);
  FUZZ_CHECK(s->kdf.salt.size() == duet::cosign::PinKdf::kSaltSize);

  duet::SecretBytes blob = s->serialize();
  if (!duet::fuzz::agrees(nlohmann::json::parse(text_of(blob)),
                          duet::fuzz::parse_input(duet::fuzz::as_text(data, size)))) {
    std::fprintf(stderr, "serialized: %s\n", duet::fuzz::escaped(text_of(blob)).c_str());
  }
  FUZZ_CHECK(duet::fuzz::agrees(nlohmann::json::parse(text_of(blob)),
                                duet::fuzz::parse_input(duet::fuzz::as_text(data, size))));
  auto again = DeviceState::parse(blob.view());
  FUZZ_CHECK(again.ok() && same(*again, *s));
  duet::SecretBytes blob2 = again->serialize();
  FUZZ_CHECK(text_of(blob2) == text_of(blob));
  return 0;
}
