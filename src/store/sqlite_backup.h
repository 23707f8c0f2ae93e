// Consistent copies of a live SQLite database (issue 6 §4).
#pragma once

#include <string>

#include "base/result.h"

namespace duet::store {

// Copies the database at `source_path` into a new file `target_path` with
// SQLite's online backup API, while other connections (a running duetd) keep
// reading and writing: the copy is one consistent snapshot (the backup
// restarts if a writer changes the source between steps, and waits out busy
// locks up to `busy_timeout_ms`). The copy is a self-contained database in
// rollback-journal mode (no -wal file needed). Then runs
// PRAGMA integrity_check on the copy. `target_path` must not exist
// (kAlreadyExists-like kConflict otherwise); a failed backup removes it.
Status sqlite_online_backup(const std::string& source_path, const std::string& target_path,
                            int busy_timeout_ms = 10000);

// PRAGMA integrity_check of a database file, opened read-only: Ok or
// kCorrupt with SQLite's first complaint.
Status sqlite_integrity_check(const std::string& path);

}  // namespace duet::store
