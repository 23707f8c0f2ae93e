// The purge records (holder_erasures, schema v25; docs/privacy.md
// "Backups") of a store read without opening it as a store: the live
// instance a restore stands in for, or a backup newer than the one restored.
// Read only, as found: nothing is migrated or locked for writing (the live
// duetd may keep running). A store older than schema v25 has no purge
// records: an empty list. Used by `duet admin restore` to re-apply the
// erasures made after the backup was taken (core/holder_erasure.h).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "store/holder_data_keys.h"

namespace duet::store {

// From the SQLite database file `db_path` (opened read-only; kNotFound when
// there is no such file).
Result<std::vector<HolderErasure>> read_sqlite_holder_erasures(const std::string& db_path);

// From the PostgreSQL database of `dsn` (its default search path, as duetd
// uses it; kUnavailable when it cannot be reached).
Result<std::vector<HolderErasure>> read_pg_holder_erasures(const std::string& dsn);

}  // namespace duet::store
