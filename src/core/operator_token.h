// Operator bearer tokens: "adm_" followed by 64 hex digits (32 random bytes).
// The store keeps only their keyed hash (purpose "admin_token"); the secret is
// shown once (POST /admin/v1/operators) or kept in a 0600 file by the daemon
// (server/token_bootstrap.h).
#pragma once

#include <string>

#include "crypto/random.h"

namespace duet::core {

std::string mint_operator_token(crypto::RandomSource& rng);

}  // namespace duet::core
