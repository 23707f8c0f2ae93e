// Result<T>: a value or an Error (an expected-style type; C++20 has no
// std::expected). Errors are values at module boundaries; nothing throws
// across them.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "base/error.h"

namespace duet {

// Wraps an Error so that `return Unexpected{...}` converts to any Result<T>.
struct Unexpected {
  Error error;
};

inline Unexpected make_error(ErrorCode code, std::string message = {}) {
  return Unexpected{Error{code, std::move(message)}};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  ErrorCode code() const { return ok() ? ErrorCode::kOk : error().code; }

 private:
  std::variant<T, Error> v_;
};

// Status: a Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT

  static Status Ok() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }
  ErrorCode code() const { return ok_ ? ErrorCode::kOk : error_.code; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace duet

// Propagates an error from an expression yielding Result<T> or Status.
#define DUET_CONCAT_INNER(a, b) a##b
#define DUET_CONCAT(a, b) DUET_CONCAT_INNER(a, b)
#define DUET_TRY_STATUS(expr)                              \
  do {                                                     \
    auto duet_try_status_ = (expr);                        \
    if (!duet_try_status_.ok())                            \
      return ::duet::Unexpected{duet_try_status_.error()}; \
  } while (0)
#define DUET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return ::duet::Unexpected{tmp.error()}; \
  lhs = std::move(tmp).value()
#define DUET_ASSIGN_OR_RETURN(lhs, expr) \
  DUET_ASSIGN_OR_RETURN_IMPL(DUET_CONCAT(duet_result_, __LINE__), lhs, expr)
