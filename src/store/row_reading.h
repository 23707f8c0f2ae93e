// What both backends' read loops share (sqlite::read_rows, pg::read_rows):
// collecting what a row reader returns, and a caller's row limit as an SQL
// LIMIT. Private to src/store.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"

namespace duet::store {

template <typename V>
struct IsResult : std::false_type {};
template <typename V>
struct IsResult<Result<V>> : std::true_type {};

// Appends `read` (a record, or a Result of one) to `out`; a failed Result is
// returned instead.
template <typename T, typename Read>
Status collect_into(std::vector<T>& out, Read&& read) {
  if constexpr (IsResult<std::decay_t<Read>>::value) {
    if (!read.ok()) return Unexpected{read.error()};
    out.push_back(std::move(read).value());
  } else {
    out.push_back(std::forward<Read>(read));
  }
  return Status::Ok();
}

// A caller's row limit as an SQL LIMIT (size_t may not fit in int64).
inline int64_t clamp_limit(size_t limit) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int64_t>::max() - 1);
  return static_cast<int64_t>(std::min(limit, kMax));
}

}  // namespace duet::store
