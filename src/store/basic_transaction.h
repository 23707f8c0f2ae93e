// BasicTransaction: a transaction on one connection of either backend,
// rolled back on destruction unless committed, so that a call that returns
// early (an error, an exception) leaves nothing half-written. Move-only;
// commit() ends it whatever its outcome. sqlite::Transaction and
// pg::Transaction are this template over their Connection, which does the
// dialect's part (its friend, through three private calls):
//   Status tx_begin(TransactionKind)  starts it (PostgreSQL defers the BEGIN)
//   Status tx_commit()                commits, or says why not (nothing stays open)
//   void tx_rollback()                rolls back what is open, best effort
// Private to src/store.
#pragma once

#include <utility>

#include "base/result.h"

namespace duet::store {

enum class TransactionKind { kRead, kWrite };

template <typename Connection>
class BasicTransaction {
 public:
  using Kind = TransactionKind;

  static Result<BasicTransaction> begin(Connection& conn, Kind kind) {
    DUET_TRY_STATUS(conn.tx_begin(kind));
    return BasicTransaction(&conn);
  }
  BasicTransaction(BasicTransaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  BasicTransaction& operator=(BasicTransaction&&) = delete;
  BasicTransaction(const BasicTransaction&) = delete;
  BasicTransaction& operator=(const BasicTransaction&) = delete;
  ~BasicTransaction() {
    if (conn_) conn_->tx_rollback();
  }

  Status commit() { return std::exchange(conn_, nullptr)->tx_commit(); }

 private:
  explicit BasicTransaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed or moved from
};

}  // namespace duet::store
