// Fuzz target: the service key-share blob (cosign/service_key_share.h
// ServiceKeyShare::parse), in both its forms (v1 JSON, v2 binary).
//
// Invariants checked, when a blob parses:
//  - d2 is non-zero (and < n, P on the curve by their types);
//  - serialize → parse gives the same share (d2, P, and P1 as recorded or
//    derived), and serializing that again is byte-identical;
//  - a blob in the form serialize() writes comes back byte-identical (the
//    encoding is canonical: nothing is reduced, padded or dropped).
// Refusals are kBadState or kUnsupportedVersion.
#include <algorithm>

#include "cosign/service_key_share.h"
#include "fuzz_util.h"

namespace {

using duet::ErrorCode;
using duet::cosign::ServiceKeyShare;

bool same_bytes(const duet::SecretBytes& a, duet::ByteView b) {
  return a.size() == b.size() && std::equal(a.view().begin(), a.view().end(), b.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  duet::ByteView in(data, size);
  auto share = ServiceKeyShare::parse(in);
  if (!share.ok()) {
    FUZZ_CHECK(share.code() == ErrorCode::kBadState || share.code() == ErrorCode::kUnsupportedVersion);
    return 0;
  }
  FUZZ_CHECK(!share->d2.is_zero());
  // The v1 JSON form holds no NUL byte (nlohmann would stop there, ignoring the rest).
  if (size > 0 && data[0] == '{') FUZZ_CHECK(std::find(data, data + size, 0) == data + size);
  auto blob = share->serialize();
  // P1 is derived from d2·(P + G) for a v1 record; that fails only when P = -G.
  if (!blob.ok()) {
    FUZZ_CHECK(!share->p1.has_value());
    return 0;
  }
  auto again = ServiceKeyShare::parse(blob->view());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->d2 == share->d2 && again->public_key == share->public_key);
  auto p1 = share->p1_or_derive();
  auto p1_again = again->p1_or_derive();
  FUZZ_CHECK(p1.ok() && p1_again.ok() && *p1 == *p1_again);
  auto blob2 = again->serialize();
  FUZZ_CHECK(blob2.ok() && same_bytes(*blob2, blob->view()));
  if (share->p1.has_value()) FUZZ_CHECK(same_bytes(*blob, in));
  return 0;
}
