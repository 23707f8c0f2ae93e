// store::LeaseStore, one area of store::Store (store/store.h: the rules every
// implementation keeps). Named leases (one worker of many does a job).
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

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // --- leases (generic; one row per name) ------------------------------------
  // Takes or renews the lease `name` for `owner` until now + ttl_seconds: true
  // if it was free, expired (expires_at <= now) or already held by `owner`;
  // false (nothing changed) while another owner holds it. One conditional
  // upsert: of concurrent callers (threads, processes, nodes) at most one
  // owner holds a lease at a time. ttl_seconds >= 1, name/owner non-empty,
  // else kInvalidArgument.
  virtual Result<bool> try_acquire_lease(const WriteContext& context, std::string_view name, std::string_view owner,
                                         UnixSeconds now, int64_t ttl_seconds) = 0;
};

}  // namespace duet::store
