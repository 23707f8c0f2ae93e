// The pieces store/migrations.cc renders: each migration's SQLite and
// PostgreSQL text, written once (store/migrations.h says how). Internal to
// the store; the lists live in migrations_v1_v12.cc (the first wave) and
// migrations_v13_on.cc (append new versions there).
#pragma once

#include <span>
#include <string_view>

namespace duet::store::migration_text {

// A part of a migration: its SQLite and its PostgreSQL text. both() is the
// usual case (one text, the {int} and {bytes} types substituted per
// dialect); per_dialect() keeps a real difference small and side by side.
struct MigrationPiece {
  std::string_view sqlite;
  std::string_view postgres;
};

constexpr MigrationPiece both(std::string_view sql) { return {sql, sql}; }
constexpr MigrationPiece per_dialect(std::string_view sqlite, std::string_view postgres) {
  return {sqlite, postgres};
}

struct VersionPieces {
  int version;
  std::span<const MigrationPiece> pieces;
};

// Versions 1..12, then 13 on; together every version once, in order.
std::span<const VersionPieces> first_wave_versions();
std::span<const VersionPieces> later_versions();

}  // namespace duet::store::migration_text
