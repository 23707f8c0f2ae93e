// The Business API request signature (docs/api/openapi.yaml
// "signedRequest").
//
// v1 (no X-Duet-Signature-Version header):
//   X-Duet-Signature = hex(HMAC-SM3(secret, METHOD \n PATH[?QUERY] \n TIMESTAMP \n NONCE \n hex(SM3(body))))
// v2 (X-Duet-Signature-Version: 2) adds the Idempotency-Key as the fifth of
// six lines, so nobody on the path can swap it:
//   X-Duet-Signature = hex(HMAC-SM3(secret, METHOD \n PATH[?QUERY] \n TIMESTAMP \n NONCE \n IDEMPOTENCY_KEY \n hex(SM3(body))))
// IDEMPOTENCY_KEY is the header's value as sent; an absent header and an
// empty one are the same request (the service reads both as "no key") and
// sign the same empty line — the line is never left out. Lines are joined by
// a single LF, with no LF after the last.
//
// PATH is the request path as sent (percent-encoding untouched); "?QUERY" is
// present only when the query is non-empty. The HMAC key is the secret string
// exactly as issued (its ASCII bytes), so `openssl dgst -sm3 -hmac "$SECRET"`
// reproduces it. The version is not a line of its own: no header value can
// hold an LF, so a 5-line v1 string never equals a 6-line v2 string, and a
// signature made for one version never verifies as the other.
//
// Callbacks use X-Duet-Signature = hex(HMAC-SM3(secret, TIMESTAMP \n hex(SM3(body)))).
#pragma once

#include <string>
#include <string_view>

namespace duet::core {

inline constexpr std::string_view kSignatureVersionHeader = "X-Duet-Signature-Version";
inline constexpr std::string_view kSignatureVersion2 = "2";

// v1.
std::string canonical_request(std::string_view method, std::string_view path, std::string_view query,
                              std::string_view timestamp, std::string_view nonce, std::string_view body);

std::string sign_request(std::string_view secret, std::string_view method, std::string_view path,
                         std::string_view query, std::string_view timestamp, std::string_view nonce,
                         std::string_view body);

// v2: the fields of one request, as sent.
struct RequestFields {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  std::string_view timestamp;
  std::string_view nonce;
  std::string_view idempotency_key;  // "" when the header is absent
  std::string_view body;
};

std::string canonical_request_v2(const RequestFields& r);
std::string sign_request_v2(std::string_view secret, const RequestFields& r);

std::string sign_callback(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace duet::core
