// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) with
// HMAC-SHA1, the algorithm every authenticator app implements: the second
// factor of the tenant portal's sign-in (docs/portal.md). Secrets are shown
// to people in base32 (RFC 4648, no padding) inside an otpauth:// URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace duet::crypto {

// The HOTP value of `secret` at `counter`, as `digits` (6 to 8) decimal digits.
std::string hotp(ByteView secret, uint64_t counter, int digits = 6);

// The TOTP value at `unix_time` with time step `step_seconds` (T0 = 0).
std::string totp(ByteView secret, int64_t unix_time, int digits = 6, int64_t step_seconds = 30);

// Whether `code` is the TOTP value at `unix_time` or one step either side
// (clock drift between the server and the person's phone). Compares in
// constant time.
bool totp_matches(ByteView secret, std::string_view code, int64_t unix_time, int digits = 6,
                  int64_t step_seconds = 30);

// The time step (unix_time / step_seconds) whose TOTP value `code` is, of
// the three totp_matches accepts (the latest if several); nullopt when none.
// The caller refuses a step at or below the last one it accepted (replay).
std::optional<int64_t> totp_match_step(ByteView secret, std::string_view code, int64_t unix_time, int digits = 6,
                                       int64_t step_seconds = 30);

// RFC 4648 base32, upper case, without padding; and back (case-insensitive,
// padding and spaces ignored; kInvalidArgument on another character).
std::string base32_encode(ByteView data);
Result<Bytes> base32_decode(std::string_view text);

}  // namespace duet::crypto
