// Helpers shared by the PostgreSQL backend's files (pg_store.cc and the
// pg_<area>.cc files); private to the backend.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/row_reading.h"
#include "store/pg_db.h"
#include "store/store_error.h"

namespace duet::store::pg {

inline Unexpected corrupt(std::string_view what) { return store_error(StoreError::kCorrupt, what); }
inline Unexpected invalid(std::string_view what) { return make_error(ErrorCode::kInvalidArgument, std::string(what)); }
inline Unexpected not_found(std::string_view what) {
  return store_error(StoreError::kNotFound, std::string(what) + " not found");
}
inline Unexpected conflict(std::string_view what) { return store_error(StoreError::kConflict, what); }

using store::clamp_limit;  // store/row_reading.h

// Reads every row of `rows` with `read` (returning T or Result<T>).
template <typename T, typename Read>
Result<std::vector<T>> read_rows(const Rows& rows, Read read) {
  std::vector<T> out;
  for (int i = 0; i < rows.size(); ++i) DUET_TRY_STATUS(collect_into(out, read(Row(rows, i))));
  return out;
}

// Runs a statement; the rows it changed.
inline Result<int64_t> changes(Connection& c, std::string_view sql, std::initializer_list<Param> params) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(sql, params));
  return r.affected();
}

// Runs a statement, discarding its result.
inline Status run(Connection& c, std::string_view sql, std::initializer_list<Param> params) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(sql, params));
  (void)r;
  return Status::Ok();
}

// Does `sql` (a SELECT with two parameters) return a row?
inline Result<bool> exists(Connection& c, std::string_view sql, std::string_view a, std::string_view b) {
  DUET_ASSIGN_OR_RETURN(Rows r, c.query(sql, {a, b}));
  return !r.empty();
}

// After a conditional update changed nothing: kNotFound if the row is not
// there (for this tenant), else kConflict.
inline Status not_found_or_conflict(Connection& c, std::string_view exists_sql, std::string_view tenant,
                                    std::string_view id, std::string_view what) {
  DUET_ASSIGN_OR_RETURN(bool found, exists(c, exists_sql, tenant, id));
  if (!found) return not_found(what);
  return conflict(std::string(what) + " is not in a state that allows this");
}

// Was the last failed statement a unique violation of `constraint`?
inline bool violated(const Connection& c, const Error& e, std::string_view constraint) {
  return e.message.find("SQLSTATE 23505") != std::string::npos && c.last_constraint() == constraint;
}

}  // namespace duet::store::pg
