// Password hashing for people who sign in with a password (the tenant
// portal, docs/portal.md): Argon2id (RFC 9106) over Debian's libargon2, in
// its PHC encoded form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), which
// carries its own salt and parameters, so a stored hash stays verifiable when
// the defaults change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/random.h"

namespace duet::crypto {

struct Argon2Params {
  uint32_t time_cost = 2;          // passes
  uint32_t memory_kib = 19 * 1024;  // RFC 9106 / OWASP minimum for interactive sign-in
  uint32_t parallelism = 1;
};

// The encoded Argon2id hash of `password` with a fresh 16-byte salt from
// `rng`. kInvalidArgument for a password over 1024 bytes.
Result<std::string> hash_password(std::string_view password, crypto::RandomSource& rng,
                                  const Argon2Params& params = {});

// Whether `password` matches `encoded` (false also for a malformed or
// non-Argon2id encoding: never an error the caller could tell apart).
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace duet::crypto
