// RowReader: the columns of one result row, read the same way on both
// backends, so the record decoders (store/row_decoders.h) exist once.
// sqlite::Statement (its current row) and pg::Row implement it. Private to
// src/store.
//
// Columns are 0-based. Every backend reads NULL the same way: text "",
// bytes empty, int 0; optional_int tells NULL apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"

namespace duet::store {

class RowReader {
 public:
  virtual bool is_null(int col) const = 0;
  virtual int64_t get_int(int col) const = 0;
  virtual std::optional<int64_t> optional_int(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual Bytes blob(int col) const = 0;

 protected:
  // Not owned through this interface: a reader is a view of its backend's
  // statement or result.
  RowReader() = default;
  RowReader(const RowReader&) = default;
  RowReader& operator=(const RowReader&) = default;
  ~RowReader() = default;
};

}  // namespace duet::store
