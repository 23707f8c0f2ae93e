// A statement written once for both backends where the two dialects read it
// alike: the text uses SQLite's numbered parameters (?1, ?2, ...), and
// PostgreSQL's copy ($1, $2, ...) is made from it at compile time. Where the
// dialects differ for real (locking, casts, upserts), each backend keeps its
// own text. Private to src/store.
#pragma once

#include <cstddef>
#include <string_view>

namespace duet::store {

template <size_t N>
struct SqlText {
  char sqlite_text[N] = {};
  char pg_text[N] = {};

  consteval SqlText(const char (&text)[N]) {  // NOLINT: implicit from a literal on purpose
    for (size_t i = 0; i < N; ++i) {
      sqlite_text[i] = text[i];
      const bool parameter = text[i] == '?' && i + 1 < N && text[i + 1] >= '1' && text[i + 1] <= '9';
      pg_text[i] = parameter ? '$' : text[i];
    }
  }

  constexpr std::string_view sqlite() const { return {sqlite_text, N - 1}; }
  constexpr std::string_view pg() const { return {pg_text, N - 1}; }
};

}  // namespace duet::store
