// The Business API request signature of DESIGN.md §6:
//   X-Duet-Signature = hex(HMAC-SM3(secret, METHOD \n PATH[?QUERY] \n TIMESTAMP \n NONCE \n hex(SM3(body))))
// PATH is the request path as sent (percent-encoding untouched); "?QUERY" is
// present only when the query is non-empty. The HMAC key is the secret string
// exactly as issued (its ASCII bytes), so `openssl dgst -sm3 -hmac "$SECRET"`
// reproduces it. Callbacks use X-Duet-Signature = hex(HMAC-SM3(secret,
// TIMESTAMP \n hex(SM3(body)))).
#pragma once

#include <string>
#include <string_view>

namespace duet::core {

std::string canonical_request(std::string_view method, std::string_view path, std::string_view query,
                              std::string_view timestamp, std::string_view nonce, std::string_view body);

std::string sign_request(std::string_view secret, std::string_view method, std::string_view path,
                         std::string_view query, std::string_view timestamp, std::string_view nonce,
                         std::string_view body);

std::string sign_callback(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace duet::core
