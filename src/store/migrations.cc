#include "store/migrations.h"

#include <string>
#include <vector>

#include "store/migration_pieces.h"

namespace duet::store {
namespace {

using migration_text::MigrationPiece;
using migration_text::VersionPieces;

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// The migrations' texts in one dialect, built once.
struct Rendered {
  std::vector<std::string> texts;
  std::vector<Migration> migrations;

  explicit Rendered(SqlDialect dialect) {
    const bool pg = dialect == SqlDialect::kPostgres;
    std::vector<VersionPieces> versions;
    for (auto list : {migration_text::first_wave_versions(), migration_text::later_versions()})
      versions.insert(versions.end(), list.begin(), list.end());
    texts.reserve(versions.size());
    for (const VersionPieces& v : versions) {
      std::string sql;
      for (const MigrationPiece& p : v.pieces) sql += pg ? p.postgres : p.sqlite;
      replace_all(sql, "{int}", pg ? "BIGINT" : "INTEGER");
      replace_all(sql, "{bytes}", pg ? "BYTEA" : "BLOB");
      texts.push_back(std::move(sql));
    }
    for (size_t i = 0; i < texts.size(); ++i) migrations.push_back(Migration{versions[i].version, texts[i]});
  }
};

}  // namespace

std::span<const Migration> schema_migrations(SqlDialect dialect) {
  static const Rendered sqlite(SqlDialect::kSqlite);
  static const Rendered postgres(SqlDialect::kPostgres);
  return (dialect == SqlDialect::kPostgres ? postgres : sqlite).migrations;
}

}  // namespace duet::store
