// `duet admin restore` re-applies the erasures made after the backup was
// taken (docs/privacy.md "Backups", docs/operations.md "Backups"): the purge
// records are read from where they survive — the live instance's data
// directory or PostgreSQL database, or a newer backup — before anything is
// written, and applied to the restored store once it is in place.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/holder_data_keys.h"

namespace duet::cli {

// Where the erasures after the backup are read from.
struct ErasureSources {
  std::vector<std::string> data_dirs;  // SQLite: a data directory or a backup directory (its duet.db)
  std::vector<std::string> pg_dsns;    // PostgreSQL: the live database
  bool none = false;                   // --no-later-erasures: the operator states no record survives
};

// Every purge record of the sources, one per holder (the earliest when
// several sources have it). Fails (CliError) when a source cannot be read,
// and when no source is given and `none` is not set: a restore must not
// bring erased holders back silently.
std::vector<store::HolderErasure> read_later_erasures(const ErasureSources& sources);

// Applies `records` to the restored store (SQLite file `sqlite_path`, or the
// PostgreSQL database `pg_dsn`), each audited in that store; answers
// {"reapplied", "already_erased", "not_in_backup"} (counts) and the ids.
nlohmann::json reapply_erasures(const std::vector<store::HolderErasure>& records, const std::string& sqlite_path,
                                const std::string& pg_dsn);

}  // namespace duet::cli
