// Test-only: assert a Result before using its value (never dereference an
// unchecked Result: with NDEBUG an error would surface as an exception far
// from its cause, without the error's text).
#pragma once

#include <gtest/gtest.h>

#include "base/result.h"

// `lhs = *expr` only after asserting that expr succeeded. For TEST bodies and
// void helpers (ASSERT returns from the function).
#define DUET_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.ok()) << tmp.error().to_string();     \
  lhs = std::move(*tmp)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  DUET_ASSERT_OK_AND_ASSIGN_IMPL(DUET_CONCAT(duet_test_result_, __LINE__), lhs, expr)
// A Status or Result that must be ok, with the error's text when it is not.
#define ASSERT_OK(expr)                                        \
  do {                                                         \
    const auto& duet_assert_ok_ = (expr);                      \
    ASSERT_TRUE(duet_assert_ok_.ok()) << duet_assert_ok_.error().to_string(); \
  } while (0)

#include <stdexcept>
#include <utility>

namespace duet::testing_support {

// The value of a Result the test needs inside an expression. An error is a
// test failure naming it, and the test stops (gtest reports the exception):
// never a silent dereference of an error.
template <typename T>
T ok_value(Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << "unexpected error: " << r.error().to_string();
    throw std::runtime_error("ok_value of an error");
  }
  return std::move(*r);
}

}  // namespace duet::testing_support
