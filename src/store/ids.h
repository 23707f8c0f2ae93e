// Random record ids: a type prefix and 16 bytes from the system CSPRNG in
// lowercase hex, e.g. new_id("ord_") -> "ord_9b1c...". Ids are unguessable and
// carry no order; nothing may rely on them being sequential.
#pragma once

#include <string>
#include <string_view>

namespace duet::store {

std::string new_id(std::string_view prefix);

}  // namespace duet::store
