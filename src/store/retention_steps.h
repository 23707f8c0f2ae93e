// What both backends' retention purges and settings do besides their SQL
// (store.h "retention" and "leases"): the audit event of one purged record,
// the checks of the caller's arguments, and the digest that replaces a purged
// input. Private to src/store.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "store/records.h"

namespace duet::store {

// Every purge names who runs it.
Status check_purge_actor(std::string_view actor);

// The audit event one purged record appends in the purge's transaction.
AuditEvent purge_event(std::string_view tenant_id, std::string_view actor, std::string_view action,
                       std::string_view target, std::string details, UnixSeconds now);
inline constexpr std::string_view kOrderPayloadPurged = "retention.order_payload_purged";
inline constexpr std::string_view kIdentityPurged = "retention.identity_purged";
inline constexpr std::string_view kKeyShareWiped = "retention.key_share_wiped";
std::string order_payload_purge_details(int64_t items);
inline constexpr std::string_view kIdentityPurgeDetails = "{\"fields\":[\"id_number\",\"phone\"]}";
std::string key_share_wipe_details(bool revoked);

// The SM3 digest that replaces an order item's input; `input` is wiped.
Bytes digest_and_wipe(Bytes& input);

// try_acquire_lease's arguments: a name, an owner and a ttl of at least 1 s.
Status check_lease_args(std::string_view name, std::string_view owner, int64_t ttl_seconds);

}  // namespace duet::store
