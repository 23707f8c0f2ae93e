// A stepped Statement's current row with the column readers of pg::Row
// (text, get_int, optional_int, blob), so that the dialect-free row readers
// of the areas (store/<area>_rows.h) read SQLite rows too; and the loop that
// reads every row of a statement. Private to the SQLite backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/row_reading.h"
#include "store/sqlite_db.h"

namespace duet::store::sqlite {

class StatementRow {
 public:
  explicit StatementRow(const Statement& st) : st_(st) {}
  int64_t get_int(int col) const { return st_.column_int(col); }
  std::optional<int64_t> optional_int(int col) const { return st_.column_optional_int(col); }
  std::string text(int col) const { return st_.column_text(col); }
  Bytes blob(int col) const { return st_.column_blob(col); }

 private:
  const Statement& st_;
};

// Steps `st` to its end and reads each row with `read` (returning T or Result<T>).
template <typename T, typename Read>
Result<std::vector<T>> read_rows(Statement& st, Read read) {
  std::vector<T> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    DUET_TRY_STATUS(collect_into(out, read(StatementRow(st))));
  }
  return out;
}

}  // namespace duet::store::sqlite
