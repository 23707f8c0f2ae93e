#include "store/store_error.h"

#include <gtest/gtest.h>

namespace duet::store {
namespace {

TEST(StoreError, KindRoundTripsThroughError) {
  for (StoreError kind : {StoreError::kNotFound, StoreError::kConflict, StoreError::kDuplicate,
                          StoreError::kUnavailable, StoreError::kCorrupt, StoreError::kRefused}) {
    Status s = store_error(kind, "order");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(store_error_kind(s), kind);
    EXPECT_EQ(s.code(), store_error_code(kind));
  }
}

TEST(StoreError, CodesFollowTheDocumentedMapping) {
  EXPECT_EQ(store_error_code(StoreError::kNotFound), ErrorCode::kNotFound);
  EXPECT_EQ(store_error_code(StoreError::kConflict), ErrorCode::kConflict);
  EXPECT_EQ(store_error_code(StoreError::kDuplicate), ErrorCode::kConflict);
  EXPECT_EQ(store_error_code(StoreError::kUnavailable), ErrorCode::kUnavailable);
  EXPECT_EQ(store_error_code(StoreError::kCorrupt), ErrorCode::kInternal);
  EXPECT_EQ(store_error_code(StoreError::kRefused), ErrorCode::kInvalidArgument);
  Status nf = store_error(StoreError::kNotFound, "order not found");
  EXPECT_EQ(nf.code(), ErrorCode::kNotFound);
  EXPECT_EQ(nf.error().message, "store/not_found: order not found") << "the kind token stays in the message";
  EXPECT_EQ(store_error(StoreError::kDuplicate, "nonce").error.code, ErrorCode::kConflict);
  EXPECT_EQ(store_error_kind(store_error(StoreError::kDuplicate, "nonce").error), StoreError::kDuplicate);
  EXPECT_EQ(store_error(StoreError::kCorrupt, "row").error.code, ErrorCode::kInternal);
  Status locked = store_error(StoreError::kConflict, ErrorCode::kLocked, "holder is locked");
  EXPECT_EQ(locked.code(), ErrorCode::kLocked);
  EXPECT_EQ(store_error_kind(locked), StoreError::kConflict);
}

TEST(StoreError, OtherErrorsHaveNoKind) {
  Status plain = make_error(ErrorCode::kInvalidArgument, "bad input");
  EXPECT_EQ(store_error_kind(plain), std::nullopt);
  Status lookalike = make_error(ErrorCode::kBadState, "store/not_founder: x");
  EXPECT_EQ(store_error_kind(lookalike), std::nullopt);
  EXPECT_EQ(store_error_kind(Status::Ok()), std::nullopt);
  Result<int> ok = 1;
  EXPECT_EQ(store_error_kind(ok), std::nullopt);
}

}  // namespace
}  // namespace duet::store
