// store::NonceStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Request nonces (replay protection of signed business requests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/store_error.h"
#include "store/write_context.h"

namespace duet::store {

class NonceStore {
 public:
  virtual ~NonceStore() = default;

  // --- request nonces -------------------------------------------------------
  // Records a nonce; kDuplicate if (tenant, app, nonce) was seen before.
  virtual Status insert_nonce(const WriteContext& context, std::string_view tenant_id, std::string_view app_id,
                              std::string_view nonce, UnixSeconds seen_at) = 0;
  // Forgets nonces seen before `before` (all tenants); returns how many.
  virtual Result<size_t> prune_nonces(const WriteContext& context, UnixSeconds before) = 0;
};

}  // namespace duet::store
