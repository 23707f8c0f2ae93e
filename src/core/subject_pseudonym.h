// The subject serialNumber of a holder certificate: a pseudonym stable per
// (tenant, identity), never the raw ID number.
#pragma once

#include <string>

#include "base/bytes.h"

namespace duet::core {

// Formats the first 16 bytes of a keyed hash as four groups of 8 lowercase hex
// digits joined by '-'. Contract: the result never holds a run of more than 8
// digits, so the pre-issuance lint (pki::looks_like_resident_id: 18 digits with a
// valid check, or a 15-digit token) can never mistake a pseudonym for a raw ID
// number, whatever the hash. Plain 32-hex pseudonyms did, for about 1 identity in
// 25,000, and then that holder could never be certified.
// A shorter hash gives fewer groups (the keyed hash is 32 bytes).
std::string subject_pseudonym(ByteView keyed_hash);

}  // namespace duet::core
