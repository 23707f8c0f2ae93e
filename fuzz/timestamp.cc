// Fuzz target: the time-stamping unit's parsers (pki/timestamp.h), which read
// untrusted DER from POST /pki/tsa and from signatures being verified.
//
// Invariants checked:
//  - parse_timestamp_request accepts only requests with a 32-byte SM3 or
//    SHA-256 imprint; refusals are kBadEncoding or kInvalidArgument. What it
//    accepts re-encodes (encode_timestamp_request) to a request that parses
//    to the same fields.
//  - timestamp_token_of_response, verify_timestamp_token,
//    signature_timestamps and signature_timestamp_imprint never crash or
//    leak, and a token that verifies against an empty trust store is never
//    reported valid (nothing chains to no root).
#include "fuzz_util.h"
#include "pki/timestamp.h"

using duet::Bytes;
using duet::ByteView;
using duet::ErrorCode;
namespace pki = duet::pki;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView input(data, size);
  auto request = pki::parse_timestamp_request(input);
  if (request.ok()) {
    FUZZ_CHECK(request->imprint.size() == 32);
    auto encoded = pki::encode_timestamp_request(*request);
    FUZZ_CHECK(encoded.ok());
    auto again = pki::parse_timestamp_request(*encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->hash == request->hash && again->imprint == request->imprint &&
               again->nonce == request->nonce && again->cert_req == request->cert_req &&
               again->policy_oid == request->policy_oid);
  } else {
    FUZZ_CHECK(request.code() == ErrorCode::kBadEncoding || request.code() == ErrorCode::kInvalidArgument);
  }

  (void)pki::timestamp_token_of_response(input);
  const Bytes imprint(32, 0);
  auto verdict = pki::verify_timestamp_token(input, pki::ImprintHash::kSm3, imprint, pki::CmsTrust{});
  if (verdict.ok()) FUZZ_CHECK(!verdict->ok());
  (void)pki::signature_timestamps(input);
  (void)pki::signature_timestamp_imprint(input);
  return 0;
}
