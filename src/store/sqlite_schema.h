// The SQLite schema: the one migration list (store/migrations.h) in SQLite's
// dialect, applied by SqliteStore's runner at open. Private to the SQLite
// backend.
#pragma once

#include <span>

#include "store/migrations.h"

namespace duet::store::sqlite {

using Migration = store::Migration;

inline std::span<const Migration> migrations() { return schema_migrations(SqlDialect::kSqlite); }

}  // namespace duet::store::sqlite
