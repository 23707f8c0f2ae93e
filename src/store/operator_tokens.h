// store::OperatorTokenStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Operator (admin) tokens (global).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class OperatorTokenStore {
 public:
  virtual ~OperatorTokenStore() = default;

  // --- operator tokens ------------------------------------------------------
  virtual Status create_admin_token(const WriteContext& context, const AdminToken& token) = 0;
  // An unrevoked token by its hash.
  virtual Result<AdminToken> find_admin_token(ByteView token_hash) = 0;

  // Every operator token (revoked ones too), by created_at then name.
  virtual Result<std::vector<AdminToken>> list_admin_tokens() = 0;
  // Revokes every unrevoked token named `name`; returns how many (kNotFound
  // when there was none).
  virtual Result<size_t> revoke_admin_tokens(const WriteContext& context, std::string_view name, UnixSeconds now) = 0;
};

}  // namespace duet::store
