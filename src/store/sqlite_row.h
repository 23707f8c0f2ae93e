// A stepped Statement's current row as a RowReader (store/row_reader.h), so
// that the shared row readers (store/row_decoders.h, store/area_rows.h) read
// SQLite rows too; and the loop that reads every row of a statement. Private
// to the SQLite backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/row_reader.h"
#include "store/row_reading.h"
#include "store/sqlite_db.h"

namespace duet::store::sqlite {

// The current row of a stepped statement, as the shared row readers take it.
inline const RowReader& as_row(const Statement& st) { return st; }

// Steps `st` to its end and reads each row with `read` (returning T or Result<T>).
template <typename T, typename Read>
Result<std::vector<T>> read_rows(Statement& st, Read read) {
  std::vector<T> out;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    DUET_TRY_STATUS(collect_into(out, read(as_row(st))));
  }
  return out;
}

}  // namespace duet::store::sqlite
