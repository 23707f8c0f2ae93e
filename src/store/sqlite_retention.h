// The retention section of store.h on SQLite (private to the SQLite backend):
// purges with their audit events, retention settings, generic leases. Each
// function runs inside the caller's transaction on `c` (a write transaction
// for the changing ones); SqliteStore wraps each in one transaction.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "store/records.h"

namespace duet::store::sqlite {

class Connection;

Result<size_t> purge_order_payloads(Connection& c, UnixSeconds final_before, UnixSeconds now, std::string_view actor,
                                    size_t limit);
Result<std::optional<UnixSeconds>> order_payload_purged_at(Connection& c, std::string_view tenant_id,
                                                           std::string_view order_id);
Result<size_t> purge_identity_attributes(Connection& c, UnixSeconds issued_before, UnixSeconds now,
                                         std::string_view actor, size_t limit);
Result<size_t> wipe_retired_key_shares(Connection& c, UnixSeconds expired_before, UnixSeconds now,
                                       std::string_view actor, size_t limit);
Result<RetentionSettings> get_retention_settings(Connection& c);
Status put_retention_settings(Connection& c, const RetentionSettings& s);
Result<bool> try_acquire_lease(Connection& c, std::string_view name, std::string_view owner, UnixSeconds now,
                               int64_t ttl_seconds);

}  // namespace duet::store::sqlite
